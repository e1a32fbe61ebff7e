/* test_control.c: lib/control.c (the control socket's messages, which requests wait and what one
 * cleanup for them aims at), policy_free_target_config() and the control.* keys. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "dctest.h"
#include "lease.h"
#include "macro.h"
#include "policy.h"
#include "usage.h"
#include "strv.h"
#include <stdio.h>

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

START_TEST(test_request_parse_table) {
        static const struct {
                const char *text;
                int r;
                uint64_t bytes;
                const char *path;
                const char *why;             /* a part of the reason, for failures */
        } table[] = {
                { "{\"op\":\"ensure-free\",\"bytes\":1048576}\n", 0, 1048576, NULL, NULL },
                { "{\"op\":\"ensure-free\",\"bytes\":5,\"path\":\"/var/lib/docker\"}", 0, 5, "/var/lib/docker", NULL },
                { "{\"op\":\"ensure-free\",\"bytes\":0}", -EINVAL, 0, NULL, "positive" },
                { "{\"op\":\"ensure-free\",\"bytes\":-3}", -EINVAL, 0, NULL, "positive" },
                { "{\"op\":\"ensure-free\",\"bytes\":\"20G\"}", -EINVAL, 0, NULL, "positive" },
                { "{\"op\":\"ensure-free\"}", -EINVAL, 0, NULL, "bytes" },
                { "{\"op\":\"prune\",\"bytes\":5}", -EINVAL, 0, NULL, "\"op\"" },
                { "{\"bytes\":5}", -EINVAL, 0, NULL, "\"op\"" },
                { "{\"op\":\"ensure-free\",\"bytes\":5,\"path\":\"relative\"}", -EINVAL, 0, NULL, "absolute" },
                { "{\"op\":\"ensure-free\",\"bytes\":5,\"path\":7}", -EINVAL, 0, NULL, "absolute" },
                { "{\"op\":\"ensure-free\",\"bytes\":5,\"force\":true}", -EINVAL, 0, NULL, "unknown member \"force\"" },
                { "{\"op\":\"ensure-free\",\"bytes\":5,\"bytes\":6}", -EINVAL, 0, NULL, "not JSON" },
                { "[1,2]", -EINVAL, 0, NULL, "not a JSON object" },
                { "ensure-free 20G", -EINVAL, 0, NULL, "not JSON" },
                { "", -EINVAL, 0, NULL, "not JSON" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct control_request r = { .bytes = 99 };
                char why[256] = "";
                int ret = control_request_parse(table[i].text, strlen(table[i].text), &r, why, sizeof why);
                ck_assert_msg(ret == table[i].r, "%s: %d (%s)", table[i].text, ret, why);
                if (ret < 0) {
                        ck_assert_msg(strstr(why, table[i].why), "%s: reason '%s'", table[i].text, why);
                        ck_assert_uint_eq(r.bytes, 99); /* untouched on failure */
                        continue;
                }
                ck_assert_uint_eq(r.bytes, table[i].bytes);
                ck_assert(table[i].path ? r.path && streq(r.path, table[i].path) : r.path == NULL);
                control_request_done(&r);
        }
}
END_TEST

START_TEST(test_request_size_cap) {
        size_t n = CONTROL_MESSAGE_MAX + 1;
        char *big = malloc(n);
        ck_assert_ptr_nonnull(big);
        memset(big, ' ', n);
        struct control_request r;
        char why[256];
        ck_assert_int_eq(control_request_parse(big, n, &r, why, sizeof why), -EINVAL);
        ck_assert_ptr_nonnull(strstr(why, "longer than"));
        free(big);
}
END_TEST

START_TEST(test_round_trip) {
        struct control_request q = { .bytes = 20 * GiB, .path = (char[]){ "/srv/docker" } }, back;
        char line[CONTROL_MESSAGE_MAX], why[128];
        ck_assert_int_gt(control_request_format(&q, line, sizeof line), 0);
        ck_assert(line[strlen(line) - 1] == '\n');
        ck_assert_int_eq(control_request_parse(line, strlen(line), &back, why, sizeof why), 0);
        ck_assert_uint_eq(back.bytes, q.bytes);
        ck_assert_str_eq(back.path, "/srv/docker");
        control_request_done(&back);

        for (int s = 0; s < _CONTROL_STATUS_MAX; s++) {
                struct control_reply r = { .status = (enum control_status) s, .free_bytes = 3 * GiB }, got;
                snprintf(r.reason, sizeof r.reason, "kept 2 \"in use\"\n");
                ck_assert_int_gt(control_reply_format(&r, line, sizeof line), 0);
                ck_assert_int_eq(control_reply_parse(line, strlen(line), &got), 0);
                ck_assert_int_eq(got.status, s);
                ck_assert_uint_eq(got.free_bytes, 3 * GiB);
                ck_assert_str_eq(got.reason, r.reason);
        }
        struct control_reply got;
        ck_assert_int_eq(control_reply_parse("{\"status\":\"maybe\",\"free\":1,\"reason\":\"\"}", 40, &got), -EBADMSG);
        ck_assert_int_eq(control_reply_parse("{\"status\":\"ok\",\"reason\":\"\"}", 27, &got), -EBADMSG);
}
END_TEST

/* A filesystem of total bytes with free bytes available (no reserve: used + free = total). */
static struct usage_fs fs(const char *path, uint64_t total, uint64_t free_bytes) {
        struct usage_fs f = { .path = path };
        usage_from_counts(4096, total / 4096, free_bytes / 4096, free_bytes / 4096, 0, 0, 0, &f.usage);
        return f;
}

START_TEST(test_judge_table) {
        struct usage_set s = { .n = 2 };
        s.fs[0] = fs("/var/lib/docker", 100 * GiB, 10 * GiB);
        s.fs[1] = fs("/var/lib/containerd", 50 * GiB, 30 * GiB);
        static const struct {
                const char *what;
                uint64_t bytes;
                int fs;
                enum control_verdict expected;
        } table[] = {
                { "there already everywhere", 5 * GiB, -1, CONTROL_VERDICT_MET },
                { "exactly what is free", 10 * GiB, -1, CONTROL_VERDICT_MET },
                { "one byte more than the fuller has", 10 * GiB + 1, -1, CONTROL_VERDICT_WAIT },
                { "only the emptier one, there already", 20 * GiB, 1, CONTROL_VERDICT_MET },
                { "only the fuller one, waits", 20 * GiB, 0, CONTROL_VERDICT_WAIT },
                { "the whole of the smaller one", 50 * GiB, -1, CONTROL_VERDICT_WAIT },
                { "more than the smaller one holds", 50 * GiB + 4096, -1, CONTROL_VERDICT_NEVER },
                { "... but the larger one alone can", 50 * GiB + 4096, 0, CONTROL_VERDICT_WAIT },
                { "more than the larger one holds", 101 * GiB, 0, CONTROL_VERDICT_NEVER },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct control_want w = { .bytes = table[i].bytes, .fs = table[i].fs };
                ck_assert_msg(control_judge(&s, &w) == table[i].expected, "%s", table[i].what);
        }
        struct control_want all = { .bytes = 1, .fs = -1 };
        ck_assert_uint_eq(control_tightest(&s, &all), 0);
        struct control_want second = { .bytes = 1, .fs = 1 };
        ck_assert_uint_eq(control_tightest(&s, &second), 1);
}
END_TEST

/* Concurrent requests: one cleanup, aimed at the largest of what waits, on the filesystems that lack it. */
START_TEST(test_round_table) {
        struct usage_set s = { .n = 2 };
        s.fs[0] = fs("/a", 100 * GiB, 10 * GiB);
        s.fs[1] = fs("/b", 50 * GiB, 30 * GiB);
        static const struct {
                const char *what;
                struct control_want wants[4];
                size_t n;
                size_t waiting;
                uint64_t bytes;
                bool fs0, fs1;
        } table[] = {
                { "nothing waits", { { 1 * GiB, -1 } }, 1, 0, 0, false, false },
                { "three jobs, one cleanup for the largest", { { 12 * GiB, -1 }, { 15 * GiB, -1 }, { 11 * GiB, -1 } }, 3, 3, 15 * GiB, true, false },
                { "the met and the never do not count", { { 5 * GiB, -1 }, { 500 * GiB, -1 }, { 14 * GiB, 0 } }, 3, 1, 14 * GiB, true, false },
                { "a want larger than /b's free brings /b in", { { 35 * GiB, -1 }, { 12 * GiB, 0 } }, 2, 2, 35 * GiB, true, true },
                { "one for /b alone", { { 40 * GiB, 1 } }, 1, 1, 40 * GiB, false, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t bytes = 7;
                bool in[USAGE_SET_MAX];
                size_t n = control_round(table[i].wants, table[i].n, &s, &bytes, in);
                ck_assert_msg(n == table[i].waiting, "%s: %zu waiting", table[i].what, n);
                ck_assert_msg(bytes == table[i].bytes, "%s: bytes", table[i].what);
                ck_assert_msg(in[0] == table[i].fs0 && in[1] == table[i].fs1, "%s: filesystems", table[i].what);
        }
}
END_TEST

/* The cleanup's configuration: triggered by and done at free >= SIZE alone, whatever the watermarks say. */
START_TEST(test_free_target_config) {
        struct config c;
        ck_assert_int_eq(config_init_defaults(&c), 0);
        c.disk.high_watermark = 80;
        c.disk.low_watermark = 70;
        struct config t;
        policy_free_target_config(&c, 20 * GiB, &t);
        struct usage_fs full = fs("/x", 100 * GiB, 15 * GiB);   /* 85 % used: above the watermark */
        ck_assert(policy_triggered(&t, &full.usage));           /* 15 GiB free < 20 GiB */
        ck_assert_uint_eq(policy_bytes_needed(&t, &full.usage), 5 * GiB); /* exactly enough, not down to 70 % */
        struct usage_fs roomy = fs("/x", 100 * GiB, 25 * GiB);  /* 75 %: the watermarks would not end here */
        ck_assert(!policy_triggered(&t, &roomy.usage));
        ck_assert(policy_targets_met(&t, &roomy.usage));
        struct usage_fs tiny = fs("/x", 10 * GiB, 1 * GiB);
        ck_assert_uint_eq(policy_bytes_needed(&t, &tiny.usage), UINT64_MAX);
        ck_assert(t.tiers[0].type == c.tiers[0].type && t.protect_labels == c.protect_labels); /* same policy */
        config_done(&c);
}
END_TEST

START_TEST(test_control_keys) {
        struct config c;
        struct config_error e;
        ck_assert_int_eq(config_parse_string("control = { socket = \"/run/x/c.sock\"; group = \"ci-runner\"; };", "t", &c, &e), 0);
        ck_assert_str_eq(c.control_socket, "/run/x/c.sock");
        ck_assert_str_eq(c.control_group, "ci-runner");
        config_done(&c);
        ck_assert_int_eq(config_parse_string("", "t", &c, &e), 0);
        ck_assert_str_eq(c.control_socket, CONFIG_CONTROL_SOCKET_DEFAULT);
        ck_assert_ptr_null(c.control_group);
        config_done(&c);
        ck_assert_int_eq(config_parse_string("control = { socket = \"\"; };", "t", &c, &e), 0);
        ck_assert_ptr_null(c.control_socket);
        config_done(&c);
        static const struct {
                const char *text;
                const char *error;
        } bad[] = {
                { "control = { socket = \"run/c.sock\"; };", "t:1: control.socket: expected an absolute path" },
                { "control = { socket = \"/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/c\"; };",
                  "t:1: control.socket: path too long for a unix socket" },
                { "control = { group = \"wheel; rm\"; };", "t:1: control.group: expected a group name" },
                { "control = { group = 5; };", "t:1: control.group: expected a group name" },
                { "control = { grup = \"x\"; };", "t:1: control.grup: unknown key" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ck_assert_int_lt(config_parse_string(bad[i].text, "t", &c, &e), 0);
                ck_assert_msg(strncmp(e.text, bad[i].error, strlen(bad[i].error)) == 0, "%s: '%s'", bad[i].text, e.text);
        }
}
END_TEST

START_TEST(test_lease_ops_table) {
        static const struct {
                const char *text;
                int r;
                enum control_op op;
                size_t n_images;
                const char *why;
        } table[] = {
                { "{\"op\":\"lease\",\"images\":[\"app:1\",\"sha256:abc\"],\"seconds\":7200}", 0, CONTROL_OP_LEASE, 2, NULL },
                { "{\"op\":\"lease\",\"images\":[],\"seconds\":60}", -EINVAL, 0, 0, "list of 1 to" },
                { "{\"op\":\"lease\",\"images\":[\"app:1\"],\"seconds\":0}", -EINVAL, 0, 0, "\"seconds\"" },
                { "{\"op\":\"lease\",\"images\":[\"app:1\"],\"seconds\":604801}", -EINVAL, 0, 0, "\"seconds\"" },
                { "{\"op\":\"lease\",\"images\":[\"app:1 x\"],\"seconds\":60}", -EINVAL, 0, 0, "not an image" },
                { "{\"op\":\"lease\",\"images\":[\"../x?y\"],\"seconds\":60}", -EINVAL, 0, 0, "not an image" },
                { "{\"op\":\"lease\",\"images\":[\"-f\"],\"seconds\":60}", -EINVAL, 0, 0, "not an image" },
                { "{\"op\":\"lease\",\"images\":[\"a\"],\"seconds\":60,\"bytes\":1}", -EINVAL, 0, 0, "unknown member" },
                { "{\"op\":\"release\",\"lease\":\"0123456789abcdef\"}", 0, CONTROL_OP_RELEASE, 0, NULL },
                { "{\"op\":\"release\",\"lease\":\"0123456789ABCDEF\"}", -EINVAL, 0, 0, "16 hex" },
                { "{\"op\":\"release\",\"lease\":\"../../etc\"}", -EINVAL, 0, 0, "16 hex" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct control_request r = {};
                char why[256] = "";
                int ret = control_request_parse(table[i].text, strlen(table[i].text), &r, why, sizeof why);
                ck_assert_msg(ret == table[i].r, "%s: %d (%s)", table[i].text, ret, why);
                if (ret < 0) {
                        ck_assert_msg(strstr(why, table[i].why), "%s: reason '%s'", table[i].text, why);
                        continue;
                }
                ck_assert_int_eq(r.op, table[i].op);
                ck_assert_uint_eq(strv_length(r.images), table[i].n_images);
                /* What the client formats, the daemon parses back the same. */
                char line[CONTROL_MESSAGE_MAX];
                struct control_request back = {};
                ck_assert_int_gt(control_request_format(&r, line, sizeof line), 0);
                ck_assert_int_eq(control_request_parse(line, strlen(line), &back, why, sizeof why), 0);
                ck_assert_int_eq(back.op, r.op);
                ck_assert(strv_equal(back.images, r.images) && streq(back.lease, r.lease) && back.seconds == r.seconds);
                control_request_done(&back);
                control_request_done(&r);
        }
}
END_TEST

/* The lease set: expiry, the ids every plan counts as in use, the file round trip, and a broken file. */
START_TEST(test_lease_set) {
        struct lease_set s = {};
        char id1[LEASE_ID_LEN + 1], id2[LEASE_ID_LEN + 1];
        lease_id_format((const uint8_t[8]){ 1, 2, 3, 4, 5, 6, 7, 8 }, id1);
        lease_id_format((const uint8_t[8]){ 0xff, 0, 0, 0, 0, 0, 0, 0xab }, id2);
        ck_assert_str_eq(id1, "0102030405060708");
        ck_assert(lease_id_valid(id2) && !lease_id_valid("0102") && !lease_id_valid("010203040506070g"));
        char **ids = NULL, **refs = NULL;
        ck_assert_int_eq(strv_push_dup(&ids, "sha256:a"), 0);
        ck_assert_int_eq(strv_push_dup(&refs, "app:1"), 0);
        ck_assert_int_eq(lease_set_add(&s, id1, 100, 1000, &ids, &refs), 0);
        ck_assert_ptr_null(ids);
        ck_assert_int_eq(strv_push_dup(&ids, "sha256:a"), 0);
        ck_assert_int_eq(strv_push_dup(&ids, "sha256:b"), 0);
        ck_assert_int_eq(strv_push_dup(&refs, "app:1"), 0);
        ck_assert_int_eq(strv_push_dup(&refs, "db:2"), 0);
        ck_assert_int_eq(lease_set_add(&s, id1, 200, 0, &ids, &refs), -EEXIST);
        ck_assert_int_eq(lease_set_add(&s, id2, 200, 0, &ids, &refs), 0);
        char **all = NULL;
        ck_assert_int_eq(lease_set_image_ids(&s, &all), 0);
        ck_assert_uint_eq(strv_length(all), 2); /* sha256:a once */
        strv_free(all);
        ck_assert_int_eq(lease_set_next_end(&s), 100);

        s.items[1].bytes = 42 * MiB;
        ck_assert_uint_eq(lease_set_bytes(&s), 42 * MiB);
        char *text = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);
        ck_assert_int_eq(lease_set_write(&s, f), 0);
        fclose(f);
        struct lease_set back;
        ck_assert_int_eq(lease_set_parse(text, n, &back), 0);
        ck_assert_uint_eq(back.n, 2);
        ck_assert_str_eq(back.items[1].id, id2);
        ck_assert(back.items[1].until_ns == 200 && back.items[0].uid == 1000);
        ck_assert_str_eq(back.items[1].refs[1], "db:2");
        ck_assert_uint_eq(back.items[1].bytes, 42 * MiB);
        lease_set_done(&back);
        free(text);

        ck_assert_uint_eq(lease_set_expire(&s, 100), 1);   /* ends at 100: gone at 100 */
        ck_assert_int_eq(lease_set_find(&s, id1), -ENOENT);
        ck_assert_int_eq(lease_set_find(&s, id2), 0);
        ck_assert_uint_eq(lease_set_expire(&s, 199), 0);
        lease_set_done(&s);

        static const char *const broken[] = {
                "", "[]", "{\"leases\":{}}", "{\"leases\":[{\"id\":\"x\",\"until_ns\":1,\"uid\":0,\"images\":[\"a\"],\"refs\":[\"a\"]}]}",
                "{\"leases\":[{\"id\":\"0102030405060708\",\"until_ns\":1,\"uid\":-1,\"images\":[\"a\"],\"refs\":[\"a\"]}]}",
                "{\"leases\":[{\"id\":\"0102030405060708\",\"until_ns\":1,\"uid\":0,\"images\":[\"a\"],\"refs\":[]}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(broken); i++)
                ck_assert_msg(lease_set_parse(broken[i], strlen(broken[i]), &back) == -EBADMSG, "%s", broken[i]);
}
END_TEST

/* A leased image counts as in use in the plan: kept, and the next one goes instead. */
START_TEST(test_leased_image_kept) {
        struct config c;
        ck_assert_int_eq(config_init_defaults(&c), 0);
        c.n_tiers = 1;
        c.tiers[0] = (struct config_tier){ .type = CONFIG_TIER_UNUSED_IMAGES };
        static char *const tags_a[] = { "a:1", NULL }, *const tags_b[] = { "b:1", NULL };
        const struct policy_image images[] = {
                { .id = "sha256:a", .tags = tags_a, .created_ns = 1, .size = 100 * MiB },
                { .id = "sha256:b", .tags = tags_b, .created_ns = 2, .size = 100 * MiB },
        };
        const struct policy_snapshot snap = { .now_ns = INT64_C(1) << 60, .images = images, .n_images = 2 };
        struct usage_fs u = fs("/x", 1 * GiB, 50 * MiB);
        struct config t;
        policy_free_target_config(&c, 120 * MiB, &t);
        char *const leased[] = { "sha256:a", NULL };
        for (int with_lease = 0; with_lease < 2; with_lease++) {
                t.leased_image_ids = with_lease ? leased : NULL;
                struct policy_plan plan;
                ck_assert_int_eq(policy_plan(&t, &u.usage, &snap, &plan), 0);
                ck_assert_uint_eq(plan.n_to_target, 1);                /* exactly enough: one image */
                ck_assert_str_eq(plan.actions[0].id, with_lease ? "sha256:b" : "sha256:a");
                ck_assert_uint_eq(plan.kept.in_use, with_lease ? 1 : 0);
                policy_plan_done(&plan);
        }
        config_done(&c);
}
END_TEST

int main(void) {
        Suite *s = suite_create("control");
        TCase *tc = tcase_create("control");
        tcase_add_test(tc, test_request_parse_table);
        tcase_add_test(tc, test_request_size_cap);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_judge_table);
        tcase_add_test(tc, test_round_table);
        tcase_add_test(tc, test_free_target_config);
        tcase_add_test(tc, test_control_keys);
        tcase_add_test(tc, test_lease_ops_table);
        tcase_add_test(tc, test_lease_set);
        tcase_add_test(tc, test_leased_image_kept);
        suite_add_tcase(s, tc);
        return dctest_run(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
