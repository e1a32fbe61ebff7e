/* test_engine_decode.c: the engine client's JSON decoders, time parser and version arithmetic, straight
 * from bytes (lib/engine-internal.h). Needs no engine. */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-internal.h"
#include "engine.h"
#include "dctest.h"

#define S(x) x, strlen(x)

/* ---- time ---- */

#define HEX64_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX64_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

START_TEST(test_parse_time) {
        int64_t ns = -1;

        ck_assert_int_eq(engine_parse_time("2026-11-29T06:36:03.797318163Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1795934163797318163));
        ck_assert_int_eq(engine_parse_time("2026-11-29t06:36:03.797318163z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1795934163797318163));
        /* Fewer digits (Go trims zeros), more digits (truncated to ns), a comma. */
        ck_assert_int_eq(engine_parse_time("2026-11-29T06:36:03.5Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1795934163500000000));
        ck_assert_int_eq(engine_parse_time("2026-11-29T06:36:03.1234567891234Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1795934163123456789));
        ck_assert_int_eq(engine_parse_time("2026-11-29T06:36:03,25Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1795934163250000000));
        /* Offsets (Podman prints local time). */
        ck_assert_int_eq(engine_parse_time("2024-01-02T03:04:05-05:30", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1704184445000000000));
        ck_assert_int_eq(engine_parse_time("2024-01-02T09:34:05+01:00", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1704184445000000000));
        ck_assert_int_eq(engine_parse_time("2024-02-29T23:59:59Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(1709251199000000000));
        ck_assert_int_eq(engine_parse_time("1970-01-01T00:00:01Z", &ns), 0);
        ck_assert_int_eq(ns, 1000000000);
        ck_assert_int_eq(engine_parse_time("1969-12-31T23:59:59.5Z", &ns), 0);
        ck_assert_int_eq(ns, -500000000);
        ck_assert_int_eq(engine_parse_time("2000-03-01T00:00:00Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(951868800000000000));
        /* Go's zero time means "never". */
        ns = -1;
        ck_assert_int_eq(engine_parse_time("0001-01-01T00:00:00Z", &ns), 0);
        ck_assert_int_eq(ns, 0);
        ns = -1;
        ck_assert_int_eq(engine_parse_time("0001-01-01T01:00:00+01:00", &ns), 0);
        ck_assert_int_eq(ns, 0);
        /* The edges of int64 nanoseconds. */
        ck_assert_int_eq(engine_parse_time("2262-04-11T23:47:15Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(9223372035000000000));
        /* Beyond them, clamped (an engine's clock or a file's date can say anything): later ones to the last
         * second that fits, earlier ones to 0, unknown. */
        ck_assert_int_eq(engine_parse_time("2262-04-11T23:47:16.999999999Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(9223372036000000000));
        ck_assert_int_eq(engine_parse_time("1677-09-21T00:12:45Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(-9223372035000000000));
        ns = 7;
        ck_assert_int_eq(engine_parse_time("1677-09-21T00:12:44Z", &ns), 0);
        ck_assert_int_eq(ns, 0);
        ck_assert_int_eq(engine_parse_time("9999-12-31T23:59:59Z", &ns), 0);
        ck_assert_int_eq(ns, INT64_C(9223372036000000000));

        static const char *const garbage[] = {
                "", "2024", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00Z ", " 2024-01-01T00:00:00Z",
                "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
                "2024-01-00T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z",
                "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0100", "2024-01-01T00:00:00+24:00",
                "2024-01-01X00:00:00Z", "2024/01/01T00:00:00Z", "2024-01-01T00:00:00ZZ", "+024-01-01T00:00:00Z",
                "2024-01-01T0a:00:00Z", "1795934163",
        };
        for (size_t i = 0; i < ELEMENTSOF(garbage); i++) {
                ns = 42;
                ck_assert_msg(engine_parse_time(garbage[i], &ns) == -EINVAL, "accepted \"%s\"", garbage[i]);
                ck_assert_int_eq(ns, 42);
        }
        ck_assert_int_eq(engine_parse_time(NULL, &ns), -EINVAL);
        ck_assert_int_eq(engine_parse_time("2024-01-01T00:00:00Z", NULL), -EINVAL);
}
END_TEST

START_TEST(test_versions) {
        unsigned major = 7, minor = 7;
        ck_assert_int_eq(engine_version_parse("1.41", &major, &minor), 0);
        ck_assert_uint_eq(major, 1);
        ck_assert_uint_eq(minor, 41);
        static const char *const bad[] = { "", "1", "1.", ".1", "1.a", "a.1", "1.2.3", "1.41 ", "-1.2", "1.1234567" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(engine_version_parse(bad[i], &major, &minor) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_int_eq(engine_version_parse(NULL, &major, &minor), -EINVAL);
        /* Numeric, not lexical: 1.9 < 1.41 < 1.100. */
        ck_assert_int_lt(engine_version_compare("1.9", "1.41"), 0);
        ck_assert_int_lt(engine_version_compare("1.41", "1.100"), 0);
        ck_assert_int_gt(engine_version_compare("2.0", "1.99"), 0);
        ck_assert_int_eq(engine_version_compare("1.41", "1.41"), 0);
        ck_assert_int_lt(engine_version_compare(NULL, "1.0"), 0);
        ck_assert_int_gt(engine_version_compare("1.0", "junk"), 0);
        ck_assert_int_eq(engine_version_compare("junk", NULL), 0);
}
END_TEST

START_TEST(test_error_message) {
        char m[32];
        engine_decode_error_message(S("{\"message\":\"no such image: x\"}"), m, sizeof m);
        ck_assert_str_eq(m, "no such image: x");
        engine_decode_error_message(S("{\"cause\":\"c\",\"message\":\"m\",\"response\":409}"), m, sizeof m);
        ck_assert_str_eq(m, "m");
        engine_decode_error_message(S("{\"message\":\"two\\nlines\\u0007\"}"), m, sizeof m);
        ck_assert_str_eq(m, "two lines");
        engine_decode_error_message(S("{\"cause\":\"only the cause\"}"), m, sizeof m);
        ck_assert_str_eq(m, "only the cause");
        engine_decode_error_message(S("  page\r\n\tnot found \n"), m, sizeof m);
        ck_assert_str_eq(m, "page not found");
        engine_decode_error_message(S("{\"message\":17}"), m, sizeof m);
        ck_assert_str_eq(m, "{\"message\":17}");
        engine_decode_error_message(S("{\"message\":\"a very long message that will not fit here\"}"), m, sizeof m);
        ck_assert_int_eq(strlen(m), sizeof m - 1);
        engine_decode_error_message("", 0, m, sizeof m);
        ck_assert_str_eq(m, "");
        engine_decode_error_message(NULL, 0, m, sizeof m);
        ck_assert_str_eq(m, "");
        /* A NUL inside the body ends nothing early and is flattened. */
        engine_decode_error_message("a\0b", 3, m, sizeof m);
        ck_assert_str_eq(m, "a b");
}
END_TEST

/* ---- decoders ---- */

START_TEST(test_decode_containers) {
        struct engine_container_list l;
        struct engine_error err = {};
        const char *body = "[{\"Id\":\"c1\",\"Names\":[\"/one\",\"/alias\"],\"Image\":\"bb:1\",\"ImageID\":\"sha256:aa\","
                           "\"State\":\"exited\",\"Created\":1700000000,\"Labels\":{\"k\":\"v\",\"e\":\"\"}},"
                           "{\"Id\":\"c2\",\"Names\":null,\"State\":\"paused\",\"Labels\":null,\"SizeRw\":5,"
                           "\"SizeRootFs\":9.0,\"Extra\":[1,2,{}]},"
                           "{\"Id\":\"c3\",\"State\":\"configured\"},{\"Id\":\"c4\",\"State\":\"whatever\"}]";

        ck_assert_int_eq(engine_decode_containers(S(body), false, &l, &err), 0);
        ck_assert_int_eq(l.n, 4);
        ck_assert_str_eq(l.items[0].id, "c1");
        ck_assert_str_eq(l.items[0].name, "one");
        ck_assert_str_eq(l.items[0].image, "bb:1");
        ck_assert_str_eq(l.items[0].image_id, "sha256:aa");
        ck_assert_int_eq(l.items[0].state, ENGINE_CONTAINER_EXITED);
        ck_assert_int_eq(l.items[0].created, 1700000000);
        ck_assert_int_eq(l.items[0].size_rw, -1);
        ck_assert_int_eq(l.items[0].labels.n, 2);
        ck_assert_str_eq(engine_labels_get(&l.items[0].labels, "k"), "v");
        ck_assert_str_eq(engine_labels_get(&l.items[0].labels, "e"), "");
        ck_assert_ptr_null(engine_labels_get(&l.items[0].labels, "x"));
        ck_assert_ptr_null(engine_labels_get(NULL, "x"));
        ck_assert_str_eq(l.items[1].name, "");
        ck_assert_str_eq(l.items[1].image, "");
        ck_assert_int_eq(l.items[1].state, ENGINE_CONTAINER_PAUSED);
        ck_assert_int_eq(l.items[1].labels.n, 0);
        ck_assert_int_eq(l.items[1].size_rw, 5);
        ck_assert_int_eq(l.items[1].size_root_fs, 9);
        ck_assert_int_eq(l.items[2].state, ENGINE_CONTAINER_CREATED);
        ck_assert_int_eq(l.items[3].state, ENGINE_CONTAINER_UNKNOWN);
        engine_container_list_done(&l);
        ck_assert_ptr_null(l.items);
        ck_assert_int_eq(l.n, 0);
        engine_container_list_done(&l); /* twice is fine */

        ck_assert_int_eq(engine_decode_containers(S("[]"), true, &l, &err), 0);
        ck_assert_int_eq(l.n, 0);
        engine_container_list_done(&l);
        /* size=1: an absent SizeRw is 0. */
        ck_assert_int_eq(engine_decode_containers(S("[{\"Id\":\"c\"}]"), true, &l, &err), 0);
        ck_assert_int_eq(l.items[0].size_rw, 0);
        engine_container_list_done(&l);

        static const struct {
                const char *body, *message;
        } bad[] = {
                { "{}", "expected an array, got an object" },
                { "[1]", "[0]: item is a number, not an object" },
                { "[{\"Id\":\"a\"},{\"Names\":[]}]", "[1]: \"Id\" is missing" },
                { "[{\"Id\":\"\"}]", "\"Id\" is empty" },
                { "[{\"Id\":\"a\",\"Names\":\"/x\"}]", "\"Names\" is a string, not an array" },
                { "[{\"Id\":\"a\",\"Names\":[3]}]", "\"Names\"[0] is a number, not a string" },
                { "[{\"Id\":\"a\",\"Created\":\"now\"}]", "\"Created\" is a string, not a number" },
                { "[{\"Id\":\"a\",\"Created\":1e300}]", "\"Created\" is out of range" },
                { "[{\"Id\":\"a\",\"Labels\":{\"k\":1}}]", "\"Labels\".\"k\" is a number, not a string" },
                { "[{\"Id\":\"a\",\"Labels\":[]}]", "\"Labels\" is an array, not an object" },
                { "[{\"Id\":\"a\",\"State\":{}}]", "\"State\" is an object, not a string" },
                { "[{\"Id\":\"a\"}", "malformed answer to /containers/json:" },
                { "", "empty body" },
                { "[{\"Id\":\"a\\u0000b\"}]", "/containers/json" },
                { "[{\"Id\":99999999999999999999999}]", "/containers/json" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                l = (struct engine_container_list) { .n = 77 };
                err = (struct engine_error) {};
                ck_assert_int_eq(engine_decode_containers(S(bad[i].body), false, &l, &err), -EBADMSG);
                ck_assert_int_eq(err.code, -EBADMSG);
                ck_assert_msg(strstr(err.message, bad[i].message), "%s: \"%s\" lacks \"%s\"", bad[i].body, err.message,
                              bad[i].message);
                ck_assert_int_eq(l.n, 77);
        }
        /* err may be NULL. */
        ck_assert_int_eq(engine_decode_containers(S("{"), false, &l, NULL), -EBADMSG);
}
END_TEST

/* The big listings are read straight from the text (lib/json-scan.c): the same results and refusals as
 * jansson reading the whole body, for what jansson would make of escapes, duplicates and members no
 * decoder reads. */
START_TEST(test_decode_scanned_text) {
        struct engine_container_list l;
        struct engine_error err = {};
        ck_assert_int_eq(engine_decode_containers(
                                 S(" [ {\"Ports\":[{\"x\":[[{}],\"]}\\\"\"]}],\"Id\":\"c\\u00e9\\ud83d\\ude00\\n\\/\","
                                   "\"Names\":[\"/a\\\"b\",7],\"Labels\":{\"k\":\"1\",\"k\":\"2\",\"\\u003c\":\"\\u003e\"},"
                                   "\"Created\":1.9e3,\"State\":\"exited\",\"State\":\"dead\",\"Command\":\"sh -c 'x\\ty'\","
                                   "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAMConfig\":null},\"n2\":{}},\"Ports\":{}},"
                                   "\"Mounts\":[{\"Name\":\"v1\",\"Type\":\"volume\"},{\"Type\":\"bind\",\"Name\":\"b\"},3,"
                                   "{\"Type\":\"volume\",\"Name\":5}],\"HostConfig\":{\"a\":[true,false,null,-0.5e-3]}} ] "),
                                 false, &l, &err),
                         0);
        ck_assert_int_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].id, "c\xc3\xa9\xf0\x9f\x98\x80\n/");
        ck_assert_str_eq(l.items[0].name, "a\"b");
        ck_assert_int_eq(l.items[0].labels.n, 2);
        ck_assert_str_eq(engine_labels_get(&l.items[0].labels, "k"), "2");
        ck_assert_str_eq(engine_labels_get(&l.items[0].labels, "<"), ">");
        ck_assert_int_eq(l.items[0].created, 1900);
        ck_assert_int_eq(l.items[0].state, ENGINE_CONTAINER_DEAD);
        ck_assert_str_eq(l.items[0].networks[0], "bridge");
        ck_assert_str_eq(l.items[0].networks[1], "n2");
        ck_assert_ptr_null(l.items[0].networks[2]);
        ck_assert_str_eq(l.items[0].volumes[0], "v1");
        ck_assert_ptr_null(l.items[0].volumes[1]);
        ck_assert_str_eq(l.items[0].image, "");
        ck_assert_int_eq(l.items[0].size_rw, -1);
        engine_container_list_done(&l);

        /* What jansson refuses, also where no decoder looks. */
        static const char *const bad[] = {
                "[{\"Id\":\"a\",\"Command\":\"\xff\"}]",           /* not UTF-8 */
                "[{\"Id\":\"a\",\"Command\":\"\xc0\xaf\"}]",       /* overlong */
                "[{\"Id\":\"a\",\"Command\":\"\xed\xa0\x80\"}]",   /* a surrogate in UTF-8 */
                "[{\"Id\":\"a\",\"Command\":\"\\ud800\"}]",        /* a lone surrogate */
                "[{\"Id\":\"a\",\"Command\":\"\\u0000\"}]",
                "[{\"Id\":\"a\",\"Command\":\"\\x\"}]",
                "[{\"Id\":\"a\",\"Command\":\"a\tb\"}]",           /* a raw control character */
                "[{\"Id\":\"a\",\"Ports\":[1,]}]",
                "[{\"Id\":\"a\",\"Ports\":{\"a\":1,}}]",
                "[{\"Id\":\"a\",\"Ports\":[1 2]}]",
                "[{\"Id\":\"a\",\"Ports\":[}]}",
                "[{\"Id\":\"a\",\"Ports\":01}]",
                "[{\"Id\":\"a\",\"Ports\":1.}]",
                "[{\"Id\":\"a\",\"Ports\":-}]",
                "[{\"Id\":\"a\",\"Ports\":tru}]",
                "[{\"Id\":\"a\",\"Ports\":{1:2}}]",
                "[{\"Id\":\"a\"}] x",
                "[{\"Id\":\"a\"},]",
                "[{\"Id\":\"a\" \"Names\":[]}]",
                "[{\"Id\":\"a\",\"Created\":-99999999999999999999}]",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                l = (struct engine_container_list) { .n = 77 };
                ck_assert_msg(engine_decode_containers(S(bad[i]), false, &l, &err) == -EBADMSG, "accepted: %s", bad[i]);
                ck_assert_int_eq(l.n, 77);
        }
        /* Nesting: 2048 deep is jansson's limit, also in a member nobody reads. */
        size_t depth = 3000, n = 0;
        char *deep = malloc(2 * depth + 64);
        ck_assert_ptr_nonnull(deep);
        n += (size_t) sprintf(deep, "[{\"Id\":\"a\",\"Ports\":");
        memset(deep + n, '[', depth);
        memset(deep + n + depth, ']', depth);
        n += 2 * depth;
        n += (size_t) sprintf(deep + n, "}]");
        ck_assert_int_eq(engine_decode_containers(deep, n, false, &l, &err), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "depth"));
        free(deep);

        struct engine_df df;
        ck_assert_int_eq(engine_decode_df(S("{\"Images\":[{\"Id\":\"ab\",\"Size\":5,\"Labels\":{\"a\":[]}}],\"BuildCache\":null,"
                                            "\"LayersSize\":7,\"Extra\":{\"deep\":[1,{\"x\":null}]}}"),
                                          &df, &err),
                         0);
        ck_assert_int_eq(df.n_images, 1);
        ck_assert_int_eq(df.images[0].size, 5);
        ck_assert_int_eq(df.images[0].containers, -1);
        ck_assert_int_eq(df.layers_size, 7);
        ck_assert(df.build_cache_supported);
        engine_df_done(&df);
        ck_assert_int_eq(engine_decode_df(S("{\"Images\":{}}"), &df, &err), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "\"Images\" is an object, not an array"));
        ck_assert_int_eq(engine_decode_df(S("{\"Containers\":[{\"Id\":\"c\",\"SizeRw\":\"big\"}]}"), &df, &err), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "/system/df Containers[0]: \"SizeRw\" is a string, not a number"));
}
END_TEST

/* Status, as Docker and Podman word it (go-units' HumanDuration), to "stopped at most this long ago". */
START_TEST(test_status_age) {
        static const struct {
                const char *status;
                int64_t max_sec;       /* -1: not a stopped container's age */
        } table[] = {
                { "Exited (0) Less than a second ago", 1 },
                { "Exited (0) 1 second ago", 2 },
                { "Exited (137) 59 seconds ago", 60 },
                { "Exited (0) About a minute ago", 120 },
                { "Exited (1) 5 minutes ago", 360 },
                { "Exited (0) About an hour ago", 5400 },
                { "Exited (0) 3 hours ago", 12600 },
                { "Exited (0) 47 hours ago", 171000 },
                { "Exited (0) 2 days ago", 3 * 86400 },
                { "Exited (0) 3 weeks ago", 28 * 86400 },
                { "Exited (0) 5 months ago", 180 * 86400 },
                { "Exited (0) 2 years ago", 3 * 365 * 86400 },
                /* past what nanoseconds hold (2262): clamped like every engine time */
                { "Exited (0) 292 years ago", INT64_MAX / 1000000000 },
                { "Exited (0) 100000 years ago", INT64_MAX / 1000000000 },
                { "Exited (0) 3 days", -1 },
                { "Exited (0) 3 fortnights ago", -1 },
                { "Exited (0) -3 days ago", -1 },
                { "Exited (0) three days ago", -1 },
                { "Exited (0) 3 dayss ago", -1 },
                { "Exited (0) ago", -1 },
                { "Up 2 hours", -1 },
                { "Up 2 hours (Paused)", -1 },
                { "Restarting (1) 5 seconds ago", -1 },
                { "Created", -1 },
                { "Dead", -1 },
                { "", -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                int64_t v = -7;
                int r = engine_parse_status_age(table[i].status, &v);
                if (table[i].max_sec < 0) {
                        ck_assert_msg(r == -EINVAL, "accepted \"%s\"", table[i].status);
                        ck_assert_int_eq(v, -7);
                } else {
                        ck_assert_msg(r == 0, "refused \"%s\"", table[i].status);
                        ck_assert_msg(v == table[i].max_sec, "\"%s\": %" PRIi64, table[i].status, v);
                }
        }
        ck_assert_int_eq(engine_parse_status_age(NULL, &(int64_t) { 0 }), -EINVAL);
        /* In a listing: a hint only, whatever it says. */
        struct engine_container_list l;
        ck_assert_int_eq(engine_decode_containers(S("[{\"Id\":\"a\",\"Status\":\"Exited (0) 2 days ago\"},{\"Id\":\"b\",\"Status\":3},"
                                                    "{\"Id\":\"c\",\"Status\":\"Up 1 hour\"},{\"Id\":\"d\"}]"),
                                                  false, &l, NULL),
                         0);
        ck_assert_int_eq(l.items[0].stopped_max_sec, 3 * 86400);
        ck_assert_int_eq(l.items[1].stopped_max_sec, -1);
        ck_assert_int_eq(l.items[2].stopped_max_sec, -1);
        ck_assert_int_eq(l.items[3].stopped_max_sec, -1);
        engine_container_list_done(&l);
}
END_TEST

/* Engine times are clamped where they are decoded: Created in [0, 2262], so that no conversion to
 * nanoseconds overflows later. */
START_TEST(test_created_clamped) {
        struct engine_container_list l;
        ck_assert_int_eq(engine_decode_containers(S("[{\"Id\":\"a\",\"Created\":9223372036854775807},{\"Id\":\"b\",\"Created\":-5},"
                                                    "{\"Id\":\"c\",\"Created\":1700000000}]"),
                                                  false, &l, NULL),
                         0);
        ck_assert_int_eq(l.items[0].created, INT64_MAX / 1000000000);
        ck_assert_int_eq(l.items[1].created, 0);
        ck_assert_int_eq(l.items[2].created, 1700000000);
        engine_container_list_done(&l);
        struct engine_image_list il;
        ck_assert_int_eq(engine_decode_images(S("[{\"Id\":\"sha256:a\",\"Created\":9223372036854775807}]"), &il, NULL), 0);
        ck_assert_int_eq(il.items[0].created, INT64_MAX / 1000000000);
        engine_image_list_done(&il);
}
END_TEST

/* Every proper prefix of a valid body fails cleanly (no leak, no partial result). */
START_TEST(test_decode_truncations) {
        const char *body = "[{\"Id\":\"sha256:ab\",\"RepoTags\":[\"a:1\",\"<none>:<none>\"],\"RepoDigests\":null,"
                           "\"Created\":1,\"Size\":2,\"SharedSize\":-1,\"Containers\":3,\"Labels\":{\"x\":\"y\"},"
                           "\"ParentId\":\"\"}]";
        size_t len = strlen(body);
        for (size_t k = 0; k < len; k++) {
                struct engine_image_list l = { .n = 5 };
                ck_assert_int_eq(engine_decode_images(body, k, &l, NULL), -EBADMSG);
                ck_assert_int_eq(l.n, 5);
        }
        struct engine_image_list l;
        ck_assert_int_eq(engine_decode_images(body, len, &l, NULL), 0);
        ck_assert_int_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].repo_tags[0], "a:1");
        ck_assert_ptr_null(l.items[0].repo_tags[1]);
        ck_assert_ptr_nonnull(l.items[0].repo_digests);
        ck_assert_ptr_null(l.items[0].repo_digests[0]);
        ck_assert_int_eq(l.items[0].shared_size, -1);
        ck_assert_int_eq(l.items[0].containers, 3);
        ck_assert_str_eq(l.items[0].parent_id, "");
        engine_image_list_done(&l);

        /* Podman names the parent by bare hex: it gets the "sha256:" form the image ids have. */
        const char *podman = "[{\"Id\":\"sha256:" HEX64_A "\",\"ParentId\":\"" HEX64_B "\"}]";
        ck_assert_int_eq(engine_decode_images(podman, strlen(podman), &l, NULL), 0);
        ck_assert_str_eq(l.items[0].parent_id, "sha256:" HEX64_B);
        engine_image_list_done(&l);
}
END_TEST

START_TEST(test_decode_inspect) {
        struct engine_container_detail c;
        struct engine_image_detail im;
        ck_assert_int_eq(engine_decode_container_detail(
                                 S("{\"Id\":\"c1\",\"Name\":\"/web\",\"Image\":\"sha256:aa\",\"Created\":\"2024-01-01T00:00:00.5Z\","
                                   "\"State\":{\"Status\":\"exited\",\"StartedAt\":\"2024-01-01T00:00:01Z\","
                                   "\"FinishedAt\":\"2024-01-01T00:00:02Z\"},\"Config\":{\"Labels\":{\"a\":\"b\"}}}"),
                                 &c, NULL),
                         0);
        ck_assert_str_eq(c.name, "web");
        ck_assert_str_eq(c.image_id, "sha256:aa");
        ck_assert_int_eq(c.state, ENGINE_CONTAINER_EXITED);
        ck_assert_int_eq(c.created_ns, INT64_C(1704067200500000000));
        ck_assert_int_eq(c.started_at_ns, INT64_C(1704067201000000000));
        ck_assert_int_eq(c.finished_at_ns, INT64_C(1704067202000000000));
        ck_assert_str_eq(engine_labels_get(&c.labels, "a"), "b");
        engine_container_detail_done(&c);
        ck_assert_int_eq(engine_decode_container_detail(
                                 S("{\"Id\":\"c1\",\"State\":{\"StartedAt\":\"0001-01-01T00:00:00Z\",\"FinishedAt\":\"\"},"
                                   "\"Config\":null}"),
                                 &c, NULL),
                         0);
        ck_assert_int_eq(c.started_at_ns, 0);
        ck_assert_int_eq(c.finished_at_ns, 0);
        ck_assert_int_eq(c.state, ENGINE_CONTAINER_UNKNOWN);
        engine_container_detail_done(&c);
        struct engine_error err = {};
        ck_assert_int_eq(engine_decode_container_detail(S("{\"Id\":\"c\",\"Created\":\"yesterday\"}"), &c, &err), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "\"Created\" is not an RFC 3339 time"));
        ck_assert_int_eq(engine_decode_container_detail(S("{\"Id\":\"c\",\"State\":\"running\"}"), &c, &err), -EBADMSG);

        ck_assert_int_eq(engine_decode_image_detail(S("{\"Id\":\"sha256:bb\",\"RepoTags\":[\"x:1\"],\"Created\":"
                                                      "\"2024-01-01T00:00:00Z\",\"Size\":10,\"Config\":{\"Labels\":null},"
                                                      "\"Metadata\":{\"LastTagTime\":\"2024-01-02T00:00:00Z\"}}"),
                                                    &im, NULL),
                         0);
        ck_assert_int_eq(im.last_tag_time_ns, INT64_C(1704153600000000000));
        ck_assert_int_eq(im.size, 10);
        ck_assert_str_eq(im.repo_tags[0], "x:1");
        ck_assert(!im.parent_id || !*im.parent_id); /* API >= 1.52 says no "Parent" */
        engine_image_detail_done(&im);
        ck_assert_int_eq(engine_decode_image_detail(S("{\"Id\":\"sha256:bb\",\"Parent\":\"" HEX64_B "\"}"), &im, NULL), 0);
        ck_assert_str_eq(im.parent_id, "sha256:" HEX64_B);
        engine_image_detail_done(&im);
        ck_assert_int_eq(engine_decode_image_detail(S("{\"Id\":\"sha256:bb\",\"Metadata\":{\"LastTagTime\":"
                                                      "\"0001-01-01T00:00:00Z\"}}"),
                                                    &im, NULL),
                         0);
        ck_assert_int_eq(im.last_tag_time_ns, 0);
        ck_assert_ptr_null(im.repo_tags[0]);
        engine_image_detail_done(&im);
        /* The containerd store's "never": the epoch (and nothing before it) is unknown too. */
        static const char *const never[] = { "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000001Z", "1969-12-31T23:59:59Z" };
        for (size_t i = 0; i < ELEMENTSOF(never); i++) {
                char body[160];
                snprintf(body, sizeof body, "{\"Id\":\"sha256:bb\",\"Metadata\":{\"LastTagTime\":\"%s\"}}", never[i]);
                ck_assert_int_eq(engine_decode_image_detail(body, strlen(body), &im, NULL), 0);
                ck_assert_msg(im.last_tag_time_ns == 0, "%s", never[i]);
                engine_image_detail_done(&im);
        }
}
END_TEST

START_TEST(test_decode_delete_and_prune) {
        struct engine_image_delete_result d;
        struct engine_prune_result p;
        const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char body[512];

        /* Podman's bare hex ids get Docker's sha256: prefix. */
        snprintf(body, sizeof body, "[{\"Untagged\":\"a:1\"},{\"Deleted\":\"%s\"},{\"Deleted\":\"sha256:%s\"},{}]", hex, hex);
        ck_assert_int_eq(engine_decode_image_delete(S(body), &d, NULL), 0);
        ck_assert_int_eq(d.n, 4);
        ck_assert_str_eq(d.items[0].untagged, "a:1");
        ck_assert_ptr_null(d.items[0].deleted);
        ck_assert_ptr_null(d.items[1].untagged);
        ck_assert_str_eq(d.items[1].deleted + 7, hex);
        ck_assert_int_eq(strncmp(d.items[1].deleted, "sha256:", 7), 0);
        ck_assert_str_eq(d.items[2].deleted, d.items[1].deleted);
        ck_assert_ptr_null(d.items[3].deleted);
        engine_image_delete_result_done(&d);

        ck_assert_int_eq(engine_decode_prune(S("{\"ContainersDeleted\":null,\"SpaceReclaimed\":0}"),
                                             ENGINE_PRUNE_CONTAINERS, &p, NULL),
                         0);
        ck_assert_int_eq(p.n_deleted, 0);
        ck_assert_ptr_nonnull(p.deleted);
        ck_assert_ptr_null(p.deleted[0]);
        engine_prune_result_done(&p);
        ck_assert_int_eq(engine_decode_prune(S("{\"VolumesDeleted\":[\"v1\",\"v2\"],\"SpaceReclaimed\":-5}"),
                                             ENGINE_PRUNE_VOLUMES, &p, NULL),
                         0);
        ck_assert_int_eq(p.n_deleted, 2);
        ck_assert_str_eq(p.deleted[1], "v2");
        ck_assert_int_eq(p.space_reclaimed, 0);
        engine_prune_result_done(&p);
        ck_assert_int_eq(engine_decode_prune(S("{\"NetworksDeleted\":[\"n\"]}"), ENGINE_PRUNE_NETWORKS, &p, NULL), 0);
        ck_assert_int_eq(p.n_deleted, 1);
        engine_prune_result_done(&p);
        ck_assert_int_eq(engine_decode_prune(S("{\"CachesDeleted\":[\"x\"],\"SpaceReclaimed\":12345678901}"),
                                             ENGINE_PRUNE_BUILD_CACHE, &p, NULL),
                         0);
        ck_assert_int_eq(p.space_reclaimed, UINT64_C(12345678901));
        engine_prune_result_done(&p);
        ck_assert_int_eq(engine_decode_prune(S("{\"ImagesDeleted\":[{\"Untagged\":\"a:1\"},{\"Deleted\":\"sha256:x\"},"
                                               "{\"Deleted\":\"sha256:y\"}],\"SpaceReclaimed\":7}"),
                                             ENGINE_PRUNE_IMAGES, &p, NULL),
                         0);
        ck_assert_int_eq(p.n_deleted, 2);
        ck_assert_str_eq(p.deleted[0], "sha256:x");
        ck_assert_str_eq(p.deleted[1], "sha256:y");
        ck_assert_ptr_null(p.deleted[2]);
        ck_assert_int_eq(p.images.n, 3);
        ck_assert_int_eq(p.space_reclaimed, 7);
        engine_prune_result_done(&p);

        struct engine_error err = {};
        ck_assert_int_eq(engine_decode_prune(S("{\"ContainersDeleted\":[1]}"), ENGINE_PRUNE_CONTAINERS, &p, &err), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(err.message, "/containers/prune"));
        ck_assert_int_eq(engine_decode_prune(S("{\"ImagesDeleted\":[\"x\"]}"), ENGINE_PRUNE_IMAGES, &p, &err), -EBADMSG);
        ck_assert_int_eq(engine_decode_prune(S("[]"), ENGINE_PRUNE_VOLUMES, &p, &err), -EBADMSG);
        ck_assert_int_eq(engine_decode_prune(S("{}"), (enum engine_prune_kind) 99, &p, &err), -EINVAL);
}
END_TEST

START_TEST(test_decode_df_volumes_networks) {
        struct engine_df df;
        ck_assert_int_eq(engine_decode_df(S("{\"LayersSize\":100,\"Images\":null,\"Containers\":[],\"Volumes\":[{\"Name\":"
                                            "\"v\",\"Labels\":{\"com.docker.volume.anonymous\":\"\"},\"UsageData\":"
                                            "{\"Size\":4096,\"RefCount\":0}}],\"BuildCache\":[{\"ID\":\"b\",\"Type\":"
                                            "\"regular\",\"Size\":7,\"InUse\":true,\"Shared\":false,\"LastUsedAt\":null}]}"),
                                          &df, NULL),
                         0);
        ck_assert_int_eq(df.layers_size, 100);
        ck_assert_int_eq(df.n_images, 0);
        ck_assert_int_eq(df.n_volumes, 1);
        ck_assert(df.volumes[0].anonymous);
        ck_assert_int_eq(df.volumes[0].size, 4096);
        ck_assert_int_eq(df.volumes[0].ref_count, 0);
        ck_assert_int_eq(df.volumes[0].created_ns, 0);
        ck_assert(df.build_cache_supported);
        ck_assert_int_eq(df.n_build_cache, 1);
        ck_assert(df.build_cache[0].in_use);
        ck_assert(!df.build_cache[0].shared);
        ck_assert_int_eq(df.build_cache[0].last_used_ns, 0);
        engine_df_done(&df);
        /* BuildCache null: Docker with an empty cache; absent: no builder. */
        ck_assert_int_eq(engine_decode_df(S("{\"BuildCache\":null}"), &df, NULL), 0);
        ck_assert(df.build_cache_supported);
        engine_df_done(&df);
        ck_assert_int_eq(engine_decode_df(S("{}"), &df, NULL), 0);
        ck_assert(!df.build_cache_supported);
        engine_df_done(&df);
        ck_assert_int_eq(engine_decode_df(S("{\"BuildCache\":[{\"ID\":\"b\",\"InUse\":\"yes\"}]}"), &df, NULL), -EBADMSG);

        struct engine_volume_list vl;
        ck_assert_int_eq(engine_decode_volumes(S("{\"Volumes\":[{\"Name\":\"named\",\"Driver\":\"local\"},{\"Name\":"
                                                 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
                                                 "{\"Name\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}],"
                                                 "\"Warnings\":null}"),
                                               &vl, NULL),
                         0);
        ck_assert_int_eq(vl.n, 3);
        ck_assert(!vl.items[0].anonymous);
        ck_assert_str_eq(vl.items[0].driver, "local");
        ck_assert(vl.items[1].anonymous);
        ck_assert(!vl.items[2].anonymous); /* engines make lowercase hex */
        engine_volume_list_done(&vl);
        ck_assert_int_eq(engine_decode_volumes(S("{\"Volumes\":null}"), &vl, NULL), 0);
        ck_assert_int_eq(vl.n, 0);
        engine_volume_list_done(&vl);

        struct engine_network_list nl;
        ck_assert_int_eq(engine_decode_networks(S("[{\"Name\":\"none\",\"Id\":\"1\",\"Driver\":\"null\",\"Created\":"
                                                  "\"2024-01-01T00:00:00.9Z\",\"Containers\":{}},{\"Name\":\"mine\",\"Id\":"
                                                  "\"2\",\"Containers\":{\"a\":{},\"b\":{}},\"Labels\":{\"l\":\"1\"}}]"),
                                                &nl, NULL),
                         0);
        ck_assert(nl.items[0].builtin);
        ck_assert_int_eq(nl.items[0].created, 1704067200);
        ck_assert(!nl.items[1].builtin);
        ck_assert_int_eq(nl.items[1].n_containers, 2);
        ck_assert_str_eq(engine_labels_get(&nl.items[1].labels, "l"), "1");
        engine_network_list_done(&nl);
}
END_TEST

START_TEST(test_decode_event_version_info) {
        struct engine_event_data ed;
        ck_assert_int_eq(engine_decode_event(S("{\"Type\":\"container\",\"Action\":\"create\",\"Actor\":{\"ID\":\"c1\","
                                               "\"Attributes\":{\"image\":\"bb:1\",\"name\":\"x\"}},\"time\":1,"
                                               "\"timeNano\":1000000001}"),
                                             &ed, NULL),
                         0);
        ck_assert_str_eq(ed.ev.type, "container");
        ck_assert_str_eq(ed.ev.action, "create");
        ck_assert_str_eq(ed.ev.actor_id, "c1");
        ck_assert_int_eq(ed.ev.time_ns, 1000000001);
        ck_assert_ptr_eq(ed.ev.attributes, &ed.attributes);
        ck_assert_str_eq(engine_labels_get(ed.ev.attributes, "image"), "bb:1");
        engine_event_data_done(&ed);
        /* Old shape: status/id/time only. */
        ck_assert_int_eq(engine_decode_event(S("{\"status\":\"die\",\"id\":\"c2\",\"time\":5}"), &ed, NULL), 0);
        ck_assert_str_eq(ed.ev.action, "die");
        ck_assert_str_eq(ed.ev.actor_id, "c2");
        ck_assert_str_eq(ed.ev.type, "");
        ck_assert_int_eq(ed.ev.time_ns, 5000000000);
        engine_event_data_done(&ed);
        /* Podman's image events: bare hex becomes sha256:hex. */
        ck_assert_int_eq(engine_decode_event(S("{\"Type\":\"image\",\"Action\":\"tag\",\"Actor\":{\"ID\":"
                                               "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}"),
                                             &ed, NULL),
                         0);
        ck_assert_str_eq(ed.ev.actor_id, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        engine_event_data_done(&ed);
        ck_assert_int_eq(engine_decode_event(S("[]"), &ed, NULL), -EBADMSG);
        ck_assert_int_eq(engine_decode_event(S("{\"Actor\":{\"Attributes\":{\"a\":[]}}}"), &ed, NULL), -EBADMSG);

        struct engine_version v;
        ck_assert_int_eq(engine_decode_version(S("{\"Version\":\"4.3.1\",\"ApiVersion\":\"1.41\",\"Components\":[{\"Name\":"
                                                 "\"Podman Engine\"},7]}"),
                                               &v, NULL),
                         0);
        ck_assert(v.podman);
        ck_assert_str_eq(v.min_api_version, "");
        engine_version_done(&v);
        ck_assert_int_eq(engine_decode_version(S("{\"Version\":\"20.10\"}"), &v, NULL), -EBADMSG); /* no ApiVersion */

        struct engine_info info;
        ck_assert_int_eq(engine_decode_info(S("{\"DockerRootDir\":\"/var/lib/docker\",\"Images\":3}"), &info, NULL), 0);
        ck_assert_str_eq(info.docker_root_dir, "/var/lib/docker");
        ck_assert_str_eq(info.driver, "");
        ck_assert_int_eq(info.images, 3);
        ck_assert(!info.containerd_store);
        engine_info_done(&info);
        /* The containerd image store, as dockerd 26 reports it; other DriverStatus shapes say nothing. */
        ck_assert_int_eq(engine_decode_info(S("{\"DockerRootDir\":\"/d\",\"Driver\":\"overlayfs\",\"DriverStatus\":"
                                              "[[\"driver-type\",\"io.containerd.snapshotter.v1\"]]}"),
                                            &info, NULL),
                         0);
        ck_assert(info.containerd_store);
        engine_info_done(&info);
        ck_assert_int_eq(engine_decode_info(S("{\"DockerRootDir\":\"/d\",\"DriverStatus\":[[\"Backing Filesystem\",\"extfs\"],"
                                              "[\"Supports d_type\",\"true\"],[\"x\"],5,null]}"),
                                            &info, NULL),
                         0);
        ck_assert(!info.containerd_store);
        engine_info_done(&info);
        ck_assert_int_eq(engine_decode_info(S("{\"DockerRootDir\":\"/d\",\"DriverStatus\":\"x\"}"), &info, NULL), 0);
        ck_assert(!info.containerd_store);
        engine_info_done(&info);
        ck_assert_str_eq(engine_container_state_to_string(ENGINE_CONTAINER_DEAD), "dead");
        ck_assert_str_eq(engine_container_state_to_string((enum engine_container_state) 42), "unknown");
}
END_TEST

/* The networks and volumes a container pins, from the listing (stopped ones too). */
START_TEST(test_decode_container_networks_volumes) {
        struct engine_error err = {};
        struct engine_container_list l = {};
        const char *body = "[{\"Id\":\"c1\",\"NetworkSettings\":{\"Networks\":{\"ci-net\":{\"NetworkID\":\"n1\"},"
                           "\"bridge\":{}}},\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"data\"},"
                           "{\"Type\":\"bind\",\"Source\":\"/srv\"},{\"Type\":\"volume\",\"Name\":\"\"},{\"Type\":\"volume\",\"Name\":\"0123abcd\"}]},"
                           "{\"Id\":\"c2\"}]";
        ck_assert_int_eq(engine_decode_containers(S(body), false, &l, &err), 0);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_str_eq(l.items[0].networks[0], "ci-net");
        ck_assert_str_eq(l.items[0].networks[1], "bridge");
        ck_assert_ptr_null(l.items[0].networks[2]);
        ck_assert_str_eq(l.items[0].volumes[0], "data");
        ck_assert_str_eq(l.items[0].volumes[1], "0123abcd");
        ck_assert_ptr_null(l.items[0].volumes[2]);
        ck_assert_ptr_null(l.items[1].networks[0]);
        ck_assert_ptr_null(l.items[1].volumes[0]);
        engine_container_list_done(&l);
        ck_assert_int_eq(engine_decode_containers(S("[{\"Id\":\"c\",\"Mounts\":{}}]"), false, &l, &err), -EBADMSG);
        ck_assert_int_eq(engine_decode_containers(S("[{\"Id\":\"c\",\"NetworkSettings\":[]}]"), false, &l, &err), -EBADMSG);
}
END_TEST

int main(void) {
        Suite *s = suite_create("engine decode");
        TCase *tc = tcase_create("decode");
        tcase_add_test(tc, test_parse_time);
        tcase_add_test(tc, test_versions);
        tcase_add_test(tc, test_error_message);
        tcase_add_test(tc, test_decode_containers);
        tcase_add_test(tc, test_decode_container_networks_volumes);
        tcase_add_test(tc, test_decode_truncations);
        tcase_add_test(tc, test_decode_scanned_text);
        tcase_add_test(tc, test_status_age);
        tcase_add_test(tc, test_created_clamped);
        tcase_add_test(tc, test_decode_inspect);
        tcase_add_test(tc, test_decode_delete_and_prune);
        tcase_add_test(tc, test_decode_df_volumes_networks);
        tcase_add_test(tc, test_decode_event_version_info);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
