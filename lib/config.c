/* config.c: dockerclean.conf (libconfig syntax) in, one validated struct config out.
 *
 * The file is read into memory and parsed with config_read_string(), so that files and strings take
 * the same path; lib/config-scan.c first rejects @include and finds the integer literals libconfig 1.5
 * would silently wrap. Keys are checked in document order by the parsers of lib/config-keys.c and the
 * first problem is reported, as "FILE:LINE: KEY: message"; cross-key rules (watermarks,
 * min_free/target_free) come last and blame the key that was written. */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "safe-path.h"

/* Config files are a few KiB; the cap keeps a wrong --config (a log, a device) from eating memory. */
#define CONFIG_FILE_MAX (1024 * 1024)

void config_done(struct config *c) {
        if (!c)
                return;
        free(c->engine_socket);
        free(c->state_dir);
        strv_freep(&c->protect_labels);
        strv_freep(&c->protect_images);
        strv_freep(&c->disk.paths);
        free(c->metrics_file);
        strv_freep(&c->exhausted_command);
        *c = (struct config) {};
}

int config_init_defaults(struct config *c) {
        _cleanup_(config_done) struct config d = {
                .engine_timeout_sec = 600,
                .interval_sec = 60,
                .dry_run = false,
                .log_level = LOG_INFO,
                .disk = {
                        .high_watermark = 85.0,
                        .low_watermark = 75.0,
                        .min_free = 0,
                        .target_free = 0,
                        .engine_usage_interval_sec = 600,
                        .inode_high_watermark = 95.0,
                        .inode_low_watermark = 90.0,
                        .critical_watermark = 95.0,
                        .critical_min_age_sec = 600,
                },
                .max_removals = 1000,
                .exhausted_command_timeout_sec = 60,
        };
        static const enum config_tier_type default_tiers[] = {
                CONFIG_TIER_STOPPED_CONTAINERS,
                CONFIG_TIER_DANGLING_IMAGES,
                CONFIG_TIER_BUILD_CACHE,
                CONFIG_TIER_UNUSED_IMAGES,
        };

        for (size_t i = 0; i < ELEMENTSOF(default_tiers); i++)
                d.tiers[d.n_tiers++] = (struct config_tier) {
                        .type = default_tiers[i],
                        .min_age_sec = config_tier_default_min_age(default_tiers[i]),
                };
        d.state_dir = strdup("/var/lib/dockerclean");
        d.protect_labels = calloc(2, sizeof(char *));
        d.protect_images = strv_new_empty();
        if (!d.state_dir || !d.protect_labels || !d.protect_images)
                return -ENOMEM;
        d.protect_labels[0] = strdup("dockerclean.keep");
        if (!d.protect_labels[0])
                return -ENOMEM;

        *c = d;
        d = (struct config) {};
        return 0;
}

/* Error reporting. */

static void error_format_text(struct config_error *e) {
        char where[300];

        if (e->line > 0)
                snprintf(where, sizeof where, "%s:%d", e->file, e->line);
        else
                snprintf(where, sizeof where, "%s", e->file);
        if (e->key[0])
                snprintf(e->text, sizeof e->text, "%s: %s: %s", where, e->key, e->message);
        else
                snprintf(e->text, sizeof e->text, "%s: %s", where, e->message);
}

/* Fills e; line 0 and key NULL when there is none. Returns r, so that callers can `return error_set(...)`. */
_printf_(6, 7) static int error_set(struct config_error *e, int r, const char *file, unsigned line, const char *key,
                                    const char *fmt, ...) {
        va_list ap;

        *e = (struct config_error) {};
        snprintf(e->file, sizeof e->file, "%s", file);
        e->line = line > INT_MAX ? INT_MAX : (int) line;
        snprintf(e->key, sizeof e->key, "%s", key ?: "");
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        error_format_text(e);
        return r;
}

/* The dotted path of a setting, in libconfig's own path syntax: "disk.low_watermark", "tiers.[1].type". */
static void setting_path(const config_setting_t *s, char *buf, size_t size) {
        const config_setting_t *parent = config_setting_parent(s);
        size_t n;

        buf[0] = 0;
        if (!parent)
                return;
        setting_path(parent, buf, size);
        n = strlen(buf);
        if (config_setting_name(s))
                snprintf(buf + n, size - n, "%s%s", n > 0 ? "." : "", config_setting_name(s));
        else
                snprintf(buf + n, size - n, "%s[%d]", n > 0 ? "." : "", config_setting_index(s));
}

const char *config_quote(const char *s, char buf[static CONFIG_QUOTE_MAX]) {
        size_t n = 0, len = strlen(s);

        buf[n++] = '"';
        for (size_t i = 0; i < len && i < 40; i++)
                buf[n++] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        if (len > 40) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n++] = '"';
        buf[n] = 0;
        return buf;
}

static void parser_done(struct config_parser *p) {
        if (p->lc_initialized)
                config_destroy(&p->lc);
        free(p->literals);
        free(p->text_copy);
}

int config_fail(struct config_parser *p, const config_setting_t *s, int r, const char *fmt, ...) {
        char key[sizeof p->error.key], message[sizeof p->error.message];
        va_list ap;

        setting_path(s, key, sizeof key);
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        return error_set(&p->error, r, p->name, config_setting_source_line(s), key, "%s", message);
}

/* Optimal string alignment distance (edits and adjacent swaps), for "did you mean" hints. */
static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t d[33][33];

        if (la > 32 || lb > 32)
                return SIZE_MAX;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = a[i - 1] != b[j - 1];
                        d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                                d[i][j] = MIN(d[i][j], d[i - 2][j - 2] + 1);
                }
        return d[la][lb];
}

bool config_close_enough(const char *typed, const char *known) {
        size_t len = strlen(known), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
        return edit_distance(typed, known) <= limit;
}

/* Key tables: dispatch, and suggestions for unknown keys. */

int config_unknown_key(struct config_parser *p, const config_setting_t *s, const struct config_key_table *table) {
        const struct config_key_table *const *groups = config_key_groups;
        const char *name = config_setting_name(s);

        /* A near miss among the keys that belong here... */
        for (size_t i = 0; i < table->n; i++)
                if (config_close_enough(name, table->keys[i].name))
                        return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s'?", table->keys[i].name);
        /* ... or a key that belongs in another group. */
        for (size_t g = 0; groups[g]; g++) {
                if (groups[g] == table)
                        continue;
                for (size_t i = 0; i < groups[g]->n; i++)
                        if (config_close_enough(name, groups[g]->keys[i].name)) {
                                if (!groups[g]->path[0])
                                        return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s' at the top level?",
                                                           groups[g]->keys[i].name);
                                return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s.%s'?", groups[g]->path,
                                                   groups[g]->keys[i].name);
                        }
        }
        return config_fail(p, s, -EINVAL, "unknown key");
}

int config_parse_group(struct config_parser *p, const config_setting_t *s, const struct config_key_table *table, struct config *c) {
        if (!config_setting_is_group(s))
                return config_fail(p, s, -EINVAL, "expected a group, like %s = { ... };", config_setting_name(s));

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const struct config_key *k = NULL;
                int r;

                for (size_t j = 0; j < table->n; j++)
                        if (streq(config_setting_name(e), table->keys[j].name))
                                k = &table->keys[j];
                if (!k)
                        return config_unknown_key(p, e, table);
                r = k->parse(p, e, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Depth-first, in document order: the order config_scan_int_literals lists the literals in. */
static void mark_literals(config_setting_t *s, struct config_int_literal *lits, size_t n, size_t *next) {
        int type = config_setting_type(s);

        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
                if (*next < n && !lits[*next].in_range)
                        config_setting_set_hook(s, &lits[*next]);
                (*next)++;
        } else if (config_setting_is_aggregate(s))
                for (int i = 0; i < config_setting_length(s); i++)
                        mark_literals(config_setting_get_elem(s, (unsigned) i), lits, n, next);
}

static int parse_text(struct config_parser *p, struct config *c) {
        size_t n, next = 0;
        unsigned line;
        bool wrapped = false;
        int r;

        /* libconfig takes "# comment" only when a newline follows; a file's last line may lack one. */
        size_t len = strlen(p->text);
        if (len > 0 && p->text[len - 1] != '\n') {
                p->text_copy = malloc(len + 2);
                if (!p->text_copy)
                        return -ENOMEM;
                memcpy(p->text_copy, p->text, len);
                memcpy(p->text_copy + len, "\n", 2);
                p->text = p->text_copy;
        }

        line = config_scan_find_include(p->text);
        if (line > 0)
                return error_set(&p->error, -EINVAL, p->name, line, NULL, "@include is not supported");

        config_init(&p->lc);
        p->lc_initialized = true;
        if (!config_read_string(&p->lc, p->text)) {
                /* An error at the end of the input is on the last line, not on the one after it. */
                unsigned last = 1;
                for (const char *i = p->text; *i; i++)
                        last += *i == '\n' && i[1];
                line = (unsigned) MAX(config_error_line(&p->lc), 0);
                return error_set(&p->error, -EINVAL, p->name, MIN(line, last), NULL, "%s",
                                 config_error_text(&p->lc) ?: "syntax error");
        }

        r = config_scan_int_literals(p->text, &p->literals, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                wrapped = wrapped || !p->literals[i].in_range;
        if (wrapped) {
                mark_literals(config_root_setting(&p->lc), p->literals, n, &next);
                /* Only trust the marks if both tokenizers saw the same literals. */
                if (next != n)
                        return error_set(&p->error, -EINVAL, p->name, 0, NULL,
                                         "cannot check the integers in this file; please report this as a bug");
        }

        r = config_init_defaults(c);
        if (r < 0)
                return r;
        r = config_parse_group(p, config_root_setting(&p->lc), &config_root_table, c);
        if (r < 0)
                return r;
        return config_check_rules(p, c);
}

static int parse_named(const char *text, const char *name, bool is_file, struct config *ret, struct config_error *ret_error) {
        _cleanup_(parser_done) struct config_parser p = {
                .name = name ?: "<string>",
                .is_file = is_file,
                .text = text,
        };
        _cleanup_(config_done) struct config c = {};
        int r;

        if (!text || !ret)
                return -EINVAL;
        r = parse_text(&p, &c);
        if (r < 0) {
                if (r == -ENOMEM)
                        error_set(&p.error, r, p.name, 0, NULL, "out of memory");
                if (ret_error)
                        *ret_error = p.error;
                return r;
        }
        *ret = c;
        c = (struct config) {};
        return 0;
}

int config_parse_string(const char *text, const char *name, struct config *ret, struct config_error *ret_error) {
        return parse_named(text, name, false, ret, ret_error);
}

static int file_error(struct config_error *ret_error, const char *path, int r, const char *what) {
        char buf[256];
        struct config_error e;

        error_set(&e, r, path, 0, NULL, "%s: %s", what, strerror_r(-r, buf, sizeof buf));
        if (ret_error)
                *ret_error = e;
        return r;
}

int config_parse_file(const char *path, struct config *ret, struct config_error *ret_error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        struct stat st;
        const char *nul;

        if (!path || !ret)
                return -EINVAL;
        /* Never blocking (a FIFO), only a regular file. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return file_error(ret_error, path, negative_errno(), "cannot open");
        if (fstat(fd, &st) < 0)
                return file_error(ret_error, path, negative_errno(), "cannot stat");
        if (S_ISDIR(st.st_mode))
                return file_error(ret_error, path, -EISDIR, "cannot read");
        if (!S_ISREG(st.st_mode)) {
                struct config_error e;
                error_set(&e, -EPERM, path, 0, NULL, "is %s, not a regular file", fileio_type_name(st.st_mode));
                if (ret_error)
                        *ret_error = e;
                return -EPERM;
        }
        /* It decides what root removes, runs and writes: like sshd's StrictModes, a file (or a directory
         * or link on the way to it, judged where it lies) anyone but root can change is refused. */
        char why[300];
        int r = safe_path_check(path, 0, why, sizeof why);
        if (r < 0) {
                struct config_error e;
                error_set(&e, r, path, 0, NULL, "%s; refused: only root may be able to change the configuration of a daemon "
                          "that runs as root", why);
                if (ret_error)
                        *ret_error = e;
                return r;
        }

        /* Not trusting st_size: it may grow while read. */
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, text + size, CONFIG_FILE_MAX + 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return file_error(ret_error, path, negative_errno(), "cannot read");
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > CONFIG_FILE_MAX)
                        return file_error(ret_error, path, -EFBIG, "cannot read");
        }
        text[size] = 0;

        nul = memchr(text, 0, size);
        if (nul) {
                unsigned line = 1;
                for (const char *i = text; i < nul; i++)
                        line += *i == '\n';
                struct config_error e;
                error_set(&e, -EINVAL, path, line, NULL, "contains a NUL byte; is this a text file?");
                if (ret_error)
                        *ret_error = e;
                return -EINVAL;
        }
        /* Some editors start UTF-8 files with a byte order mark, which libconfig takes for garbage. */
        return parse_named(startswith(text, "\xef\xbb\xbf") ? text + 3 : text, path, true, ret, ret_error);
}
