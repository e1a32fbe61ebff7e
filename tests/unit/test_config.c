/* test_config.c: lib/config*.c: the file format, every error message, print/parse round trips, the
 * shipped conf/dockerclean.conf, and the size, duration and percent parsers. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config-internal.h"
#include "config.h"
#include "dctest.h"
#include "macro.h"

const char *__lsan_default_suppressions(void);

/* libconfig 1.5 leaks the string token a syntax error discards (e.g. `"x"`); not ours to fix. */
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig.so\n";
}

/* ---- helpers ---------------------------------------------------------------------------------- */

_printf_(3, 4) static void append(char **buf, size_t *len, const char *fmt, ...) {
        char *piece = NULL;
        va_list ap;

        va_start(ap, fmt);
        ck_assert_int_ge(vasprintf(&piece, fmt, ap), 0);
        va_end(ap);
        *buf = realloc(*buf, *len + strlen(piece) + 2);
        ck_assert_ptr_nonnull(*buf);
        if (*len > 0)
                (*buf)[(*len)++] = ' ';
        strcpy(*buf + *len, piece);
        *len += strlen(piece);
        free(piece);
}

static char *join(char *const *l) {
        char *s = strdup("");
        size_t n = 0;

        for (size_t i = 0; l && l[i]; i++) {
                s = realloc(s, n + strlen(l[i]) + 2);
                n += (size_t) sprintf(s + n, "%s%s", i > 0 ? "|" : "", l[i]);
        }
        return s;
}

static char *tiers_string(const struct config *c) {
        char *s = strdup("");
        size_t n = 0;

        for (size_t i = 0; i < c->n_tiers; i++) {
                s = realloc(s, n + 64);
                n += (size_t) sprintf(s + n, "%s%s:%" PRIu64 "%s", i > 0 ? "," : "", config_tier_type_to_string(c->tiers[i].type),
                                      c->tiers[i].min_age_sec, c->tiers[i].include_named ? ":named" : "");
        }
        return s;
}

/* "field=value" for every field that differs from the defaults, in struct order, space-separated;
 * "" for a config equal to the defaults. Lets the table state exactly what an input changes. */
static char *describe(const struct config *c) {
        struct config d;
        char *out = strdup("");
        size_t len = 0;

        ck_assert_int_eq(config_init_defaults(&d), 0);
#define STR(field)                                                                            \
        if (!(c->field == d.field || (c->field && d.field && streq(c->field, d.field))))  \
                append(&out, &len, #field "=%s", c->field ?: "(null)");
#define NUM(field, fmt, type)                                                                 \
        if (c->field != d.field)                                                              \
                append(&out, &len, #field "=%" fmt, (type) c->field);
        STR(engine_socket);
        NUM(engine_socket_owner, "u", unsigned);
        NUM(engine_timeout_sec, PRIu64, uint64_t);
        NUM(interval_sec, PRIu64, uint64_t);
        STR(state_dir);
        NUM(dry_run, "d", int);
        NUM(log_level, "d", int);
        NUM(disk.high_watermark, "g", double);
        NUM(disk.low_watermark, "g", double);
        NUM(disk.min_free, PRIu64, uint64_t);
        NUM(disk.target_free, PRIu64, uint64_t);
        NUM(disk.inode_high_watermark, "g", double);
        NUM(disk.inode_low_watermark, "g", double);
        {
                char *a = tiers_string(c), *b = tiers_string(&d);
                if (!streq(a, b))
                        append(&out, &len, "tiers=%s", a);
                free(a);
                free(b);
        }
        {
                char *a = join(c->protect_labels), *b = join(d.protect_labels);
                if (!streq(a, b))
                        append(&out, &len, "protect_labels=%s", a);
                free(a);
                free(b);
                a = join(c->protect_images);
                b = join(d.protect_images);
                if (!streq(a, b))
                        append(&out, &len, "protect_images=%s", a);
                free(a);
                free(b);
        }
        NUM(max_removals, "u", unsigned);
        STR(metrics_file);
#undef STR
#undef NUM
        config_done(&d);
        return out;
}

static char *print_to_string(const struct config *c) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(config_print(c, f), 0);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

/* print -> parse gives an equal struct, and printing that again gives the same text. */
static void assert_round_trip(const struct config *c, const char *what) {
        struct config again;
        struct config_error e;
        char *printed = print_to_string(c), *reprinted;
        int r = config_parse_string(printed, "printed.conf", &again, &e);

        ck_assert_msg(r == 0, "%s: printed config does not parse: %s\n%s", what, r < 0 ? e.text : "", printed);
        ck_assert_msg(config_equal(c, &again), "%s: round trip changed the config:\n%s", what, printed);
        reprinted = print_to_string(&again);
        ck_assert_str_eq(printed, reprinted);
        free(printed);
        free(reprinted);
        config_done(&again);
}

static void assert_error_consistent(const struct config_error *e) {
        char text[1024];

        if (e->line > 0 && e->key[0])
                snprintf(text, sizeof text, "%s:%d: %s: %s", e->file, e->line, e->key, e->message);
        else if (e->line > 0)
                snprintf(text, sizeof text, "%s:%d: %s", e->file, e->line, e->message);
        else if (e->key[0])
                snprintf(text, sizeof text, "%s: %s: %s", e->file, e->key, e->message);
        else
                snprintf(text, sizeof text, "%s: %s", e->file, e->message);
        ck_assert_str_eq(e->text, text);
}

/* ---- the table of inputs ---------------------------------------------------------------------- */

struct config_case {
        const char *text;
        /* An error text ("t.conf:LINE: KEY: message"), or "=" followed by describe() of the result. */
        const char *want;
};

static const struct config_case cases[] = {
        /* Good: what each input changes, and nothing else. */
        { "", "=" },
        { "interval = \"90s\";", "=interval_sec=90" },
        { "interval = \"1h30m\";", "=interval_sec=5400" },
        { "interval = \"5\" \"m\";", "=interval_sec=300" }, /* libconfig joins adjacent strings */
        { "interval = \"7m\"", "=interval_sec=420" },       /* the ';' is optional in libconfig */
        { "interval = \"2m\"; # a comment, and no final newline", "=interval_sec=120" },
        { "# c\n// c\n/* c\n c */ interval = \"3m\"; # c\n", "=interval_sec=180" },
        { "engine = { socket = \"/run/docker.sock\"; timeout = \"30s\"; };",
          "=engine_socket=/run/docker.sock engine_timeout_sec=30" },
        { "engine : { socket : \"unix:///run/user/1000/docker.sock\"; };", "=engine_socket=unix:///run/user/1000/docker.sock" },
        { "engine = { socket = \"tcp://127.0.0.1:2375\"; };", "=engine_socket=tcp://127.0.0.1:2375" },
        { "engine = { socket = \"tcp://[::1]:2375\"; };", "=engine_socket=tcp://[::1]:2375" },
        { "engine = { };", "=" },
        /* A rootless engine's socket owner: a uid, or a user name (root's is uid 0 everywhere). */
        { "engine = { socket_owner = \"1000\"; };", "=engine_socket_owner=1000" },
        { "engine = { socket_owner = \"root\"; };", "=" },
        { "engine = { socket_owner = \"\"; };", "=" },
        { "dry_run = true;", "=dry_run=1" },
        { "dry_run = FALSE;", "=" },
        { "log_level = \"debug\";", "=log_level=7" },
        { "log_level = \"warn\";", "=log_level=4" },
        { "log_level = \"error\";", "=log_level=3" },
        { "state_dir = \"/srv/dockerclean\";", "=state_dir=/srv/dockerclean" },
        { "disk = { high_watermark = \"90.5%\"; low_watermark = \"80.25%\"; };",
          "=disk.high_watermark=90.5 disk.low_watermark=80.25" },
        { "disk = { high_watermark = \"100%\"; low_watermark = \"0%\"; };", "=disk.high_watermark=100 disk.low_watermark=0" },
        { "disk = { inode_high_watermark = \"99%\"; inode_low_watermark = \"98.5%\"; };",
          "=disk.inode_high_watermark=99 disk.inode_low_watermark=98.5" },
        /* min_free alone: clean until min_free is free again. */
        { "disk = { min_free = \"10G\"; };", "=disk.min_free=10737418240 disk.target_free=10737418240" },
        { "disk = { min_free = \"1.5G\"; target_free = \"20GB\"; };", "=disk.min_free=1610612736 disk.target_free=20000000000" },
        { "disk = { min_free = 1048576; };", "=disk.min_free=1048576 disk.target_free=1048576" },
        { "disk = { target_free = 12884901888L; };", "=disk.target_free=12884901888" },
        { "disk = { min_free = \"5G\"; target_free = \"5G\"; };", "=disk.min_free=5368709120 disk.target_free=5368709120" },
        { "disk = { min_free = 0; target_free = \"0\"; };", "=" },
        { "tiers = ( { type = \"unused-images\"; min_age = \"0\"; }, { type = \"unused-volumes\"; include_named = true; },"
          " { type = \"unused-networks\"; } );",
          "=tiers=unused-images:0,unused-volumes:604800:named,unused-networks:3600" },
        { "tiers = ( { type = \"build-cache\"; } );", "=tiers=build-cache:86400" },
        { "tiers = ( { type = \"unused-volumes\"; include_named = false; min_age = \"36h\"; } );", "=tiers=unused-volumes:129600" },
        { "tiers = ( );", "=tiers=" },
        { "tiers = [ ];", "=tiers=" },
        { "protect = { labels = [ ]; images = [ \"registry.example.com/base/*\", \"postgres:16*\" ]; };",
          "=protect_labels= protect_images=registry.example.com/base/*|postgres:16*" },
        { "protect = { labels = ( \"keep\", \"team=infra\" ); };", "=protect_labels=keep|team=infra" },
        { "max_removals = 50;", "=max_removals=50" },
        { "max_removals = 1000000L;", "=max_removals=1000000" },
        { "max_removals = 0x10;", "=max_removals=16" },
        { "metrics_file = \"/var/lib/node_exporter/dockerclean.prom\";", "=metrics_file=/var/lib/node_exporter/dockerclean.prom" },
        { "metrics_file = \"\";", "=" },

        /* Syntax, and libconfig's own checks. */
        { "interval = ", "t.conf:1: syntax error" },
        { "interval = \"1m\";\ndisk = {\n", "t.conf:2: syntax error" }, /* at the end of the last line */
        { "interval = \"1m\";\ndry_run = yes;", "t.conf:2: syntax error" },
        { "interval = \"1m\"; interval = \"2m\";", "t.conf:1: duplicate setting name" },
        { "protect = { labels = [ \"a\", 1 ]; };", "t.conf:1: mismatched element type in array" },
        { "\n\n@include \"/etc/passwd\"\n", "t.conf:3: @include is not supported" },

        /* Unknown keys, with the nearest known one. */
        { "disk = { high_watermak = \"85%\"; };", "t.conf:1: disk.high_watermak: unknown key; did you mean 'high_watermark'?" },
        { "Interval = \"1m\";", "t.conf:1: Interval: unknown key; did you mean 'interval'?" },
        { "high_watermark = \"85%\";", "t.conf:1: high_watermark: unknown key; did you mean 'disk.high_watermark'?" },
        { "disk = { interval = \"1m\"; };", "t.conf:1: disk.interval: unknown key; did you mean 'interval' at the top level?" },
        { "frobnicate = 1;", "t.conf:1: frobnicate: unknown key" },
        { "engine = { timout = \"1m\"; };", "t.conf:1: engine.timout: unknown key; did you mean 'timeout'?" },
        { "engine = { socket_owner = \"no-such-user-dc\"; };", "t.conf:1: engine.socket_owner: no user \"no-such-user-dc\"" },
        { "engine = { socket_owner = \"12x\"; };", "t.conf:1: engine.socket_owner: expected a user name or a uid, got \"12x\"" },
        { "engine = { socket_owner = 1000; };", "t.conf:1: engine.socket_owner: expected a user name or a uid" },
        { "engine = { socket_owner = \"4294967295\"; };",
          "t.conf:1: engine.socket_owner: expected a user name or a uid, got \"4294967295\"" },
        { "tiers = ( { type = \"build-cache\"; minage = \"1h\"; } );", "t.conf:1: tiers.[0].minage: unknown key; did you mean 'min_age'?" },
        { "interval = \"1m\";\ndisk = {\n  low_watermark = \"80%\";\n  high_watermark = \"85%\"\n"
          "  min_free = \"1G\" target_free = \"2G\";\n  junk = 1;\n};\n",
          "t.conf:6: disk.junk: unknown key" },

        /* Durations. */
        { "interval = 60;", "t.conf:1: interval: expected a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"" },
        { "interval = { };", "t.conf:1: interval: expected a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"" },
        { "interval = \"0\";", "t.conf:1: interval: \"0\" is out of range; must be between 1s and 24h" },
        { "interval = \"2d\";", "t.conf:1: interval: \"2d\" is out of range; must be between 1s and 24h" },
        { "interval = \"60\";", "t.conf:1: interval: invalid duration \"60\": missing unit; use s, m, h or d, like \"60s\"" },
        { "interval = \"1.5h\";",
          "t.conf:1: interval: invalid duration \"1.5h\": decimals are not allowed; combine units instead, like \"1h30m\"" },
        { "interval = \"30m1h\";",
          "t.conf:1: interval: invalid duration \"30m1h\": units must go from largest to smallest, each once, like \"1d12h\"" },
        { "interval = \"5min\";", "t.conf:1: interval: invalid duration \"5min\": unknown unit \"min\"; use s, m, h or d" },
        { "engine = { timeout = \"-1s\"; };",
          "t.conf:1: engine.timeout: invalid duration \"-1s\": negative durations are not allowed" },
        { "engine = { timeout = \"0s\"; };", "t.conf:1: engine.timeout: \"0s\" is out of range; must be between 1s and 24h" },
        { "tiers = ( { type = \"build-cache\"; min_age = \"400d\"; } );",
          "t.conf:1: tiers.[0].min_age: \"400d\" is out of range; must be between 0s and 365d" },

        /* Percents and watermarks. */
        { "disk = { high_watermark = 85; };", "t.conf:1: disk.high_watermark: expected a percentage string, like \"85%\"" },
        { "disk = { high_watermark = \"85\"; };", "t.conf:1: disk.high_watermark: invalid percentage \"85\": missing %; write \"85%\"" },
        { "disk = { high_watermark = \"101%\"; };",
          "t.conf:1: disk.high_watermark: invalid percentage \"101%\": out of range; must be between 0% and 100%" },
        { "disk = { high_watermark = \"85.125%\"; };",
          "t.conf:1: disk.high_watermark: invalid percentage \"85.125%\": at most two decimals are allowed" },
        { "disk = { low_watermark = \"90%\"; };", "t.conf:1: disk.low_watermark: must be below high_watermark (85%)" },
        { "disk = { high_watermark = \"70%\"; };", "t.conf:1: disk.high_watermark: must be above low_watermark (75%)" },
        { "disk = {\n  high_watermark = \"80%\";\n  low_watermark = \"80%\";\n};",
          "t.conf:3: disk.low_watermark: must be below high_watermark (80%)" },
        { "disk = { inode_low_watermark = \"95%\"; };",
          "t.conf:1: disk.inode_low_watermark: must be below inode_high_watermark (95%)" },
        { "disk = { inode_high_watermark = \"50.5%\"; };",
          "t.conf:1: disk.inode_high_watermark: must be above inode_low_watermark (90%)" },

        /* Sizes. */
        { "disk = { min_free = \"10G\";\n target_free = \"5G\"; };", "t.conf:2: disk.target_free: must be at least min_free (10G)" },
        { "disk = { min_free = \"10X\"; };",
          "t.conf:1: disk.min_free: invalid size \"10X\": unknown unit \"X\"; use K, M, G, T (powers of 1024, also KiB...TiB) or KB, MB, GB, TB (powers of 1000)" },
        { "disk = { min_free = \"-1G\"; };", "t.conf:1: disk.min_free: invalid size \"-1G\": negative sizes are not allowed" },
        { "disk = { min_free = -1; };", "t.conf:1: disk.min_free: negative sizes are not allowed" },
        /* libconfig alone would read 12884901888 (12 GiB) as 0 and 4294967297 as 1. */
        { "disk = { min_free = 12884901888; };",
          "t.conf:1: disk.min_free: 12884901888 is out of libconfig's 32-bit integer range; write it as a string (\"12884901888\") or with an L suffix" },
        { "max_removals = 4294967297;",
          "t.conf:1: max_removals: 4294967297 is out of libconfig's 32-bit integer range; write it as a string (\"4294967297\") or with an L suffix" },
        { "disk = { min_free = 99999999999999999999L; };",
          "t.conf:1: disk.min_free: 99999999999999999999L is out of the 64-bit integer range" },
        { "disk = { min_free = 1.5; };", "t.conf:1: disk.min_free: expected a size: a string like \"10G\", or a whole number of bytes" },
        { "disk = { min_free = \"1.5\"; };",
          "t.conf:1: disk.min_free: invalid size \"1.5\": a plain byte count must be a whole number; add a unit, like \"1.5G\"" },
        { "disk = { min_free = \"20000000T\"; };", "t.conf:1: disk.min_free: invalid size \"20000000T\": too large" },
        { "disk = { min_free = \"10 G\"; };", "t.conf:1: disk.min_free: invalid size \"10 G\": spaces are not allowed" },

        /* Groups and lists. */
        { "disk = \"full\";", "t.conf:1: disk: expected a group, like disk = { ... };" },
        { "tiers = { type = \"build-cache\"; };",
          "t.conf:1: tiers: expected a list of tiers, like ( { type = \"stopped-containers\"; min_age = \"1h\"; } )" },
        { "tiers = ( \"build-cache\" );", "t.conf:1: tiers.[0]: expected a tier, like { type = \"build-cache\"; min_age = \"24h\"; }" },
        { "tiers = ( { type = \"build-cach\"; } );", "t.conf:1: tiers.[0].type: unknown tier type \"build-cach\"; did you mean \"build-cache\"?" },
        { "tiers = ( { type = \"everything\"; } );",
          "t.conf:1: tiers.[0].type: unknown tier type \"everything\"; use stopped-containers, dangling-images, build-cache, unused-images, unused-volumes or unused-networks" },
        { "tiers = (\n  { type = \"build-cache\"; },\n  { type = \"dangling-images\"; },\n  { type = \"build-cache\"; }\n);",
          "t.conf:4: tiers.[2].type: duplicate tier type \"build-cache\"; tiers.[0] has it already" },
        { "tiers = ( { min_age = \"1h\"; } );", "t.conf:1: tiers.[0]: missing key 'type'" },
        { "tiers = ( { type = \"dangling-images\"; include_named = true; } );",
          "t.conf:1: tiers.[0].include_named: only the \"unused-volumes\" tier takes include_named" },
        { "tiers = ( { type = \"unused-volumes\"; include_named = \"yes\"; } );",
          "t.conf:1: tiers.[0].include_named: expected true or false" },

        /* Scalars and strings. */
        { "dry_run = \"yes\";", "t.conf:1: dry_run: expected true or false" },
        { "dry_run = 1;", "t.conf:1: dry_run: expected true or false" },
        { "log_level = \"verbose\";", "t.conf:1: log_level: unknown log level \"verbose\"; use debug, info, notice, warning or err" },
        { "log_level = 7;", "t.conf:1: log_level: expected a string: \"debug\", \"info\", \"notice\", \"warning\" or \"err\"" },
        { "state_dir = \"var/lib/dockerclean\";", "t.conf:1: state_dir: expected an absolute path" },
        { "state_dir = \"\";", "t.conf:1: state_dir: expected an absolute path" },
        { "metrics_file = \"dockerclean.prom\";", "t.conf:1: metrics_file: expected an absolute path, or \"\" for off" },
        { "engine = { socket = \"docker.sock\"; };",
          "t.conf:1: engine.socket: expected an absolute socket path, \"unix://PATH\" or \"tcp://HOST:PORT\"" },
        { "engine = { socket = \"unix://run/docker.sock\"; };", "t.conf:1: engine.socket: the socket path must be absolute" },
        { "engine = { socket = \"tcp://localhost\"; };", "t.conf:1: engine.socket: expected tcp://HOST:PORT" },
        { "engine = { socket = \"tcp://localhost:99999\"; };",
          "t.conf:1: engine.socket: expected tcp://HOST:PORT with a port between 1 and 65535" },
        { "engine = { socket = \"/a/very/long/path/that/is/longer/than/what/fits/in/the/sun_path/of/a/struct/sockaddr_un/which/holds/108/bytes.sock\"; };",
          "t.conf:1: engine.socket: socket path too long (at most 107 bytes)" },
        { "max_removals = 0;", "t.conf:1: max_removals: 0 is out of range; must be between 1 and 1000000" },
        { "max_removals = 1000001;", "t.conf:1: max_removals: 1000001 is out of range; must be between 1 and 1000000" },
        { "max_removals = \"10\";", "t.conf:1: max_removals: expected a whole number, like 1000" },
        { "protect = { labels = [ \"=x\" ]; };", "t.conf:1: protect.labels.[0]: empty label key; expected \"key\" or \"key=value\"" },
        { "protect = { labels = [ \"a\", \"\" ]; };", "t.conf:1: protect.labels.[1]: empty string" },
        { "protect = { labels = \"keep\"; };", "t.conf:1: protect.labels: expected a list of strings, like [ \"a\", \"b\" ]" },
        { "protect = { images = [ \"a b\" ]; };", "t.conf:1: protect.images.[0]: image references contain no spaces" },
        { "protect = { labels = [ \"a\\nb\" ]; };", "t.conf:1: protect.labels.[0]: contains a control character" },
        { "disk = { paths = [ \"var/lib/containerd\" ]; };", "t.conf:1: disk.paths.[0]: the path must be absolute" },
        { "disk = { paths = [ \"/\",\n  \"/no/such/dockerclean/path\" ]; };",
          "t.conf:2: disk.paths.[1]: /no/such/dockerclean/path: No such file or directory" },
        { "disk = { paths = [ \"/\", \"/\", \"/\", \"/\", \"/\", \"/\", \"/\", \"/tmp\" ]; };", "t.conf:1: disk.paths.[7]: at most 7 paths" },
        { "disk = { paths = \"/var/lib/containerd\"; };", "t.conf:1: disk.paths: expected a list of strings, like [ \"a\", \"b\" ]" },
};

START_TEST(test_table) {
        const struct config_case *t = &cases[_i];
        struct config c, sentinel;
        struct config_error e = {};
        int r;

        memset(&c, 0xa5, sizeof c);
        memcpy(&sentinel, &c, sizeof c);
        r = config_parse_string(t->text, "t.conf", &c, &e);
        if (t->want[0] == '=') {
                ck_assert_msg(r == 0, "input: %s\nunexpected error: %s", t->text, e.text);
                char *got = describe(&c);
                ck_assert_msg(streq(got, t->want + 1), "input: %s\nwant: %s\ngot:  %s", t->text, t->want + 1, got);
                free(got);
                assert_round_trip(&c, t->text);
                config_done(&c);
        } else {
                ck_assert_msg(r == -EINVAL, "input: %s\nwant error: %s\ngot r=%d", t->text, t->want, r);
                ck_assert_msg(streq(e.text, t->want), "input: %s\nwant: %s\ngot:  %s", t->text, t->want, e.text);
                ck_assert_str_eq(e.file, "t.conf");
                assert_error_consistent(&e);
                /* ret_* is set only on success. */
                ck_assert(memcmp(&c, &sentinel, sizeof c) == 0);
        }
}
END_TEST

START_TEST(test_table_is_big_enough) {
        size_t good = 0, bad = 0;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (cases[i].want[0] == '=')
                        good++;
                else
                        bad++;
        ck_assert_uint_ge(good + bad, 40);
        ck_assert_uint_ge(good, 15);
        ck_assert_uint_ge(bad, 25);
}
END_TEST

START_TEST(test_error_without_error_struct) {
        struct config c;
        ck_assert_int_eq(config_parse_string("interval = 1;", "x", &c, NULL), -EINVAL);
        ck_assert_int_eq(config_parse_string("interval = \"1s\";", NULL, &c, NULL), 0);
        config_done(&c);
        config_done(&c); /* safe twice */

        struct config_error e;
        ck_assert_int_eq(config_parse_string("x = 1;", NULL, &c, &e), -EINVAL);
        ck_assert_str_eq(e.text, "<string>:1: x: unknown key");
}
END_TEST

/* ---- value parsers ---------------------------------------------------------------------------- */

static const struct {
        const char *s;
        int r;
        uint64_t v;
} size_cases[] = {
        { "0", 0, 0 },
        { "00", 0, 0 },
        { "1", 0, 1 },
        { "1024", 0, 1024 },
        { "1K", 0, 1024 },
        { "1KiB", 0, 1024 },
        { "1KB", 0, 1000 },
        { "10M", 0, 10485760 },
        { "10MiB", 0, 10485760 },
        { "10MB", 0, 10000000 },
        { "1.5G", 0, 1610612736 },
        { "1.5GiB", 0, 1610612736 },
        { "1.5GB", 0, 1500000000 },
        { "10G", 0, UINT64_C(10737418240) },
        { "2T", 0, UINT64_C(2199023255552) },
        { "2TiB", 0, UINT64_C(2199023255552) },
        { "2TB", 0, UINT64_C(2000000000000) },
        { "0.5K", 0, 512 },
        { "1.3K", 0, 1331 }, /* 1331.2: the fraction of a byte is dropped */
        { "0.000000001T", 0, 1099 },
        { "18446744073709551615", 0, UINT64_MAX },
        { "15.999999999T", 0, UINT64_C(17592186043316) }, /* 17592186043316.49 */
        { "16777215T", 0, UINT64_C(16777215) << 40 },
        { "18446744073709551616", -ERANGE, 0 },
        { "16777216T", -ERANGE, 0 },
        { "99999999999999999999999K", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "-1", -EINVAL, 0 },
        { "-1G", -EINVAL, 0 },
        { "+1", -EINVAL, 0 },
        { "1.5", -EINVAL, 0 },
        { "1.G", -EINVAL, 0 },
        { ".5G", -EINVAL, 0 },
        { "1.0000000001G", -EINVAL, 0 },
        { "1 G", -EINVAL, 0 },
        { " 1G", -EINVAL, 0 },
        { "1G ", -EINVAL, 0 },
        { "1g", -EINVAL, 0 },
        { "1Gi", -EINVAL, 0 },
        { "1GG", -EINVAL, 0 },
        { "1B", -EINVAL, 0 },
        { "abc", -EINVAL, 0 },
        { "0x10", -EINVAL, 0 },
        { "1e3", -EINVAL, 0 },
        { "G", -EINVAL, 0 },
};

START_TEST(test_parse_size) {
        uint64_t v = 12345;
        int r = config_parse_size(size_cases[_i].s, &v);
        ck_assert_msg(r == size_cases[_i].r, "\"%s\": want r=%d, got %d", size_cases[_i].s, size_cases[_i].r, r);
        if (r == 0)
                ck_assert_msg(v == size_cases[_i].v, "\"%s\": want %" PRIu64 ", got %" PRIu64, size_cases[_i].s, size_cases[_i].v, v);
        else
                ck_assert_uint_eq(v, 12345);
}
END_TEST

static const struct {
        const char *s;
        int r;
        uint64_t v;
} duration_cases[] = {
        { "0", 0, 0 },
        { "00", 0, 0 },
        { "0s", 0, 0 },
        { "30s", 0, 30 },
        { "15m", 0, 900 },
        { "24h", 0, 86400 },
        { "7d", 0, 604800 },
        { "1h30m", 0, 5400 },
        { "90m", 0, 5400 },
        { "1d12h", 0, 129600 },
        { "1d1h1m1s", 0, 90061 },
        { "1h90m", 0, 9000 },
        { "18446744073709551615s", 0, UINT64_MAX },
        { "213503982334601d", 0, UINT64_C(213503982334601) * 86400 },
        { "18446744073709551616s", -ERANGE, 0 },
        { "213503982334602d", -ERANGE, 0 },
        { "213503982334601d7h15s", 0, UINT64_MAX },
        { "213503982334601d7h16s", -ERANGE, 0 },
        { "213503982334601d23h59m59s", -ERANGE, 0 },
        { "", -EINVAL, 0 },
        { "-1s", -EINVAL, 0 },
        { "1", -EINVAL, 0 },
        { "60", -EINVAL, 0 },
        { "1h0", -EINVAL, 0 },
        { "1.5h", -EINVAL, 0 },
        { "30m1h", -EINVAL, 0 },
        { "1h1h", -EINVAL, 0 },
        { "1x", -EINVAL, 0 },
        { "5min", -EINVAL, 0 },
        { "1ms", -EINVAL, 0 },
        { "1H", -EINVAL, 0 },
        { "1 h", -EINVAL, 0 },
        { "1h 30m", -EINVAL, 0 },
        { "h", -EINVAL, 0 },
        { "1h-", -EINVAL, 0 },
        { "abc", -EINVAL, 0 },
        { "+1s", -EINVAL, 0 },
};

START_TEST(test_parse_duration) {
        uint64_t v = 12345;
        int r = config_parse_duration(duration_cases[_i].s, &v);
        ck_assert_msg(r == duration_cases[_i].r, "\"%s\": want r=%d, got %d", duration_cases[_i].s, duration_cases[_i].r, r);
        if (r == 0)
                ck_assert_msg(v == duration_cases[_i].v, "\"%s\": want %" PRIu64 ", got %" PRIu64, duration_cases[_i].s,
                              duration_cases[_i].v, v);
        else
                ck_assert_uint_eq(v, 12345);
}
END_TEST

static const struct {
        const char *s;
        int r;
        double v;
} percent_cases[] = {
        { "0%", 0, 0.0 },
        { "85%", 0, 85.0 },
        { "085%", 0, 85.0 },
        { "100%", 0, 100.0 },
        { "100.00%", 0, 100.0 },
        { "85.5%", 0, 85.5 },
        { "85.25%", 0, 85.25 },
        { "0.01%", 0, 0.01 },
        { "101%", -ERANGE, 0 },
        { "100.01%", -ERANGE, 0 },
        { "99999999999999999999%", -ERANGE, 0 },
        { "85", -EINVAL, 0 },
        { "85.5", -EINVAL, 0 },
        { "", -EINVAL, 0 },
        { "%", -EINVAL, 0 },
        { "abc", -EINVAL, 0 },
        { "-1%", -EINVAL, 0 },
        { "85.123%", -EINVAL, 0 },
        { "85.%", -EINVAL, 0 },
        { ".5%", -EINVAL, 0 },
        { "85 %", -EINVAL, 0 },
        { "85%%", -EINVAL, 0 },
        { "1e2%", -EINVAL, 0 },
        { "0.85", -EINVAL, 0 },
        { "nan%", -EINVAL, 0 },
};

START_TEST(test_parse_percent) {
        double v = -7;
        int r = config_parse_percent(percent_cases[_i].s, &v);
        ck_assert_msg(r == percent_cases[_i].r, "\"%s\": want r=%d, got %d", percent_cases[_i].s, percent_cases[_i].r, r);
        if (r == 0)
                ck_assert_msg(v == percent_cases[_i].v, "\"%s\": want %g, got %g", percent_cases[_i].s, percent_cases[_i].v, v);
        else
                ck_assert(v == -7);
}
END_TEST

START_TEST(test_format_values) {
        static const struct {
                uint64_t v;
                const char *s;
        } sizes[] = {
                { 0, "0" }, { 1, "1" }, { 1000, "1KB" }, { 1024, "1K" }, { 1536, "1536" }, { 10485760, "10M" },
                { UINT64_C(10737418240), "10G" }, { UINT64_C(20000000000), "20GB" }, { UINT64_C(1099511627776), "1T" },
                { UINT64_C(1000000000000), "1TB" }, { 1024000, "1000K" }, { UINT64_MAX, "18446744073709551615" },
        };
        static const struct {
                uint64_t v;
                const char *s;
        } durations[] = {
                { 0, "0s" }, { 1, "1s" }, { 60, "1m" }, { 600, "10m" }, { 5400, "1h30m" }, { 86400, "24h" },
                { 129600, "36h" }, { 172800, "2d" }, { 604800, "7d" }, { 90061, "25h1m1s" }, { 266461, "3d2h1m1s" },
                { UINT64_MAX, "213503982334601d7h15s" },
        };
        static const struct {
                double v;
                const char *s;
        } percents[] = {
                { 0, "0%" }, { 85, "85%" }, { 85.5, "85.5%" }, { 85.25, "85.25%" }, { 0.01, "0.01%" }, { 100, "100%" },
        };
        char buf[CONFIG_VALUE_STRING_MAX];

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
                ck_assert_str_eq(config_format_size(sizes[i].v, buf), sizes[i].s);
        for (size_t i = 0; i < ELEMENTSOF(durations); i++)
                ck_assert_str_eq(config_format_duration(durations[i].v, buf), durations[i].s);
        for (size_t i = 0; i < ELEMENTSOF(percents); i++)
                ck_assert_str_eq(config_format_percent(percents[i].v, buf), percents[i].s);
        ck_assert_str_eq(config_format_percent(NAN, buf), "invalid");
        ck_assert_str_eq(config_format_percent(100.5, buf), "invalid");
}
END_TEST

/* Every canonical spelling reads back to exactly the value it came from. */
START_TEST(test_format_parse_round_trip) {
        char buf[CONFIG_VALUE_STRING_MAX];

        for (unsigned h = 0; h <= 10000; h++) {
                double v = h / 100.0, back = -1;
                ck_assert_int_eq(config_parse_percent(config_format_percent(v, buf), &back), 0);
                ck_assert_msg(back == v, "%u: %s -> %.17g", h, buf, back);
        }
        for (unsigned shift = 0; shift < 64; shift++)
                for (uint64_t k = 1; k <= 9; k++) {
                        uint64_t vs[] = { k << shift, (k << shift) - 1, (k << shift) + 1, k * 1000 * (UINT64_C(1) << (shift % 40)) };
                        for (size_t i = 0; i < ELEMENTSOF(vs); i++) {
                                uint64_t back = 1, sec = 1;
                                ck_assert_int_eq(config_parse_size(config_format_size(vs[i], buf), &back), 0);
                                ck_assert_msg(back == vs[i], "%" PRIu64 ": %s -> %" PRIu64, vs[i], buf, back);
                                ck_assert_int_eq(config_parse_duration(config_format_duration(vs[i], buf), &sec), 0);
                                ck_assert_msg(sec == vs[i], "%" PRIu64 ": %s -> %" PRIu64, vs[i], buf, sec);
                        }
                }
}
END_TEST

START_TEST(test_names) {
        for (int t = 0; t < _CONFIG_TIER_MAX; t++)
                ck_assert_int_eq(config_tier_type_from_string(config_tier_type_to_string((enum config_tier_type) t)), t);
        ck_assert_str_eq(config_tier_type_to_string(CONFIG_TIER_BUILD_CACHE), "build-cache");
        ck_assert_ptr_null(config_tier_type_to_string(_CONFIG_TIER_MAX));
        ck_assert_int_eq(config_tier_type_from_string("Build-Cache"), -EINVAL);
        ck_assert_int_eq(config_tier_type_from_string(""), -EINVAL);

        ck_assert_int_eq(config_log_level_from_string("debug"), LOG_DEBUG);
        ck_assert_int_eq(config_log_level_from_string("info"), LOG_INFO);
        ck_assert_int_eq(config_log_level_from_string("notice"), LOG_NOTICE);
        ck_assert_int_eq(config_log_level_from_string("warning"), LOG_WARNING);
        ck_assert_int_eq(config_log_level_from_string("warn"), LOG_WARNING);
        ck_assert_int_eq(config_log_level_from_string("err"), LOG_ERR);
        ck_assert_int_eq(config_log_level_from_string("error"), LOG_ERR);
        ck_assert_int_eq(config_log_level_from_string("crit"), -EINVAL);
        ck_assert_str_eq(config_log_level_to_string(LOG_WARNING), "warning");
        ck_assert_str_eq(config_log_level_to_string(LOG_ERR), "err");
        ck_assert_ptr_null(config_log_level_to_string(LOG_CRIT));
}
END_TEST

/* ---- the scanner behind the integer check ----------------------------------------------------- */

START_TEST(test_scan_int_literals) {
        const char *text = "a = 1; b = \"2 \\\" 3\"; /* 4\n */ c = ( -2147483648, 2147483648, 0x7fffffff, 0x80000000 );\n"
                           "d = [ 5L, 9223372036854775807L, 9223372036854775808L, -9223372036854775808L ]; # 6\n"
                           "e = 1.5; f = .5e3; g = x-7; h = 0xffL; i = +7; j = 1e5; // 8\n";
        struct config_int_literal *l = NULL;
        size_t n = 0;

        ck_assert_int_eq(config_scan_int_literals(text, &l, &n), 0);
        ck_assert_uint_eq(n, 11);
        static const struct {
                unsigned line;
                bool is_int64, in_range;
                int64_t value;
                const char *literal;
        } want[] = {
                { 1, false, true, 1, "1" },
                { 2, false, true, INT32_MIN, "-2147483648" },
                { 2, false, false, 0, "2147483648" },
                { 2, false, true, INT32_MAX, "0x7fffffff" },
                { 2, false, false, 0, "0x80000000" },
                { 3, true, true, 5, "5L" },
                { 3, true, true, INT64_MAX, "9223372036854775807L" },
                { 3, true, false, 0, "9223372036854775808L" },
                { 3, true, true, INT64_MIN, "-9223372036854775808L" },
                { 4, true, true, 255, "0xffL" },
                { 4, false, true, 7, "+7" },
        };
        for (size_t i = 0; i < n; i++) {
                ck_assert_uint_eq(l[i].line, want[i].line);
                ck_assert_int_eq(l[i].is_int64, want[i].is_int64);
                ck_assert_int_eq(l[i].in_range, want[i].in_range);
                if (want[i].in_range)
                        ck_assert_int_eq(l[i].value, want[i].value);
                ck_assert_uint_eq(l[i].length, strlen(want[i].literal));
                ck_assert(strncmp(text + l[i].offset, want[i].literal, l[i].length) == 0);
        }
        free(l);

        ck_assert_int_eq(config_scan_int_literals("", &l, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_scan_include) {
        ck_assert_uint_eq(config_scan_find_include("a = 1;\n@include \"x\"\n"), 2);
        ck_assert_uint_eq(config_scan_find_include(" \t@include \"x\""), 1);
        ck_assert_uint_eq(config_scan_find_include("a = \"@include\";\n# @include \"x\"\n"), 0);
        ck_assert_uint_eq(config_scan_find_include(""), 0);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------------------ */

START_TEST(test_round_trip_defaults) {
        struct config d;
        ck_assert_int_eq(config_init_defaults(&d), 0);
        assert_round_trip(&d, "defaults");

        /* The defaults print as the schema spells them. */
        char *printed = print_to_string(&d);
        ck_assert_ptr_nonnull(strstr(printed, "  timeout = \"10m\";\n"));
        ck_assert_ptr_nonnull(strstr(printed, "interval = \"1m\";\n"));
        ck_assert_ptr_nonnull(strstr(printed, "  high_watermark = \"85%\";\n"));
        ck_assert_ptr_nonnull(strstr(printed, "  { type = \"build-cache\"; min_age = \"24h\"; }"));
        ck_assert_ptr_nonnull(strstr(printed, "  labels = [ \"dockerclean.keep\" ];\n"));
        ck_assert_ptr_null(strstr(printed, "  socket ="));
        free(printed);
        config_done(&d);
}
END_TEST

START_TEST(test_round_trip_non_default) {
        static const char *const texts[] = {
                "engine = { socket = \"unix:///run/docker.sock\"; timeout = \"1h30m\"; };\n"
                "interval = \"45s\"; state_dir = \"/srv/dc\"; dry_run = true; log_level = \"err\";\n"
                "disk = { high_watermark = \"92.75%\"; low_watermark = \"0.01%\"; min_free = \"1.5G\"; target_free = \"3GB\";\n"
                "         inode_high_watermark = \"100%\"; inode_low_watermark = \"0%\"; };\n"
                "tiers = ( { type = \"unused-networks\"; min_age = \"0\"; }, { type = \"unused-volumes\"; include_named = true; },\n"
                "          { type = \"stopped-containers\"; min_age = \"365d\"; } );\n"
                "protect = { labels = [ ]; images = [ \"a/*\", \"b:[0-9]*\" ]; };\n"
                "max_removals = 1; metrics_file = \"/run/dockerclean.prom\";\n",
                "disk = { paths = [ \"/tmp\", \"/\" ]; };",
                "tiers = ( );",
                "disk = { min_free = 1; target_free = 18446744073709551615; };",
                /* Strings that need escaping, and UTF-8. */
                "state_dir = \"/srv/a \\\"quoted\\\" \\\\ back\\\\slash/caf\xc3\xa9\"; protect = { labels = [ \"k=v \\\"x\\\"\" ]; };",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                struct config c;
                struct config_error e;
                int r = config_parse_string(texts[i], "rt.conf", &c, &e);
                /* the fourth wants a value libconfig cannot hold: that one must be refused */
                if (i == 3) {
                        ck_assert_int_eq(r, -EINVAL);
                        ck_assert_str_eq(e.text, "rt.conf:1: disk.target_free: 18446744073709551615 is out of libconfig's 32-bit integer range; "
                                                 "write it as a string (\"18446744073709551615\") or with an L suffix");
                        continue;
                }
                ck_assert_msg(r == 0, "%s", e.text);
                ck_assert(!config_equal(&c, &(struct config) {}));
                assert_round_trip(&c, texts[i]);
                config_done(&c);
        }

        /* A struct built in code: every tier, the largest values, NULL lists. */
        struct config c;
        ck_assert_int_eq(config_init_defaults(&c), 0);
        strv_freep(&c.protect_labels);
        strv_freep(&c.protect_images);
        c.protect_labels = c.protect_images = NULL;
        c.n_tiers = 0;
        for (int t = _CONFIG_TIER_MAX - 1; t >= 0; t--)
                c.tiers[c.n_tiers++] = (struct config_tier) { .type = (enum config_tier_type) t, .min_age_sec = 365 * 86400 };
        c.tiers[1].include_named = true; /* unused-volumes */
        c.disk.min_free = UINT64_MAX - 1;
        c.disk.target_free = UINT64_MAX;
        c.engine_timeout_sec = 86400;
        c.max_removals = 1000000;
        c.engine_socket = strdup("tcp://dockerd.example.com:2376");
        assert_round_trip(&c, "built in code");
        config_done(&c);
}
END_TEST

START_TEST(test_print_refuses_invalid) {
        struct config c;
        FILE *f = fopen("/dev/null", "w");

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(config_init_defaults(&c), 0);
        c.disk.low_watermark = NAN;
        ck_assert_int_eq(config_print(&c, f), -EINVAL);
        c.disk.low_watermark = 75;
        c.log_level = 42;
        ck_assert_int_eq(config_print(&c, f), -EINVAL);
        c.log_level = LOG_INFO;
        c.tiers[0].type = _CONFIG_TIER_MAX;
        ck_assert_int_eq(config_print(&c, f), -EINVAL);
        c.tiers[0].type = CONFIG_TIER_STOPPED_CONTAINERS;
        ck_assert_int_eq(config_print(&c, f), 0);
        fclose(f);
        config_done(&c);
}
END_TEST

START_TEST(test_equal) {
        struct config a, b;

        ck_assert_int_eq(config_init_defaults(&a), 0);
        ck_assert_int_eq(config_init_defaults(&b), 0);
        ck_assert(config_equal(&a, &b));
        ck_assert(!config_equal(&a, NULL));

#define DIFFERS(stmt)                                                   \
        do {                                                            \
                stmt;                                                   \
                ck_assert_msg(!config_equal(&a, &b), "equal after " #stmt); \
                config_done(&b);                                        \
                ck_assert_int_eq(config_init_defaults(&b), 0);          \
        } while (0)
        DIFFERS(b.engine_socket = strdup("/x"));
        DIFFERS(b.engine_timeout_sec++);
        DIFFERS(b.interval_sec++);
        DIFFERS(b.state_dir[1] = 'X');
        DIFFERS(b.dry_run = true);
        DIFFERS(b.log_level = LOG_DEBUG);
        DIFFERS(b.disk.high_watermark = 85.01);
        DIFFERS(b.disk.low_watermark = 75.01);
        DIFFERS(b.disk.min_free = 1);
        DIFFERS(b.disk.target_free = 1);
        DIFFERS(b.disk.inode_high_watermark = 95.01);
        DIFFERS(b.disk.inode_low_watermark = 90.01);
        DIFFERS(b.n_tiers--);
        DIFFERS(b.tiers[3].type = CONFIG_TIER_UNUSED_VOLUMES);
        DIFFERS(b.tiers[0].min_age_sec++);
        DIFFERS(b.tiers[0].include_named = true);
        DIFFERS(b.protect_labels[0][0] = 'X');
        DIFFERS(free(b.protect_labels[0]); b.protect_labels[0] = NULL);
        DIFFERS(b.max_removals++);
        DIFFERS(b.metrics_file = strdup("/m"));
#undef DIFFERS

        /* NULL and empty mean the same for the lists and the metrics file. */
        strv_freep(&b.protect_images);
        b.protect_images = NULL;
        b.metrics_file = strdup("");
        ck_assert(config_equal(&a, &b));
        config_done(&a);
        config_done(&b);
}
END_TEST

/* ---- the shipped file ------------------------------------------------------------------------- */

static char *shipped_path(void) {
        const char *src = getenv("DOCKERCLEAN_SOURCE_DIR");
        char *p = NULL;

        dctest_require(src && *src, "DOCKERCLEAN_SOURCE_DIR is not set (run through ctest)");
        ck_assert_int_ge(asprintf(&p, "%s/conf/dockerclean.conf", src), 0);
        return p;
}

static char *read_all(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;

        ck_assert_msg(f, "%s: %m", path);
        ck_assert_int_ne(getdelim(&buf, &len, 0, f), -1);
        fclose(f);
        return buf;
}

START_TEST(test_shipped_conf_is_defaults) {
        _cleanup_free_ char *path = shipped_path();
        struct config c, d;
        struct config_error e;

        ck_assert_int_eq(config_init_defaults(&d), 0);
        ck_assert_msg(config_parse_file(path, &c, &e) == 0, "%s", e.text);
        ck_assert(config_equal(&c, &d));
        config_done(&c);
        config_done(&d);
}
END_TEST

/* The commented-out values are the defaults: uncommenting every one of them (lines "#key = ..." and the
 * tier lines "#  { ... }"; prose is "# text") must still give the defaults, and name every key. */
START_TEST(test_shipped_conf_commented_values_are_defaults) {
        _cleanup_free_ char *path = shipped_path();
        _cleanup_free_ char *text = read_all(path);
        _cleanup_free_ char *out = malloc(strlen(text) + 1);
        size_t n = 0, uncommented = 0;
        struct config c, d;
        struct config_error e;

        ck_assert_ptr_nonnull(out);
        for (char *line = text; *line;) {
                char *end = strchrnul(line, '\n');
                size_t indent = strspn(line, " \t");
                char *hash = line + indent;
                bool code = *hash == '#' && hash + 1 < end && hash[1] != ' ' && hash[1] != '#';
                bool tier = *hash == '#' && hash[1 + strspn(hash + 1, " ")] == '{';

                if (code || tier) {
                        memcpy(out + n, line, indent);
                        n += indent;
                        memcpy(out + n, hash + 1, (size_t) (end - hash - 1));
                        n += (size_t) (end - hash - 1);
                        uncommented++;
                } else {
                        memcpy(out + n, line, (size_t) (end - line));
                        n += (size_t) (end - line);
                }
                if (*end)
                        out[n++] = '\n';
                line = *end ? end + 1 : end;
        }
        out[n] = 0;

        ck_assert_int_eq(config_init_defaults(&d), 0);
        ck_assert_msg(config_parse_string(out, "uncommented", &c, &e) == 0, "%s\n%s", e.text, out);
        /* engine.socket's documented value is the fallback, which the struct spells as "not set". */
        ck_assert_str_eq(c.engine_socket, "/var/run/docker.sock");
        free(c.engine_socket);
        c.engine_socket = NULL;
        ck_assert(config_equal(&c, &d));
        config_done(&c);
        config_done(&d);

        static const char *const keys[] = {
                "socket", "socket_owner", "timeout", "interval", "state_dir", "dry_run", "log_level", "high_watermark", "low_watermark",
                "min_free", "target_free", "inode_high_watermark", "inode_low_watermark", "tiers", "labels", "images",
                "max_removals", "metrics_file",
        };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char needle[64];
                snprintf(needle, sizeof needle, "\n%s = ", keys[i]);
                bool found = strstr(out, needle);
                snprintf(needle, sizeof needle, "  %s = ", keys[i]);
                found = found || strstr(out, needle);
                ck_assert_msg(found, "%s is not shipped in conf/dockerclean.conf", keys[i]);
        }
        ck_assert_uint_ge(uncommented, ELEMENTSOF(keys) + 5);
}
END_TEST

/* ---- files ------------------------------------------------------------------------------------ */

static char *tmpdir(void) {
        char *d = strdup("/tmp/test_config.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static char *write_file(const char *dir, const char *name, const char *data, size_t len) {
        char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
        return p;
}

START_TEST(test_files) {
        _cleanup_free_ char *dir = tmpdir();
        struct config c;
        struct config_error e;
        char want[1024];

        /* Missing: -ENOENT, with the error filled in (the daemon decides what a missing default means). */
        _cleanup_free_ char *missing = NULL;
        ck_assert_int_ge(asprintf(&missing, "%s/missing.conf", dir), 0);
        ck_assert_int_eq(config_parse_file(missing, &c, &e), -ENOENT);
        snprintf(want, sizeof want, "%s: cannot open: No such file or directory", missing);
        ck_assert_str_eq(e.text, want);
        ck_assert_int_eq(e.line, 0);
        ck_assert_str_eq(e.key, "");
        assert_error_consistent(&e);

        ck_assert_int_eq(config_parse_file(dir, &c, &e), -EISDIR);
        snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
        ck_assert_str_eq(e.text, want);

        /* A good file, whose last line is a comment without a newline. */
        static const char good[] = "# test\ndisk = {\n  min_free = \"2G\";\n};\n# the end";
        _cleanup_free_ char *good_path = write_file(dir, "good.conf", good, sizeof good - 1);
        ck_assert_int_eq(config_parse_file(good_path, &c, &e), 0);
        ck_assert_uint_eq(c.disk.min_free, UINT64_C(2) << 30);
        config_done(&c);

        /* A UTF-8 byte order mark is skipped. */
        static const char bom[] = "\xef\xbb\xbfinterval = \"2m\";\n";
        _cleanup_free_ char *bom_path = write_file(dir, "bom.conf", bom, sizeof bom - 1);
        ck_assert_int_eq(config_parse_file(bom_path, &c, &e), 0);
        ck_assert_uint_eq(c.interval_sec, 120);
        config_done(&c);

        /* Errors name the file and the line. */
        static const char bad[] = "# test\n\ndisk = {\n  min_free = \"2Q\";\n};\n";
        _cleanup_free_ char *bad_path = write_file(dir, "bad.conf", bad, sizeof bad - 1);
        ck_assert_int_eq(config_parse_file(bad_path, &c, &e), -EINVAL);
        snprintf(want, sizeof want,
                 "%s:4: disk.min_free: invalid size \"2Q\": unknown unit \"Q\"; use K, M, G, T (powers of 1024, also KiB...TiB) or KB, MB, GB, TB (powers of 1000)",
                 bad_path);
        ck_assert_str_eq(e.text, want);
        ck_assert_int_eq(e.line, 4);
        ck_assert_str_eq(e.key, "disk.min_free");

        static const char syntax[] = "interval = \"1m\";\ndisk = {\n  min_free = \"2G\";\n  ;\n};\n";
        _cleanup_free_ char *syntax_path = write_file(dir, "syntax.conf", syntax, sizeof syntax - 1);
        ck_assert_int_eq(config_parse_file(syntax_path, &c, &e), -EINVAL);
        snprintf(want, sizeof want, "%s:4: syntax error", syntax_path);
        ck_assert_str_eq(e.text, want);

        static const char nul[] = "interval = \"1m\";\nstate_dir = \"/x\0y\";\n";
        _cleanup_free_ char *nul_path = write_file(dir, "nul.conf", nul, sizeof nul - 1);
        ck_assert_int_eq(config_parse_file(nul_path, &c, &e), -EINVAL);
        snprintf(want, sizeof want, "%s:2: contains a NUL byte; is this a text file?", nul_path);
        ck_assert_str_eq(e.text, want);

        /* More than 1 MiB is not a config file. */
        size_t big_len = 1024 * 1024 + 1;
        _cleanup_free_ char *big = malloc(big_len);
        ck_assert_ptr_nonnull(big);
        memset(big, '\n', big_len);
        _cleanup_free_ char *big_path = write_file(dir, "big.conf", big, big_len);
        ck_assert_int_eq(config_parse_file(big_path, &c, &e), -EFBIG);
        snprintf(want, sizeof want, "%s: cannot read: File too large", big_path);
        ck_assert_str_eq(e.text, want);
        /* ... but exactly 1 MiB (of newlines) is. */
        ck_assert_int_eq(truncate(big_path, 1024 * 1024), 0);
        ck_assert_int_eq(config_parse_file(big_path, &c, &e), 0);
        config_done(&c);

        /* Unreadable: root reads anything, so only as an ordinary user. */
        if (geteuid() != 0) {
                ck_assert_int_eq(chmod(good_path, 0), 0);
                ck_assert_int_eq(config_parse_file(good_path, &c, &e), -EACCES);
                snprintf(want, sizeof want, "%s: cannot open: Permission denied", good_path);
                ck_assert_str_eq(e.text, want);
        }

        ck_assert_int_eq(dctest_sh("rm -rf '%s'", dir), 0);
}
END_TEST

static Suite *config_suite(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("config");

        tcase_add_loop_test(tc, test_table, 0, ELEMENTSOF(cases));
        tcase_add_test(tc, test_table_is_big_enough);
        tcase_add_test(tc, test_error_without_error_struct);
        tcase_add_loop_test(tc, test_parse_size, 0, ELEMENTSOF(size_cases));
        tcase_add_loop_test(tc, test_parse_duration, 0, ELEMENTSOF(duration_cases));
        tcase_add_loop_test(tc, test_parse_percent, 0, ELEMENTSOF(percent_cases));
        tcase_add_test(tc, test_format_values);
        tcase_add_test(tc, test_format_parse_round_trip);
        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_scan_int_literals);
        tcase_add_test(tc, test_scan_include);
        tcase_add_test(tc, test_round_trip_defaults);
        tcase_add_test(tc, test_round_trip_non_default);
        tcase_add_test(tc, test_print_refuses_invalid);
        tcase_add_test(tc, test_equal);
        tcase_add_test(tc, test_shipped_conf_is_defaults);
        tcase_add_test(tc, test_shipped_conf_commented_values_are_defaults);
        tcase_add_test(tc, test_files);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(config_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
