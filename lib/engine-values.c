/* engine-values.c: the values inside the Engine API's answers that need more than a JSON type: RFC 3339
 * times, "X.Y" versions, container state words, bare hex image ids (the id rules themselves are
 * lib/docker-ref.c), the message of an error body; and the error setter the whole client reports
 * through. No jansson DOM walking here: that is lib/json-read.c. */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker-ref.h"
#include "engine-internal.h"
#include "time-util.h"

int engine_error_set(struct engine_error *err, int code, const char *fmt, ...) {
        if (!err)
                return code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
        return code;
}

static const char *const container_states[] = {
        [ENGINE_CONTAINER_UNKNOWN] = "unknown",     [ENGINE_CONTAINER_CREATED] = "created",
        [ENGINE_CONTAINER_RESTARTING] = "restarting", [ENGINE_CONTAINER_RUNNING] = "running",
        [ENGINE_CONTAINER_REMOVING] = "removing",   [ENGINE_CONTAINER_PAUSED] = "paused",
        [ENGINE_CONTAINER_EXITED] = "exited",       [ENGINE_CONTAINER_DEAD] = "dead",
};

const char *engine_container_state_to_string(enum engine_container_state s) {
        if ((size_t) s >= ELEMENTSOF(container_states))
                return "unknown";
        return container_states[s];
}

enum engine_container_state engine_container_state_from_string(const char *s) {
        for (size_t i = 1; i < ELEMENTSOF(container_states); i++)
                if (streq(s, container_states[i]))
                        return (enum engine_container_state) i;
        /* Podman's own words where its compat layer passes them through. */
        if (streq(s, "configured") || streq(s, "initialized"))
                return ENGINE_CONTAINER_CREATED;
        if (streq(s, "stopped") || streq(s, "stopping"))
                return ENGINE_CONTAINER_EXITED;
        return ENGINE_CONTAINER_UNKNOWN;
}

/* Seconds and nanoseconds since the epoch for a proleptic Gregorian civil date (Howard Hinnant's
 * days_from_civil), so no libc time zone state is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static bool is_leap(unsigned y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool digits(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        *ret = v;
        return true;
}

int engine_parse_status_age(const char *status, int64_t *ret_max_sec) {
        static const struct {
                const char *unit;      /* singular; a plural adds "s" */
                int64_t sec;           /* one unit */
                int64_t round_up_num, round_up_den; /* the bound is (n + num/den) units */
        } units[] = {
                { "second", 1, 1, 1 },  { "minute", 60, 1, 1 },       { "hour", 3600, 1, 2 },
                { "day", 86400, 1, 1 }, { "week", 7 * 86400, 1, 1 },  { "month", 30 * 86400, 1, 1 },
                { "year", 365 * 86400, 1, 1 },
        };
        if (!status || !startswith(status, "Exited ("))
                return -EINVAL;
        const char *p = strchr(status, ')');
        if (!p || p[1] != ' ')
                return -EINVAL;
        p += 2;
        size_t n = strlen(p);
        if (n < 5 || !streq(p + n - 4, " ago"))
                return -EINVAL;
        char d[32];
        if (n - 4 >= sizeof d)
                return -EINVAL;
        memcpy(d, p, n - 4);
        d[n - 4] = 0;
        if (streq(d, "Less than a second")) {
                *ret_max_sec = 1;
                return 0;
        }
        if (streq(d, "About a minute")) {
                *ret_max_sec = 120;
                return 0;
        }
        if (streq(d, "About an hour")) {
                *ret_max_sec = 5400;
                return 0;
        }
        char *end;
        errno = 0;
        long long count = strtoll(d, &end, 10);
        if (errno != 0 || end == d || count < 0 || count > 100000 || *end != ' ' || d[0] < '0' || d[0] > '9')
                return -EINVAL;
        end++;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                size_t k = strlen(units[i].unit);
                if (strncmp(end, units[i].unit, k) != 0 || (end[k] != 0 && !(end[k] == 's' && end[k + 1] == 0)))
                        continue;
                /* Clamped like every engine time: "100000 years" is past what nanoseconds hold. */
                *ret_max_sec = MIN((count * units[i].round_up_den + units[i].round_up_num) * units[i].sec /
                                           units[i].round_up_den,
                                   TIME_UNIX_SEC_MAX);
                return 0;
        }
        return -EINVAL;
}

int engine_parse_time(const char *s, int64_t *ret_ns) {
        static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned year, mon, day, hour, min, sec, oh = 0, om = 0;
        int64_t frac = 0, scale = NSEC_PER_SEC;
        int sign = 0;

        if (!s || !ret_ns)
                return -EINVAL;
        /* YYYY-MM-DDTHH:MM:SS */
        if (strnlen(s, 19) < 19 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
            !digits(s + 8, 2, &day) || !strchr("Tt ", s[10]) || s[10] == 0 || !digits(s + 11, 2, &hour) ||
            s[13] != ':' || !digits(s + 14, 2, &min) || s[16] != ':' || !digits(s + 17, 2, &sec))
                return -EINVAL;
        if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] + (mon == 2 && is_leap(year)) || hour > 23 ||
            min > 59 || sec > 59)
                return -EINVAL;
        s += 19;
        if (*s == '.' || *s == ',') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                /* Go prints up to 9 digits; more are accepted and truncated to ns. */
                for (; *s >= '0' && *s <= '9'; s++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (*s - '0') * scale;
                        }
        }
        if (*s == 'Z' || *s == 'z')
                s++;
        else if (*s == '+' || *s == '-') {
                sign = *s == '+' ? 1 : -1;
                if (!digits(s + 1, 2, &oh) || s[3] != ':' || !digits(s + 4, 2, &om) || oh > 23 || om > 59)
                        return -EINVAL;
                s += 6;
        } else
                return -EINVAL;
        if (*s)
                return -EINVAL;

        int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
                       sign * (int64_t) (oh * 3600 + om * 60);
        /* Go's zero time.Time, which the engine prints for "never" (StartedAt, LastTagTime...). */
        if (secs == days_from_civil(1, 1, 1) * 86400 && frac == 0) {
                *ret_ns = 0;
                return 0;
        }
        /* int64 ns covers 1677-09-21 to 2262-04-11: clamped like every engine time, a time before it to 0
         * (unknown, as Go's zero time), one after it to TIME_UNIX_SEC_MAX. */
        if (secs > TIME_UNIX_SEC_MAX - 1)
                secs = TIME_UNIX_SEC_MAX, frac = 0;
        else if (secs < INT64_MIN / NSEC_PER_SEC + 1) {
                *ret_ns = 0;
                return 0;
        }
        *ret_ns = time_sec_to_ns(secs) + frac;
        return 0;
}

int engine_version_parse(const char *s, unsigned *ret_major, unsigned *ret_minor) {
        unsigned v[2] = {};
        if (!s)
                return -EINVAL;
        for (int part = 0; part < 2; part++) {
                size_t n = 0;
                for (; s[n] >= '0' && s[n] <= '9'; n++)
                        if (n >= 6)
                                return -EINVAL;
                if (n == 0)
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        v[part] = v[part] * 10 + (unsigned) (s[i] - '0');
                s += n;
                if (part == 0 && *s++ != '.')
                        return -EINVAL;
        }
        if (*s)
                return -EINVAL;
        *ret_major = v[0];
        *ret_minor = v[1];
        return 0;
}

int engine_version_compare(const char *a, const char *b) {
        unsigned amaj, amin, bmaj, bmin;
        bool aok = engine_version_parse(a, &amaj, &amin) >= 0, bok = engine_version_parse(b, &bmaj, &bmin) >= 0;
        if (!aok || !bok)
                return (int) aok - (int) bok;
        if (amaj != bmaj)
                return amaj < bmaj ? -1 : 1;
        if (amin != bmin)
                return amin < bmin ? -1 : 1;
        return 0;
}

/* Copies text as one printable line: control characters become spaces, runs of spaces one. */
static void flatten(const char *src, size_t len, char *msg, size_t msg_size) {
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < msg_size; i++) {
                unsigned char c = (unsigned char) src[i];
                char out = c < 0x20 || c == 0x7f ? ' ' : (char) c;
                if (out == ' ' && (n == 0 || msg[n - 1] == ' '))
                        continue;
                msg[n++] = out;
        }
        while (n > 0 && msg[n - 1] == ' ')
                n--;
        msg[n] = 0;
}

void engine_decode_error_message(const char *buf, size_t len, char *msg, size_t msg_size) {
        if (msg_size == 0)
                return;
        msg[0] = 0;
        if (!buf || len == 0)
                return;
        _cleanup_json_ json_t *j = json_loadb(buf, len, 0, NULL);
        if (json_is_object(j)) {
                const char *keys[] = { "message", "cause" };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        json_t *v = json_object_get(j, keys[i]);
                        if (json_is_string(v) && json_string_length(v) > 0) {
                                /* Messages end up in one log line. */
                                flatten(json_string_value(v), json_string_length(v), msg, msg_size);
                                return;
                        }
                }
        }
        /* Not JSON (a proxy's HTML page, a text/plain error of an old engine): the text itself. */
        flatten(buf, len, msg, msg_size);
}

int engine_image_id_normalize(char **id) {
        char buf[DOCKER_REF_ID_SIZE];
        if (!*id || docker_ref_id_normalize(*id, buf) == *id)
                return 0;
        char *p = strdup(buf);
        if (!p)
                return -ENOMEM;
        free(*id);
        *id = p;
        return 0;
}

bool engine_volume_name_is_anonymous(const char *name) {
        return name && docker_ref_is_hex64(name);
}
