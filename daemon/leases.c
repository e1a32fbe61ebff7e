/* leases.c: the daemon's image leases (lib/lease.h): loaded from state_dir at start, saved at every
 * change, ended on time; every cleanup's plan counts their images as in use (config.leased_image_ids). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "daemon.h"
#include "engine.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "time-util.h"

/* "a b c" (malloc'ed), NULL when out of memory. */
static char *strv_join(char *const *l, const char *sep) {
        size_t n = 1;
        for (char *const *i = l; i && *i; i++)
                n += strlen(*i) + strlen(sep);
        char *s = malloc(n), *p = s;
        if (!s)
                return NULL;
        *p = 0;
        for (char *const *i = l; i && *i; i++)
                p = stpcpy(stpcpy(p, i == l ? "" : sep), *i);
        return s;
}

static void leases_refresh(struct daemon *d) {
        char **ids = NULL;
        if (lease_set_image_ids(&d->leases, &ids) < 0) {
                log_warning("Out of memory listing the leased images; keeping the previous list");
                return;
        }
        strv_freep(&d->leased_ids);
        d->leased_ids = ids;
}

static void leases_save(struct daemon *d) {
        char why[512] = "";
        int r = lease_set_save(d->config.state_dir, &d->leases, why, sizeof why);
        if (r < 0)
                log_warning("Cannot save the image leases in %s: %s; they hold until the daemon stops", d->config.state_dir,
                            *why ? why : strerror(-r));
        leases_refresh(d);
        daemon_write_metrics(d);
}

void daemon_leases_open(struct daemon *d) {
        int r = lease_set_load(d->config.state_dir, &d->leases);
        if (r < 0) {
                log_warning("Cannot read the image leases in %s/%s: %s; starting without", d->config.state_dir, LEASE_FILE_NAME,
                            strerror(-r));
                d->leases = (struct lease_set){};
        }
        if (d->leases.n > 0)
                log_info("%zu image lease%s from %s/%s", d->leases.n, d->leases.n == 1 ? "" : "s", d->config.state_dir,
                         LEASE_FILE_NAME);
        daemon_leases_expire(d);
        leases_refresh(d);
}

void daemon_leases_done(struct daemon *d) {
        lease_set_done(&d->leases);
        strv_freep(&d->leased_ids);
}

bool daemon_leases_expire(struct daemon *d) {
        int64_t now = now_realtime_ns();
        bool changed = false;
        for (size_t i = d->leases.n; i-- > 0;) {
                const struct lease *l = &d->leases.items[i];
                if (l->until_ns > now)
                        continue;
                _cleanup_free_ char *refs = strv_join(l->refs, " ");
                log_notice("Lease %s ended: %s no longer count as in use", l->id, refs ? refs : "its images");
                lease_set_remove(&d->leases, i);
                changed = true;
        }
        if (changed) {
                leases_save(d);
                episode_note_freed(&d->episode); /* what it kept is a candidate again: worth planning */
        }
        return changed;
}

int daemon_lease_take(struct daemon *d, char *const *images, uint64_t seconds, uint32_t uid, char *ret_id, char *why, size_t why_size) {
        _cleanup_strv_free_ char **ids = strv_new_empty(), **refs = NULL;
        uint64_t bytes = 0;
        if (!ids || strv_copy(images, &refs) < 0)
                return -ENOMEM;
        for (char *const *i = images; *i; i++) {
                struct engine_image_detail det;
                int r = d->engine ? engine_inspect_image(d->engine, *i, &det) : -ENOTCONN;
                if (r < 0) {
                        snprintf(why, why_size, "no image %s on the engine (%s)", *i, strerror(-r));
                        return r;
                }
                if (!strv_contains(ids, det.id) && det.size > 0)
                        bytes += (uint64_t) det.size;
                r = strv_push_dup(&ids, det.id);
                engine_image_detail_done(&det);
                if (r < 0)
                        return r;
        }
        uint8_t b[8];
        if (getrandom(b, sizeof b, 0) != sizeof b)
                return -EIO;
        char id[LEASE_ID_LEN + 1];
        lease_id_format(b, id);
        int r = lease_set_add(&d->leases, id, now_realtime_ns() + (int64_t) seconds * NSEC_PER_SEC, uid, &ids, &refs);
        if (r < 0) {
                snprintf(why, why_size, r == -E2BIG ? "too many leases (%d)" : "cannot take the lease", LEASE_SET_MAX);
                return r;
        }
        d->leases.items[d->leases.n - 1].bytes = bytes;
        leases_save(d);
        memcpy(ret_id, id, LEASE_ID_LEN + 1);
        return 0;
}

int daemon_lease_release(struct daemon *d, const char *id, uint32_t uid) {
        int i = lease_set_find(&d->leases, id);
        if (i < 0)
                return i;
        if (uid != 0 && d->leases.items[i].uid != uid)
                return -EPERM;
        lease_set_remove(&d->leases, (size_t) i);
        leases_save(d);
        return 0;
}

void daemon_leases_print(const struct daemon *d) {
        struct lease_set s = {};
        if (lease_set_load(d->config.state_dir, &s) < 0 || s.n == 0) {
                printf("Leases:      none\n");
                lease_set_done(&s);
                return;
        }
        int64_t now = now_realtime_ns();
        printf("Leases:      %zu (their images count as in use)\n", s.n);
        for (size_t i = 0; i < s.n; i++) {
                const struct lease *l = &s.items[i];
                _cleanup_free_ char *refs = strv_join(l->refs, " ");
                time_t until = (time_t) (l->until_ns / NSEC_PER_SEC);
                struct tm tm;
                char at[32];
                strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&until, &tm));
                printf("  %s  uid %-6" PRIu32 " until %s (%s)  %s\n", l->id, l->uid, at,
                       l->until_ns > now ? DAEMON_DURATION((uint64_t) (l->until_ns - now) / NSEC_PER_SEC) : "ended", refs ? refs : "");
        }
        lease_set_done(&s);
}
