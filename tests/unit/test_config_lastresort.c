/* test_config_lastresort.c: the keys of the operator's last resort and of the engine-bytes limit
 * (lib/config-keys.c): values, every error message, the StrictModes-like refusal of a command or a
 * configuration file others can change, print/parse round trips, the shipped file. Apart from
 * test_config.c so that each group of keys keeps its own table. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dctest.h"
#include "macro.h"
#include "strv.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig.so\n";
}

/* What the keys of this file set, "" when all are at their defaults. */
static void describe(const struct config *c, char *buf, size_t size) {
        struct config d;
        size_t n = 0;
        ck_assert_int_eq(config_init_defaults(&d), 0);
        buf[0] = 0;
        if (!strv_equal(c->exhausted_command, d.exhausted_command)) {
                n += (size_t) snprintf(buf + n, size - n, "%scommand=", n ? " " : "");
                for (size_t i = 0; c->exhausted_command && c->exhausted_command[i]; i++)
                        n += (size_t) snprintf(buf + n, size - n, "%s%s", i ? "|" : "", c->exhausted_command[i]);
        }
        if (c->exhausted_command_timeout_sec != d.exhausted_command_timeout_sec)
                n += (size_t) snprintf(buf + n, size - n, "%stimeout=%" PRIu64, n ? " " : "", c->exhausted_command_timeout_sec);
        if (c->disk.max_engine_bytes != d.disk.max_engine_bytes)
                n += (size_t) snprintf(buf + n, size - n, "%smax_engine=%" PRIu64, n ? " " : "", c->disk.max_engine_bytes);
        if (c->disk.target_engine_bytes != d.disk.target_engine_bytes)
                n += (size_t) snprintf(buf + n, size - n, "%starget_engine=%" PRIu64, n ? " " : "", c->disk.target_engine_bytes);
        if (c->disk.engine_usage_interval_sec != d.disk.engine_usage_interval_sec)
                n += (size_t) snprintf(buf + n, size - n, "%sengine_interval=%" PRIu64, n ? " " : "", c->disk.engine_usage_interval_sec);
        config_done(&d);
}

static const struct {
        const char *text;
        const char *want; /* "=" and describe(), or the error text */
} cases[] = {
        { "", "=" },
        { "exhausted_command = [ \"/bin/true\", \"--reason\", \"disk\" ];", "=command=/bin/true|--reason|disk" },
        { "exhausted_command = ( \"/bin/true\" );", "=command=/bin/true" },
        { "exhausted_command = [ ];", "=" },
        /* A link in trusted directories to a trusted file (Debian's /bin is a link to usr/bin). */
        { "exhausted_command = [ \"/bin/sh\", \"-c\", \"echo $DOCKERCLEAN_PATH\" ];", "=command=/bin/sh|-c|echo $DOCKERCLEAN_PATH" },
        { "exhausted_command_timeout = \"5m\";", "=timeout=300" },
        { "exhausted_command_timeout = \"1h\";", "=timeout=3600" },
        { "exhausted_command_timeout = \"1s\";", "=timeout=1" },
        { "exhausted_command = [ \"true\" ];",
          "t.conf:1: exhausted_command.[0]: the command must be an absolute path (it runs without a shell and without $PATH)" },
        { "exhausted_command = \"/bin/true\";", "t.conf:1: exhausted_command: expected a list of strings, like [ \"a\", \"b\" ]" },
        { "exhausted_command = [ \"/bin/true\", \"\" ];", "t.conf:1: exhausted_command.[1]: empty string" },
        { "exhausted_command = [ \"/bin/true\", \"a\\nb\" ];", "t.conf:1: exhausted_command.[1]: contains a control character" },
        { "\nexhausted_command = [ \"/no/such/dockerclean-command\" ];",
          "t.conf:2: exhausted_command.[0]: /no: No such file or directory (the command does not exist)" },
        { "exhausted_command = [ \"/etc/passwd\" ];",
          "t.conf:1: exhausted_command.[0]: /etc/passwd is not executable (mode 0644); refused: the command runs as root, so only root may be able to change it" },
        { "exhausted_command = [ \"/usr/bin\" ];",
          "t.conf:1: exhausted_command.[0]: /usr/bin is not a regular file; refused: the command runs as root, so only root may be able to change it" },
        { "exhausted_command_timeout = \"0s\";", "t.conf:1: exhausted_command_timeout: \"0s\" is out of range; must be between 1s and 1h" },
        { "exhausted_command_timeout = \"2h\";", "t.conf:1: exhausted_command_timeout: \"2h\" is out of range; must be between 1s and 1h" },
        { "exhausted_command_timeout = 60;",
          "t.conf:1: exhausted_command_timeout: expected a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"" },
        { "exhausted_comand = [ ];", "t.conf:1: exhausted_comand: unknown key; did you mean 'exhausted_command'?" },

        /* disk.max_engine_bytes and its companions. */
        { "disk = { max_engine_bytes = \"50G\"; };", "=max_engine=53687091200 target_engine=48318382080" }, /* 90 %: 45G */
        { "disk = { max_engine_bytes = \"50G\"; target_engine_bytes = \"40G\"; };", "=max_engine=53687091200 target_engine=42949672960" },
        { "disk = { target_engine_bytes = \"40G\"; max_engine_bytes = \"50G\"; };", "=max_engine=53687091200 target_engine=42949672960" },
        { "disk = { max_engine_bytes = 1001; };", "=max_engine=1001 target_engine=900" }, /* rounded down */
        { "disk = { max_engine_bytes = 1; };", "=max_engine=1" }, /* 90 % of a byte: a cleanup down to nothing */
        { "disk = { max_engine_bytes = \"0\"; };", "=" },
        { "disk = { max_engine_bytes = 18446744073709551615L; };", "t.conf:1: disk.max_engine_bytes: 18446744073709551615L is out of the 64-bit integer range" },
        { "disk = { max_engine_bytes = \"16E\"; };",
          "t.conf:1: disk.max_engine_bytes: invalid size \"16E\": unknown unit \"E\"; use K, M, G, T (powers of 1024, also KiB...TiB) or KB, MB, GB, TB (powers of 1000)" },
        { "disk = { engine_usage_interval = \"30s\"; };", "=engine_interval=30" },
        { "disk = { engine_usage_interval = \"1d\"; };", "=engine_interval=86400" },
        { "disk = { target_engine_bytes = \"40G\"; };", "t.conf:1: disk.target_engine_bytes: needs max_engine_bytes, which is off" },
        { "disk = { max_engine_bytes = \"50G\";\n target_engine_bytes = \"50G\"; };",
          "t.conf:2: disk.target_engine_bytes: must be below max_engine_bytes (50G)" },
        { "disk = { max_engine_bytes = \"50G\"; target_engine_bytes = \"60G\"; };",
          "t.conf:1: disk.target_engine_bytes: must be below max_engine_bytes (50G)" },
        { "disk = { engine_usage_interval = \"0s\"; };", "t.conf:1: disk.engine_usage_interval: \"0s\" is out of range; must be between 1s and 24h" },
        { "disk = { engine_usage_interval = \"2d\"; };", "t.conf:1: disk.engine_usage_interval: \"2d\" is out of range; must be between 1s and 24h" },
        { "disk = { engine_usage_interval = 600; };",
          "t.conf:1: disk.engine_usage_interval: expected a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"" },
        { "max_engine_bytes = \"50G\";", "t.conf:1: max_engine_bytes: unknown key; did you mean 'disk.max_engine_bytes'?" },
};

START_TEST(test_table) {
        struct config c;
        struct config_error e;
        char got[1024];
        int r = config_parse_string(cases[_i].text, "t.conf", &c, &e);
        if (r == 0) {
                got[0] = '=';
                describe(&c, got + 1, sizeof got - 1);
                config_done(&c);
        } else
                snprintf(got, sizeof got, "%s", e.text);
        ck_assert_msg(streq(got, cases[_i].want), "input: %s\n got: %s\nwant: %s", cases[_i].text, got, cases[_i].want);
}
END_TEST

START_TEST(test_round_trip) {
        struct config c, again;
        struct config_error e;
        ck_assert_msg(config_parse_string("exhausted_command = [ \"/bin/true\", \"--reason\", \"a \\\"quoted\\\" word\" ];\n"
                                          "exhausted_command_timeout = \"90s\";\n"
                                          "disk = { max_engine_bytes = \"50G\"; engine_usage_interval = \"5m\"; };",
                                          "t.conf", &c, &e) == 0,
                      "%s", e.text);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_int_eq(config_print(&c, f), 0);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(buf, "\nexhausted_command = [ \"/bin/true\", \"--reason\", \"a \\\"quoted\\\" word\" ];\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\nexhausted_command_timeout = \"1m30s\";\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\n  max_engine_bytes = \"50G\";\n  target_engine_bytes = \"45G\";\n  engine_usage_interval = \"5m\";\n"));
        ck_assert_msg(config_parse_string(buf, "printed.conf", &again, &e) == 0, "%s", e.text);
        ck_assert(config_equal(&c, &again));
        /* config_equal sees the command and its timeout. */
        again.exhausted_command_timeout_sec++;
        ck_assert(!config_equal(&c, &again));
        again.exhausted_command_timeout_sec--;
        again.disk.target_engine_bytes++;
        ck_assert(!config_equal(&c, &again));
        again.disk.target_engine_bytes--;
        again.disk.engine_usage_interval_sec++;
        ck_assert(!config_equal(&c, &again));
        again.disk.engine_usage_interval_sec--;
        ck_assert(config_equal(&c, &again));
        free(again.exhausted_command[2]);
        again.exhausted_command[2] = strdup("other");
        ck_assert(!config_equal(&c, &again));
        free(buf);
        config_done(&c);
        config_done(&again);
}
END_TEST

/* ---- files: the configuration, and the command it names, must be root's alone --------------------- */

static const struct {
        const char *what;
        const char *setup;   /* sh in a fresh 0700 directory D under /tmp; the file is D/dc.conf, the command D/cmd */
        const char *text;    /* the file; @ is D */
        const char *error;   /* "" = accepted; else the error text, @ is D */
} file_cases[] = {
        { "root's file naming root's command", "", "exhausted_command = [ \"@/cmd\" ];", "" },
        { "a world-writable file", "chmod 0666 dc.conf", "exhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf: @/dc.conf is writable by anyone (mode 0666); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a group-writable file", "chmod 0664 dc.conf", "\n\nexhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf: @/dc.conf is writable by its group (mode 0664); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a file of another user", "chown 65534 dc.conf", "exhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf: @/dc.conf is owned by uid 65534, not root; refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "in a directory anyone may write to", "chmod 0777 .", "exhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf: @ is writable by anyone (mode 0777); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a world-writable command", "chmod 0777 cmd", "exhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf:1: exhausted_command.[0]: @/cmd is writable by anyone (mode 0777); refused: the command runs as root, so only root may be able to change it" },
        { "another user's command", "chown 65534 cmd", "exhausted_command = [ \"@/cmd\" ];",
          "@/dc.conf:1: exhausted_command.[0]: @/cmd is owned by uid 65534, not root; refused: the command runs as root, so only root may be able to change it" },
        /* The file decides what root removes and writes: its mode matters without a command too (issue 20). */
        { "a world-writable file without a command", "chmod 0666 dc.conf", "exhausted_command = [ ];",
          "@/dc.conf: @/dc.conf is writable by anyone (mode 0666); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a world-writable file, other keys", "chmod 0666 dc.conf", "interval = \"5m\";",
          "@/dc.conf: @/dc.conf is writable by anyone (mode 0666); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a group-writable directory, other keys", "chmod 0770 .", "interval = \"5m\";",
          "@/dc.conf: @ is writable by its group (mode 0770); refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a directory of another user", "chown 65534 .", "interval = \"5m\";",
          "@/dc.conf: @ is owned by uid 65534, not root, in /tmp, which anyone may write to; refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "a link of another user", "mv dc.conf real.conf && ln -s real.conf dc.conf && chown -h 65534 dc.conf", "interval = \"5m\";",
          "@/dc.conf: @/dc.conf is a symbolic link owned by uid 65534, not root; refused: only root may be able to change the configuration of a daemon that runs as root" },
        { "root's link to root's file", "mv dc.conf real.conf && ln -s real.conf dc.conf", "interval = \"5m\";", "" },
        { "a FIFO", "rm dc.conf && mkfifo dc.conf", "interval = \"5m\";",
          "@/dc.conf: is a FIFO, not a regular file" },
};

START_TEST(test_files) {
        dctest_require(geteuid() == 0, "the owners of the cases need root (chown)");
        _cleanup_free_ char *dir = strdup("/tmp/test_config_lastresort.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *text = dctest_replace_at(file_cases[_i].text, dir);
        _cleanup_free_ char *want = dctest_replace_at(file_cases[_i].error, dir);
        _cleanup_free_ char *path = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/dc.conf", dir), 0);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
        ck_assert_int_eq(dctest_sh("cd '%s' && chmod 0644 dc.conf && printf '#!/bin/sh\\n' >cmd && chmod 0755 cmd && { %s\ntrue; }", dir,
                                   file_cases[_i].setup),
                         0);
        struct config c;
        struct config_error e;
        int r = config_parse_file(path, &c, &e);
        if (!want[0]) {
                ck_assert_msg(r == 0, "%s: %s", file_cases[_i].what, e.text);
                config_done(&c);
        } else {
                ck_assert_msg(r == -EINVAL || r == -EPERM, "%s: accepted (%d)", file_cases[_i].what, r);
                ck_assert_msg(streq(e.text, want), "%s:\n got: %s\nwant: %s", file_cases[_i].what, e.text, want);
        }
        ck_assert_int_eq(dctest_sh("rm -rf '%s'", dir), 0);
}
END_TEST

/* ---- the shipped file documents each key, commented out, with its default ----------------------- */

START_TEST(test_shipped) {
        const char *src = getenv("DOCKERCLEAN_SOURCE_DIR");
        dctest_require(src && *src, "DOCKERCLEAN_SOURCE_DIR is not set (run through ctest)");
        _cleanup_free_ char *path = NULL, *text = NULL;
        ck_assert_int_ge(asprintf(&path, "%s/conf/dockerclean.conf", src), 0);
        FILE *f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        size_t len = 0;
        ck_assert_int_ne(getdelim(&text, &len, 0, f), -1);
        fclose(f);
        static const char *const lines[] = {
                "\n#exhausted_command = [ ];\n",
                "\n#exhausted_command_timeout = \"1m\";\n",
                "\n  #max_engine_bytes = \"0\";\n",
                "\n  #target_engine_bytes = \"0\";\n",
                "\n  #engine_usage_interval = \"10m\";\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                ck_assert_msg(strstr(text, lines[i]), "conf/dockerclean.conf lacks %s", lines[i]);
}
END_TEST

int main(void) {
        Suite *s = suite_create("config_lastresort");
        TCase *tc = tcase_create("config_lastresort");
        tcase_add_loop_test(tc, test_table, 0, ELEMENTSOF(cases));
        tcase_add_test(tc, test_round_trip);
        tcase_add_loop_test(tc, test_files, 0, ELEMENTSOF(file_cases));
        tcase_add_test(tc, test_shipped);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
