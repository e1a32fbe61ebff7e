/* test_config_levers.c: the keys of the operator's levers (issue 15): disk.critical_watermark,
 * disk.critical_min_age, protect.newest_per_repository and the tiers' max_unused_age: values, defaults,
 * every error message (file, line, key), and print/parse round trips. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dctest.h"
#include "macro.h"

const char *__lsan_default_suppressions(void);

/* libconfig 1.5 leaks the string token a syntax error discards; not ours to fix. */
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig.so\n";
}

static const struct config_tier *tier_of(const struct config *c, enum config_tier_type t) {
        for (size_t i = 0; i < c->n_tiers; i++)
                if (c->tiers[i].type == t)
                        return &c->tiers[i];
        return NULL;
}

START_TEST(test_defaults) {
        struct config c;
        ck_assert_int_eq(config_init_defaults(&c), 0);
        ck_assert(c.disk.critical_watermark == 95.0);
        ck_assert_uint_eq(c.disk.critical_min_age_sec, 600);
        ck_assert_uint_eq(c.protect_newest_per_repository, 0);
        for (size_t i = 0; i < c.n_tiers; i++)
                ck_assert_uint_eq(c.tiers[i].max_unused_age_sec, 0);
        config_done(&c);
}
END_TEST

/* What a text sets: each row's expectations. */
START_TEST(test_values_table) {
        static const struct {
                const char *text;
                double critical;
                uint64_t critical_min_age, newest;
                uint64_t images_max_age, cache_max_age;
        } table[] = {
                { "", 95, 600, 0, 0, 0 },
                { "disk = { critical_watermark = \"97.5%\"; critical_min_age = \"30m\"; };", 97.5, 1800, 0, 0, 0 },
                { "disk = { critical_watermark = \"0\"; };", 0, 600, 0, 0, 0 },
                { "disk = { critical_watermark = 0; };", 0, 600, 0, 0, 0 },
                { "disk = { critical_watermark = \"0%\"; };", 0, 600, 0, 0, 0 },
                { "disk = { critical_min_age = \"0s\"; };", 95, 0, 0, 0, 0 },
                /* above a written high watermark */
                { "disk = { high_watermark = \"90%\"; critical_watermark = \"90.01%\"; };", 90.01, 600, 0, 0, 0 },
                /* a high watermark at or above the default critical one turns the pass off (older files) */
                { "disk = { high_watermark = \"95%\"; low_watermark = \"90%\"; };", 0, 600, 0, 0, 0 },
                { "disk = { high_watermark = \"99%\"; low_watermark = \"98%\"; };", 0, 600, 0, 0, 0 },
                { "disk = { high_watermark = \"94.99%\"; };", 95, 600, 0, 0, 0 },
                { "protect = { newest_per_repository = 3; };", 95, 600, 3, 0, 0 },
                { "protect = { newest_per_repository = 0; };", 95, 600, 0, 0, 0 },
                { "protect = { newest_per_repository = 10000; };", 95, 600, 10000, 0, 0 },
                { "tiers = ( { type = \"unused-images\"; min_age = \"1h\"; max_unused_age = \"30d\"; } );", 95, 600, 0,
                  30 * 86400, 0 },
                { "tiers = ( { type = \"build-cache\"; max_unused_age = \"7d\"; }, { type = \"unused-images\"; } );", 95,
                  600, 0, 0, 7 * 86400 },
                /* equal to min_age is allowed; "0" is off */
                { "tiers = ( { type = \"unused-images\"; max_unused_age = \"24h\"; } );", 95, 600, 0, 86400, 0 },
                { "tiers = ( { type = \"unused-images\"; max_unused_age = \"0\"; } );", 95, 600, 0, 0, 0 },
                /* key order inside a tier does not matter */
                { "tiers = ( { max_unused_age = \"2h\"; type = \"unused-images\"; min_age = \"2h\"; } );", 95, 600, 0,
                  7200, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct config c;
                struct config_error e = {};
                ck_assert_msg(config_parse_string(table[i].text, "t.conf", &c, &e) == 0, "row %zu: %s", i, e.text);
                ck_assert_msg(c.disk.critical_watermark == table[i].critical, "row %zu: critical %g", i,
                              c.disk.critical_watermark);
                ck_assert_msg(c.disk.critical_min_age_sec == table[i].critical_min_age, "row %zu", i);
                ck_assert_msg(c.protect_newest_per_repository == table[i].newest, "row %zu", i);
                const struct config_tier *im = tier_of(&c, CONFIG_TIER_UNUSED_IMAGES);
                const struct config_tier *bc = tier_of(&c, CONFIG_TIER_BUILD_CACHE);
                ck_assert_msg((im ? im->max_unused_age_sec : 0) == table[i].images_max_age, "row %zu", i);
                ck_assert_msg((bc ? bc->max_unused_age_sec : 0) == table[i].cache_max_age, "row %zu", i);

                /* Printed and read back: the same configuration. */
                char *printed = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&printed, &len);
                ck_assert_ptr_nonnull(f);
                ck_assert_int_eq(config_print(&c, f), 0);
                ck_assert_int_eq(fclose(f), 0);
                struct config back;
                ck_assert_msg(config_parse_string(printed, "printed", &back, &e) == 0, "row %zu: %s\n%s", i, e.text, printed);
                ck_assert_msg(config_equal(&c, &back), "row %zu:\n%s", i, printed);
                config_done(&back);
                free(printed);
                config_done(&c);
        }
}
END_TEST

START_TEST(test_errors_table) {
        static const struct {
                const char *text, *error;
        } table[] = {
                { "disk = { critical_watermark = \"85\"; };",
                  "t.conf:1: disk.critical_watermark: invalid percentage \"85\": missing %; write \"85%\"" },
                { "disk = { critical_watermark = 95; };",
                  "t.conf:1: disk.critical_watermark: expected a percentage string, like \"95%\", or \"0\" (off)" },
                { "disk = { critical_watermark = \"101%\"; };",
                  "t.conf:1: disk.critical_watermark: invalid percentage \"101%\": out of range; must be between 0% and 100%" },
                /* at or below the high watermark: blamed on the key written */
                { "disk = {\n  critical_watermark = \"85%\";\n};",
                  "t.conf:2: disk.critical_watermark: must be above high_watermark (85%), or \"0\" (off)" },
                { "disk = {\n  high_watermark = \"92%\";\n  critical_watermark = \"91%\";\n};",
                  "t.conf:3: disk.critical_watermark: must be above high_watermark (92%), or \"0\" (off)" },
                { "disk = { critical_min_age = \"10\"; };",
                  "t.conf:1: disk.critical_min_age: invalid duration \"10\": missing unit; use s, m, h or d, like \"10s\"" },
                { "disk = { critical_min_age = \"400d\"; };",
                  "t.conf:1: disk.critical_min_age: \"400d\" is out of range; must be between 0s and 365d" },
                { "disk = { critical_watermak = \"95%\"; };",
                  "t.conf:1: disk.critical_watermak: unknown key; did you mean 'critical_watermark'?" },
                { "protect = { newest_per_repository = -1; };",
                  "t.conf:1: protect.newest_per_repository: -1 is out of range; must be between 0 (off) and 10000" },
                { "protect = { newest_per_repository = 10001; };",
                  "t.conf:1: protect.newest_per_repository: 10001 is out of range; must be between 0 (off) and 10000" },
                { "protect = { newest_per_repository = \"3\"; };",
                  "t.conf:1: protect.newest_per_repository: expected a whole number of images, like 3 (0 = off)" },
                { "newest_per_repository = 3;",
                  "t.conf:1: newest_per_repository: unknown key; did you mean 'protect.newest_per_repository'?" },
                { "tiers = ( { type = \"stopped-containers\"; max_unused_age = \"30d\"; } );",
                  "t.conf:1: tiers.[0].max_unused_age: only the \"unused-images\" and \"build-cache\" tiers take max_unused_age" },
                { "tiers = ( { type = \"dangling-images\"; max_unused_age = \"30d\"; } );",
                  "t.conf:1: tiers.[0].max_unused_age: only the \"unused-images\" and \"build-cache\" tiers take max_unused_age" },
                { "tiers = (\n  { type = \"unused-images\"; min_age = \"2d\";\n    max_unused_age = \"1d\"; }\n);",
                  "t.conf:3: tiers.[0].max_unused_age: must be at least the tier's min_age (2d), or \"0\" (off)" },
                { "tiers = ( { type = \"build-cache\"; max_unused_age = \"1h\"; } );",
                  "t.conf:1: tiers.[0].max_unused_age: must be at least the tier's min_age (24h), or \"0\" (off)" },
                { "tiers = ( { type = \"unused-images\"; max_unused_age = \"30\"; } );",
                  "t.conf:1: tiers.[0].max_unused_age: invalid duration \"30\": missing unit; use s, m, h or d, like \"30s\"" },
                { "tiers = ( { type = \"unused-images\"; max_unused_age = \"4000d\"; } );",
                  "t.conf:1: tiers.[0].max_unused_age: \"4000d\" is out of range; must be between 0s and 3650d" },
                { "tiers = ( { type = \"unused-images\"; max_unused_ag = \"30d\"; } );",
                  "t.conf:1: tiers.[0].max_unused_ag: unknown key; did you mean 'max_unused_age'?" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct config c = {};
                struct config_error e = {};
                ck_assert_msg(config_parse_string(table[i].text, "t.conf", &c, &e) == -EINVAL, "row %zu parsed", i);
                ck_assert_msg(strcmp(e.text, table[i].error) == 0, "row %zu:\n got  %s\n want %s", i, e.text, table[i].error);
        }
}
END_TEST

START_TEST(test_equal_sees_each_field) {
        struct config a, b;
        ck_assert_int_eq(config_init_defaults(&a), 0);
        ck_assert_int_eq(config_init_defaults(&b), 0);
        ck_assert(config_equal(&a, &b));
        b.disk.critical_watermark = 96;
        ck_assert(!config_equal(&a, &b));
        b.disk.critical_watermark = a.disk.critical_watermark;
        b.disk.critical_min_age_sec = 1;
        ck_assert(!config_equal(&a, &b));
        b.disk.critical_min_age_sec = a.disk.critical_min_age_sec;
        b.protect_newest_per_repository = 2;
        ck_assert(!config_equal(&a, &b));
        b.protect_newest_per_repository = 0;
        b.tiers[3].max_unused_age_sec = 86400 * 30;
        ck_assert(!config_equal(&a, &b));
        b.tiers[3].max_unused_age_sec = 0;
        ck_assert(config_equal(&a, &b));
        config_done(&a);
        config_done(&b);
}
END_TEST

static char *read_source(const char *rel) {
        const char *dir = getenv("DOCKERCLEAN_SOURCE_DIR");
        dctest_require(dir != NULL, "DOCKERCLEAN_SOURCE_DIR is not set (run through ctest)");
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        FILE *f = fopen(path, "re");
        ck_assert_msg(f != NULL, "%s", path);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, out);
        fclose(f);
        fclose(out);
        return text;
}

/* Each key is shipped (commented, with its default) and documented in the README and the man page. */
START_TEST(test_documented) {
        static const struct {
                const char *key, *shipped;
        } keys[] = {
                { "disk.critical_watermark", "  #critical_watermark = \"95%\";\n" },
                { "disk.critical_min_age", "  #critical_min_age = \"10m\";\n" },
                { "protect.newest_per_repository", "  #newest_per_repository = 0;\n" },
                { "max_unused_age", "max_unused_age = \"30d\";" },
        };
        char *conf = read_source("conf/dockerclean.conf"), *readme = read_source("README.md"),
             *man = read_source("man/dockerclean.conf.5.in");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char needle[128];
                ck_assert_msg(strstr(conf, keys[i].shipped), "%s is not shipped in conf/dockerclean.conf", keys[i].key);
                snprintf(needle, sizeof needle, "`%s`", keys[i].key);
                ck_assert_msg(strstr(readme, needle), "%s is not in the README", keys[i].key);
                const char *dot = strchr(keys[i].key, '.');
                ck_assert_msg(strstr(man, keys[i].key) || (dot && strstr(man, dot + 1)), "%s is not in dockerclean.conf(5)",
                              keys[i].key);
        }
        ck_assert_msg(strstr(readme, "only lever that cleans without disk pressure"), "the README says what max_unused_age is");
        ck_assert_msg(strstr(man, "only setting that cleans without disk pressure"), "the man page says it too");
        free(conf);
        free(readme);
        free(man);
}
END_TEST

int main(void) {
        Suite *s = suite_create("config_levers");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_values_table);
        tcase_add_test(tc, test_errors_table);
        tcase_add_test(tc, test_equal_sees_each_field);
        tcase_add_test(tc, test_documented);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? 0 : 1;
}
