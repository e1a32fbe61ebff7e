/* fuzz_config.c: libFuzzer over config_parse_string.
 *
 * Besides crashes and sanitizer reports, it aborts when:
 *   - a failure leaves an error text that is not "fuzz.conf:..." or a line past the end of the input;
 *   - a parsed config does not survive config_print -> config_parse_string -> config_equal, or printing
 *     it again gives different text;
 *   - lib/config-scan.c disagrees with libconfig about the integer literals of a text libconfig accepted
 *     (count, order, int vs int64, or the value of one in range), the assumption the overflow check
 *     rests on. */

#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's grammar has no %destructor: a string token that a syntax error discards is leaked
 * (e.g. the input `"x"`). Not ours to fix; only allocations made inside libconfig are ignored. */
const char *__lsan_default_suppressions(void) {
        return "leak:libconfig.so\n";
}

#define CHECK(x)                                                                   \
        do {                                                                       \
                if (!(x)) {                                                        \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
                        abort();                                                   \
                }                                                                  \
        } while (0)

static void compare_literals(const config_setting_t *s, const struct config_int_literal *lits, size_t n, size_t *next) {
        int type = config_setting_type(s);

        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
                CHECK(*next < n);
                const struct config_int_literal *l = &lits[*next];
                CHECK(l->is_int64 == (type == CONFIG_TYPE_INT64));
                if (l->in_range)
                        CHECK(l->value == config_setting_get_int64(s));
                (*next)++;
        } else if (config_setting_is_aggregate(s))
                for (int i = 0; i < config_setting_length(s); i++)
                        compare_literals(config_setting_get_elem(s, (unsigned) i), lits, n, next);
}

static void check_scanner(const char *text) {
        config_t lc;

        if (config_scan_find_include(text) > 0)
                return; /* libconfig would open files */
        config_init(&lc);
        if (config_read_string(&lc, text)) {
                struct config_int_literal *lits = NULL;
                size_t n = 0, next = 0;

                CHECK(config_scan_int_literals(text, &lits, &n) == 0);
                compare_literals(config_root_setting(&lc), lits, n, &next);
                CHECK(next == n);
                free(lits);
        }
        config_destroy(&lc);
}

static char *print_config(const struct config *c) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        CHECK(f);
        CHECK(config_print(c, f) == 0);
        CHECK(fclose(f) == 0);
        return buf;
}

static void check_round_trip(const struct config *c) {
        struct config again = {};
        struct config_error e;
        char *printed = print_config(c), *reprinted;

        if (config_parse_string(printed, "printed.conf", &again, &e) < 0) {
                fprintf(stderr, "printed config does not parse: %s\n%s", e.text, printed);
                abort();
        }
        CHECK(config_equal(c, &again));
        reprinted = print_config(&again);
        CHECK(strcmp(printed, reprinted) == 0);
        free(printed);
        free(reprinted);
        config_done(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct config c = {};
        struct config_error e = {};
        char *text;
        int r;

        /* libconfig reads C strings: parse up to the first NUL, as config_read_string would. */
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        check_scanner(text);

        r = config_parse_string(text, "fuzz.conf", &c, &e);
        if (r < 0) {
                unsigned lines = 1;
                for (const char *p = text; *p; p++)
                        lines += *p == '\n';
                CHECK(strncmp(e.text, "fuzz.conf", 9) == 0);
                CHECK(e.line >= 0 && (unsigned) e.line <= lines);
                CHECK(e.message[0]);
        } else {
                check_round_trip(&c);
                config_done(&c);
        }
        free(text);
        return 0;
}
