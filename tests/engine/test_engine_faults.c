/* test_engine_faults.c: the engine client against what a real engine will not do on demand.
 *
 * Each case starts tests/fake/fake-engine.py with a scenario on a private socket (python3, stdlib
 * only). The fake reads its stdin and exits at EOF, so it ends with the case even when an assertion
 * kills the case's process. Needs no real engine. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dctest.h"
#include "fake.h"
#include "engine.h"
#include "macro.h"

#define BASE_NS (INT64_C(1700000000) * 1000000000 + 1234) /* as in fake-engine.py */

static struct engine *engine_at(const char *host, uint64_t timeout_sec, size_t max_body,
                                const atomic_int *cancel) {
        struct engine *e = NULL;
        struct engine_options o = { .host = host, .timeout_sec = timeout_sec, .max_body = max_body, .cancel = cancel };
        ck_assert_int_eq(engine_new(&o, &e), 0);
        return e;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- unreachable ---- */

START_TEST(test_unreachable_missing_socket) {
        char dir[] = "/tmp/dcfault.XXXXXX", path[128];
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/none.sock", dir);
        struct engine *e = engine_at(path, 0, 0, NULL);
        struct engine_container_list l;

        ck_assert_int_eq(engine_ping(e), -ENOENT);
        ck_assert_int_eq(engine_last_error(e)->os_errno, ENOENT);
        ck_assert(engine_error_is_unreachable(-ENOENT));
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, path));
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "no socket"));
        /* Every call negotiates first, so it fails the same way. */
        ck_assert_int_eq(engine_list_containers(e, false, &l), -ENOENT);
        ck_assert_ptr_null(engine_api_version(e));
        engine_free(e);
        rmdir(dir);
}
END_TEST

START_TEST(test_unreachable_refused) {
        char dir[] = "/tmp/dcfault.XXXXXX", path[128];
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/dead.sock", dir);
        /* A socket file nobody listens on (what a crashed engine leaves behind). */
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        ck_assert_int_lt(strlen(path), sizeof sa.sun_path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        close(fd);

        struct engine *e = engine_at(path, 0, 0, NULL);
        ck_assert_int_eq(engine_ping(e), -ECONNREFUSED);
        ck_assert_int_eq(engine_last_error(e)->os_errno, ECONNREFUSED);
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "nothing listens"));
        ck_assert(engine_error_is_unreachable(-ECONNREFUSED));
        engine_free(e);

        /* TCP: a port nobody listens on. */
        e = engine_at("tcp://127.0.0.1:1", 0, 0, NULL);
        ck_assert_int_eq(engine_ping(e), -ECONNREFUSED);
        ck_assert_str_eq(engine_host(e), "tcp://127.0.0.1:1");
        engine_free(e);
        unlink(path);
        rmdir(dir);
}
END_TEST

/* Permission denied needs a process without CAP_DAC_OVERRIDE: as root, a child that became nobody. */
START_TEST(test_unreachable_permission_denied) {
        struct fake f;
        fake_start(&f, "ok");
        ck_assert_int_eq(chmod(f.sock, 0600), 0);
        ck_assert_int_eq(chmod(f.dir, 0755), 0);

        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(10);
                struct engine *e = NULL;
                if (engine_new(&(struct engine_options) { .host = f.sock }, &e) < 0)
                        _exit(11);
                int r = engine_ping(e);
                bool ok = r == -EACCES && engine_last_error(e)->os_errno == EACCES &&
                          strstr(engine_last_error(e)->message, "permission denied") && engine_error_is_unreachable(r);
                if (!ok)
                        fprintf(stderr, "ping as nobody: %d %s\n", r, engine_last_error(e)->message);
                engine_free(e);
                _exit(ok ? 0 : 12);
        }
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st));
        ck_assert_int_eq(WEXITSTATUS(st), 0);

        /* The owner gets through. */
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_ping(e), 0);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_gone_mid_request) {
        struct fake f;
        fake_start(&f, "gone");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        struct engine_container_list l;
        /* Accepted, then closed without a word: the engine went away. */
        int r = engine_list_containers(e, false, &l);
        ck_assert_msg(engine_error_is_unreachable(r), "got %d: %s", r, engine_last_error(e)->message);
        ck_assert_ptr_null(engine_api_version(e)); /* negotiates again next time */
        struct engine_info info;
        ck_assert_int_eq(engine_info(e, &info), 0);
        engine_info_done(&info);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_host_parsing) {
        struct engine *e = NULL;
        char long_path[200];
        memset(long_path, 'a', sizeof long_path - 1);
        long_path[0] = '/';
        long_path[sizeof long_path - 1] = 0;

        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "ssh://user@host" }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "unix://relative.sock" }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "relative.sock" }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = long_path }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://" }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://host:" }, &e), -EINVAL);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "/" }, NULL), -EINVAL);

        unsetenv("DOCKER_TLS_VERIFY");
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://docker.example:1234/" }, &e), 0);
        ck_assert_str_eq(engine_host(e), "tcp://docker.example:1234");
        engine_free(e);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://docker.example" }, &e), 0);
        ck_assert_str_eq(engine_host(e), "tcp://docker.example:2375");
        engine_free(e);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://[::1]" }, &e), 0);
        ck_assert_str_eq(engine_host(e), "tcp://[::1]:2375");
        engine_free(e);
        setenv("DOCKER_TLS_VERIFY", "1", 1);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "tcp://docker.example" }, &e), 0);
        ck_assert_str_eq(engine_host(e), "tcp://docker.example:2376");
        engine_free(e);
        unsetenv("DOCKER_TLS_VERIFY");
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "/run/x.sock" }, &e), 0);
        ck_assert_str_eq(engine_host(e), "unix:///run/x.sock");
        ck_assert_ptr_null(engine_api_version(e));
        ck_assert_int_lt(engine_api_compare(e, "1.0"), 0); /* not negotiated yet */
        engine_free(e);
        setenv("DOCKER_HOST", "tcp://10.1.2.3:4", 1);
        ck_assert_int_eq(engine_new(NULL, &e), 0);
        ck_assert_str_eq(engine_host(e), "tcp://10.1.2.3:4");
        engine_free(e);
        unsetenv("DOCKER_HOST");
        engine_free(NULL);
}
END_TEST

/* ---- versions ---- */

START_TEST(test_api_too_old) {
        struct fake f;
        fake_start(&f, "old-api");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        struct engine_image_list l;
        ck_assert_int_eq(engine_ping(e), -EPROTONOSUPPORT);
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "1.24"));
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, ENGINE_API_MIN));
        ck_assert_ptr_null(engine_api_version(e));
        ck_assert_int_eq(engine_list_images(e, false, &l), -EPROTONOSUPPORT);
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_ptr_null(strstr(log, "/images/json")); /* never asked at an unsupported version */
        fake_stop(&f);
}
END_TEST

/* A newer engine's raised minimum: 1.44 (Docker 29.0-29.2) still leaves 1.51; 1.52 leaves nothing, said
 * once, plainly, and nothing versioned is sent. */
START_TEST(test_api_minimum_raised) {
        struct fake f;
        struct engine_container_list l;
        fake_start(&f, "min-raised");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_list_containers(e, true, &l), 0);
        ck_assert_str_eq(engine_api_version(e), ENGINE_API_MAX);
        engine_container_list_done(&l);
        engine_free(e);
        fake_stop(&f);

        fake_start(&f, "min-above");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_list_containers(e, true, &l), -EPROTONOSUPPORT);
        ck_assert_msg(strstr(engine_last_error(e)->message, "accepts Engine API 1.52 to 1.57; dockerclean speaks 1.25 to 1.51: "
                                                            "no version in common"),
                      "%s", engine_last_error(e)->message);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_msg(!strstr(log, "/v1."), "log: %s", log);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_api_capped_and_versioned) {
        struct fake f;
        struct engine_container_list l;
        fake_start(&f, "new-api");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        /* No explicit ping: the first call negotiates. */
        ck_assert_int_eq(engine_list_containers(e, true, &l), 0);
        ck_assert_str_eq(engine_api_version(e), ENGINE_API_MAX);
        ck_assert_int_eq(engine_api_compare(e, "1.48"), 1);
        ck_assert_int_eq(engine_api_compare(e, "1.51"), 0);
        ck_assert_int_eq(engine_api_compare(e, "1.52"), -1);
        ck_assert_int_eq(engine_api_compare(e, "1.100"), -1);
        ck_assert_int_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].name, "fake1");
        ck_assert_int_eq(l.items[0].size_rw, 0); /* with size=1 an absent SizeRw is 0 */
        engine_container_list_done(&l);
        /* From 1.48 the build prune knobs have new names; keep-storage becomes reserved-space. */
        struct engine_prune_result res;
        struct engine_build_prune_options knobs = { .keep_storage = 5, .max_used_space = 6, .min_free_space = 7, .all = true };
        struct engine_filter until[] = { { "until", "24h" } };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, until, 1, &knobs, &res), -EOPNOTSUPP); /* fake: 404 */
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert(dctest_has_line(log, "GET /_ping"));
        ck_assert(dctest_has_line(log, "GET /v1.51/containers/json?all=1&size=1"));
        ck_assert_msg(dctest_has_line(log, "POST /v1.51/build/prune?filters=%7B%22until%22%3A%5B%2224h%22%5D%7D&reserved-space=5"
                                    "&max-used-space=6&min-free-space=7&all=1"),
                      "log: %s", log);
        fake_stop(&f);

        /* Before 1.48: keep-storage only (reserved-space stands in for it). */
        fake_start(&f, "ok");
        e = engine_at(f.sock, 0, 0, NULL);
        knobs = (struct engine_build_prune_options) { .reserved_space = 9, .max_used_space = 6 };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, NULL, 0, &knobs, &res), -EOPNOTSUPP);
        engine_free(e);
        _cleanup_free_ char *log_old = fake_log(&f);
        ck_assert_msg(dctest_has_line(log_old, "POST /v1.41/build/prune?keep-storage=9"), "log: %s", log_old);
        fake_stop(&f);

        /* No Api-Version header: /version tells. */
        fake_start(&f, "no-api-header");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_ping(e), 0);
        ck_assert_str_eq(engine_api_version(e), "1.43");
        struct engine_version v;
        ck_assert_int_eq(engine_version(e, &v), 0);
        ck_assert_str_eq(v.version, "99.0.0-fake");
        ck_assert(!v.podman);
        engine_version_done(&v);
        engine_free(e);
        _cleanup_free_ char *log2 = fake_log(&f);
        ck_assert(dctest_has_line(log2, "GET /version"));
        ck_assert(dctest_has_line(log2, "GET /v1.43/version"));
        fake_stop(&f);
}
END_TEST

START_TEST(test_connection_reuse) {
        struct fake f;
        fake_start(&f, "ok");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        for (int i = 0; i < 5; i++) {
                struct engine_info info;
                ck_assert_int_eq(engine_info(e, &info), 0);
                ck_assert_str_eq(info.docker_root_dir, "/fake/docker");
                engine_info_done(&info);
        }
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_int_eq(dctest_count(log, "CONNECT"), 1);
        ck_assert_int_eq(dctest_count(log, "GET /v1.41/info"), 5);
        fake_stop(&f);
}
END_TEST

/* ---- HTTP errors ---- */

static void expect_http_error(const char *scenario, long status, const char *message) {
        struct fake f;
        struct engine_container_list l;
        fake_start(&f, scenario);
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_list_containers(e, false, &l), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->code, -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, status);
        ck_assert_str_eq(engine_last_error(e)->message, message);
        ck_assert(!engine_error_is_unreachable(-EREMOTEIO));
        ck_assert(!engine_error_is_prune_running(e, -EREMOTEIO));
        engine_free(e);
        fake_stop(&f);
}

START_TEST(test_http_500) {
        expect_http_error("error-500-json", 500, "fake: storage driver on fire");
        expect_http_error("error-500-text", 500, "fake: plain text failure second line");
        expect_http_error("error-500-empty", 500, "HTTP 500 from GET /v1.41/containers/json?all=1 with an empty body");
}
END_TEST

START_TEST(test_http_409_and_404) {
        struct fake f;
        struct engine_prune_result res;
        struct engine_image_delete_result del;
        fake_start(&f, "prune-running");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        int r = engine_prune(e, ENGINE_PRUNE_CONTAINERS, NULL, 0, NULL, &res);
        ck_assert_int_eq(r, -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        ck_assert(engine_error_is_prune_running(e, r));
        ck_assert(!engine_error_is_prune_running(e, -ENOENT));
        /* 404 on /build/prune means no build cache here (Podman): -EOPNOTSUPP. */
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, NULL, 0, NULL, &res), -EOPNOTSUPP);
        ck_assert_int_eq(engine_last_error(e)->code, -EOPNOTSUPP);
        /* Any other 404 stays an HTTP error. */
        struct engine_volume_list vl;
        ck_assert_int_eq(engine_list_volumes(e, &vl), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
        ck_assert_str_eq(engine_last_error(e)->message, "page not found");
        engine_free(e);
        fake_stop(&f);

        /* Podman's error body: its "message", not its "cause". */
        fake_start(&f, "podman-error");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_delete_image(e, "localhost/x:1", false, &del), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        ck_assert_str_eq(engine_last_error(e)->message, "fake: image used by 1234: image is in use by a container");
        ck_assert(engine_is_podman(e));
        /* Force is not sent to Podman: it would remove running containers using the image. */
        ck_assert_int_eq(engine_delete_image(e, "localhost/x:1", true, &del), -EOPNOTSUPP);
        /* Podman's 500 for removing a running container is the conflict Docker calls 409. */
        ck_assert_int_eq(engine_delete_container(e, "c1", false, false), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "cannot be removed without force"));
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        /* The reference is one escaped path segment; the forced delete never left. */
        ck_assert(dctest_has_line(log, "DELETE /v1.41/images/localhost%2Fx:1?force=0"));
        ck_assert_int_eq(dctest_count(log, "DELETE /v1.41/images/"), 1);
        fake_stop(&f);
}
END_TEST

/* ---- protocol errors ---- */

static void expect_bad_containers(const char *scenario, const char *in_message) {
        struct fake f;
        struct engine_container_list l = { .n = 12345 };
        fake_start(&f, scenario);
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_list_containers(e, false, &l), -EBADMSG);
        ck_assert_int_eq(engine_last_error(e)->code, -EBADMSG);
        ck_assert_msg(strstr(engine_last_error(e)->message, in_message), "%s: \"%s\" lacks \"%s\"", scenario,
                      engine_last_error(e)->message, in_message);
        ck_assert_int_eq(l.n, 12345); /* untouched on failure */
        /* The client is still usable afterwards. */
        struct engine_version v;
        ck_assert_int_eq(engine_version(e, &v), 0);
        engine_version_done(&v);
        engine_free(e);
        fake_stop(&f);
}

START_TEST(test_protocol_errors) {
        expect_bad_containers("not-json", "/containers/json");
        expect_bad_containers("wrong-shape", "expected an array, got an object");
        expect_bad_containers("truncated-length", "truncated");
        expect_bad_containers("truncated-close", "/containers/json");
        expect_bad_containers("truncated-chunked", "containers/json");

        struct fake f;
        fake_start(&f, "wrong-shape");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        struct engine_image_list il;
        ck_assert_int_eq(engine_list_images(e, false, &il), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "[0]: \"Id\" is a number, not a string"));
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_hang_body_times_out) {
        struct fake f;
        struct engine_container_list l;
        fake_start(&f, "hang-body");
        struct engine *e = engine_at(f.sock, 1, 0, NULL);
        int64_t t0 = now_ms();
        ck_assert_int_eq(engine_list_containers(e, false, &l), -ETIMEDOUT);
        ck_assert_int_lt(now_ms() - t0, 3000);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

/* ---- size cap ---- */

START_TEST(test_body_cap) {
        const size_t size = 300000;
        char size_arg[32];
        snprintf(size_arg, sizeof size_arg, "%zu", size);
        const char *extra[] = { "--size", size_arg, NULL };
        const char *scenarios[] = { "sized", "sized-chunked" };

        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++) {
                struct fake f;
                struct engine_image_list l;
                fake_start_args(&f, scenarios[i], extra);
                /* Exactly the cap: fine. */
                struct engine *e = engine_at(f.sock, 0, size, NULL);
                ck_assert_int_eq(engine_list_images(e, false, &l), 0);
                ck_assert_int_eq(l.n, 1);
                engine_image_list_done(&l);
                engine_free(e);
                /* One byte over: -EFBIG, announced (Content-Length) or counted (chunked). */
                e = engine_at(f.sock, 0, size - 1, NULL);
                ck_assert_int_eq(engine_list_images(e, false, &l), -EFBIG);
                ck_assert_int_eq(engine_last_error(e)->code, -EFBIG);
                ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "cap"));
                /* And usable afterwards. */
                struct engine_info info;
                ck_assert_int_eq(engine_info(e, &info), 0);
                engine_info_done(&info);
                engine_free(e);
                fake_stop(&f);
        }
}
END_TEST

/* ---- timeouts and cancellation ---- */

START_TEST(test_timeouts) {
        struct fake f;
        struct engine_container_list l;
        struct engine_df df;

        fake_start(&f, "hang");
        struct engine *e = engine_at(f.sock, 1, 0, NULL);
        int64_t t0 = now_ms();
        ck_assert_int_eq(engine_list_containers(e, false, &l), -ETIMEDOUT);
        int64_t took = now_ms() - t0;
        ck_assert_int_ge(took, 900);
        ck_assert_int_lt(took, 3000);
        ck_assert_int_eq(engine_last_error(e)->code, -ETIMEDOUT);
        ck_assert(!engine_error_is_unreachable(-ETIMEDOUT));
        engine_free(e);
        fake_stop(&f);

        /* df answers after 1.5 s: over a 1 s timeout, under a 3 s one. */
        fake_start(&f, "slow-df");
        e = engine_at(f.sock, 1, 0, NULL);
        ck_assert_int_eq(engine_system_df(e, &df), -ETIMEDOUT);
        engine_free(e);
        e = engine_at(f.sock, 3, 0, NULL);
        ck_assert_int_eq(engine_system_df(e, &df), 0);
        ck_assert(df.build_cache_supported);
        engine_df_done(&df);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

static void count_progress(void *userdata) {
        (*(unsigned *) userdata)++;
}

/* While the engine takes its time (df answers after 1.5 s), the caller hears from the client, so the
 * daemon's watchdog does not starve in a long prune. */
START_TEST(test_progress_while_waiting) {
        struct fake f;
        struct engine_df df;
        unsigned calls = 0;
        fake_start(&f, "slow-df");
        struct engine *e = NULL;
        struct engine_options o = { .host = f.sock, .timeout_sec = 5, .progress = count_progress, .progress_userdata = &calls };
        ck_assert_int_eq(engine_new(&o, &e), 0);
        ck_assert_int_eq(engine_system_df(e, &df), 0);
        engine_df_done(&df);
        ck_assert_uint_ge(calls, 1);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_cancel) {
        struct fake f;
        struct engine_df df;
        atomic_int cancel = 0;
        fake_start(&f, "hang");
        struct engine *e = engine_at(f.sock, 600, 0, &cancel);
        ck_assert_int_eq(engine_ping(e), 0);

        /* A df the engine never answers: the flag ends it, not the 10-minute timeout. */
        struct dctest_raiser c = { &cancel, 300 };
        pthread_t t;
        int64_t t0 = now_ms();
        ck_assert_int_eq(pthread_create(&t, NULL, dctest_raise_after, &c), 0);
        ck_assert_int_eq(engine_system_df(e, &df), -ECANCELED);
        int64_t took = now_ms() - t0;
        pthread_join(t, NULL);
        ck_assert_int_ge(took, 250);
        ck_assert_int_lt(took, 2500);
        ck_assert_int_eq(engine_last_error(e)->code, -ECANCELED);

        /* Raised before the call: nothing is sent. */
        struct engine_info info;
        ck_assert_int_eq(engine_info(e, &info), -ECANCELED);
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_ptr_null(strstr(log, "/info"));
        fake_stop(&f);
}
END_TEST

/* ---- events ---- */

struct drops {
        int errors[8];
        size_t n;
};

struct collected {
        int64_t ids[16];
        int64_t times[16];
        size_t n;
        int stop_after;
        struct drops *drops;
};

static int collect_cb(const struct engine_event *ev, void *userdata) {
        struct collected *c = userdata;
        ck_assert_str_eq(ev->type, "container");
        ck_assert_str_eq(ev->action, "create");
        ck_assert_str_eq(engine_labels_get(ev->attributes, "image"), "img");
        ck_assert_int_eq(ev->actor_id[0], 'c');
        if (c->n < ELEMENTSOF(c->ids)) {
                c->ids[c->n] = strtoll(ev->actor_id + 1, NULL, 10);
                c->times[c->n] = ev->time_ns;
        }
        c->n++;
        return (int) c->n >= c->stop_after ? 7 : 0;
}

static void drop_cb(int error, void *userdata) {
        struct collected *c = userdata;
        struct drops *d = c->drops;
        if (d->n < ELEMENTSOF(d->errors))
                d->errors[d->n] = error;
        d->n++;
}

START_TEST(test_events_reconnect) {
        struct fake f;
        fake_start(&f, "events-drop");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        struct drops drops = {};
        struct collected c = { .stop_after = 4, .drops = &drops };
        struct engine_filter filters[] = { { "type", "container" } };

        ck_assert_int_eq(engine_events_follow_full(e, filters, 1, 0, 50, collect_cb, drop_cb, &c), 7);
        ck_assert_int_eq(c.n, 4);
        /* Told of both drops: the abrupt close (a truncated chunked body) and the clean end. */
        ck_assert_int_eq(drops.n, 2);
        ck_assert_int_eq(drops.errors[0], -EBADMSG);
        ck_assert_int_eq(drops.errors[1], -ECONNRESET);
        for (size_t i = 0; i < 4; i++) {
                ck_assert_int_eq(c.ids[i], (int64_t) i + 1);
                ck_assert_int_eq(c.times[i], BASE_NS + (int64_t) i + 1);
        }
        engine_free(e);

        _cleanup_free_ char *log = fake_log(&f);
        /* First without since (from now), then since = the last timeNano seen, zero-padded. */
        ck_assert_msg(dctest_has_line(log, "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"), "log: %s", log);
        ck_assert_msg(strstr(log, "GET /v1.41/events?since=1700000000.000001236&filters="), "log: %s", log);
        ck_assert_msg(strstr(log, "GET /v1.41/events?since=1700000000.000001237&filters="), "log: %s", log);
        fake_stop(&f);

        /* A given since is sent as is. */
        fake_start(&f, "events-drop");
        e = engine_at(f.sock, 0, 0, NULL);
        c = (struct collected) { .stop_after = 1 };
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, BASE_NS, 50, collect_cb, &c), 7);
        engine_free(e);
        _cleanup_free_ char *log2 = fake_log(&f);
        ck_assert_msg(dctest_has_line(log2, "GET /v1.41/events?since=1700000000.000001234"), "log: %s", log2);
        fake_stop(&f);
}
END_TEST

START_TEST(test_events_reconnect_before_any_event) {
        struct fake f;
        struct collected c = { .stop_after = 1 };
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t before = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;

        fake_start(&f, "events-drop-empty");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 50, collect_cb, &c), 7);
        engine_free(e);
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t after = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;

        /* The second subscription asks from when the first began, not from its own "now". */
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_msg(dctest_has_line(log, "GET /v1.41/events"), "log: %s", log);
        const char *p = strstr(log, "GET /v1.41/events?since=");
        ck_assert_msg(p, "log: %s", log);
        long long sec = 0, nsec = 0;
        ck_assert_int_eq(sscanf(p, "GET /v1.41/events?since=%lld.%9lld", &sec, &nsec), 2);
        int64_t since = sec * 1000000000 + nsec;
        ck_assert_int_ge(since, before);
        ck_assert_int_le(since, after);
        fake_stop(&f);
}
END_TEST

START_TEST(test_events_errors) {
        struct fake f;
        struct collected c = { .stop_after = 100 };

        fake_start(&f, "events-long-line");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 50, collect_cb, &c), -EFBIG);
        ck_assert_int_eq(engine_last_error(e)->code, -EFBIG);
        engine_free(e);
        fake_stop(&f);

        fake_start(&f, "events-garbage");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 50, collect_cb, &c), -EBADMSG);
        ck_assert_int_eq(c.n, 1); /* the good line before it was delivered */
        ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "/events"));
        engine_free(e);
        fake_stop(&f);

        fake_start(&f, "events-500");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 50, collect_cb, &c), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 500);
        ck_assert_str_eq(engine_last_error(e)->message, "fake: cannot stream events");
        engine_free(e);
        fake_stop(&f);
}
END_TEST

START_TEST(test_events_cancel_and_retry) {
        struct fake f;
        atomic_int cancel = 0;
        struct collected c = { .stop_after = 100 };
        struct dctest_raiser cc = { &cancel, 400 }, late = { &cancel, 1500 };
        pthread_t t;

        /* Idle stream: only the flag ends it. */
        fake_start(&f, "events-idle");
        struct engine *e = engine_at(f.sock, 1, 0, &cancel); /* no overall timeout on the stream */
        int64_t t0 = now_ms();
        ck_assert_int_eq(pthread_create(&t, NULL, dctest_raise_after, &late), 0);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 50, collect_cb, &c), -ECANCELED);
        pthread_join(t, NULL);
        ck_assert_int_ge(now_ms() - t0, 1400); /* outlived the 1 s timeout of other calls */
        ck_assert_int_lt(now_ms() - t0, 4000);
        engine_free(e);
        fake_stop(&f);

        /* No engine at all: it keeps retrying (backing off) until cancelled. */
        char dir[] = "/tmp/dcfault.XXXXXX", path[128];
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/none.sock", dir);
        cancel = 0;
        e = engine_at(path, 0, 0, &cancel);
        t0 = now_ms();
        ck_assert_int_eq(pthread_create(&t, NULL, dctest_raise_after, &cc), 0);
        ck_assert_int_eq(engine_events_follow(e, NULL, 0, 0, 100, collect_cb, &c), -ECANCELED);
        pthread_join(t, NULL);
        ck_assert_int_ge(now_ms() - t0, 350);
        engine_free(e);
        rmdir(dir);
}
END_TEST

/* ---- /system/df?type= ---- */

/* From API 1.42 df computes only the parts asked for (type=, repeated); below, the plain call, whose
 * answer covers every part. The query is read from the fake's request log. */
START_TEST(test_system_df_types) {
        struct fake f;
        struct engine_df df;

        fake_start(&f, "new-api"); /* 1.52, capped at 1.51 */
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_system_df_types(e, ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE, &df), 0);
        ck_assert_uint_eq(df.types, ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE);
        ck_assert_int_eq(df.n_images, 1);
        ck_assert_int_eq(df.n_containers, 0); /* null: not computed */
        ck_assert(df.build_cache_supported);
        engine_df_done(&df);
        ck_assert_int_eq(engine_system_df_types(e, ENGINE_DF_IMAGES | ENGINE_DF_VOLUMES | ENGINE_DF_BUILD_CACHE, &df), 0);
        engine_df_done(&df);
        ck_assert_int_eq(engine_system_df_types(e, ENGINE_DF_CONTAINERS, &df), 0);
        ck_assert_int_eq(df.n_images, 0);
        ck_assert_int_eq(df.n_containers, 1);
        engine_df_done(&df);
        /* Every part: the plain call. */
        ck_assert_int_eq(engine_system_df(e, &df), 0);
        ck_assert_uint_eq(df.types, ENGINE_DF_ALL);
        ck_assert_int_eq(df.n_images, 1);
        ck_assert_int_eq(df.n_containers, 1);
        engine_df_done(&df);
        ck_assert_int_eq(engine_system_df_types(e, 0, &df), -EINVAL);
        ck_assert_int_eq(engine_system_df_types(e, ENGINE_DF_ALL + 1, &df), -EINVAL);
        engine_free(e);
        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_msg(dctest_has_line(log, "GET /v1.51/system/df?type=image&type=build-cache"), "log: %s", log);
        ck_assert_msg(dctest_has_line(log, "GET /v1.51/system/df?type=image&type=volume&type=build-cache"), "log: %s", log);
        ck_assert_msg(dctest_has_line(log, "GET /v1.51/system/df?type=container"), "log: %s", log);
        ck_assert_msg(dctest_has_line(log, "GET /v1.51/system/df"), "log: %s", log);
        ck_assert_ptr_null(strstr(log, "system/df?type=container&"));
        fake_stop(&f);

        /* 1.41 (20.10, Podman): no type=, every part computed and said so. */
        fake_start(&f, "ok");
        e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_system_df_types(e, ENGINE_DF_IMAGES, &df), 0);
        ck_assert_uint_eq(df.types, ENGINE_DF_ALL);
        ck_assert_int_eq(df.n_images, 1);
        ck_assert_int_eq(df.n_containers, 1);
        engine_df_done(&df);
        engine_free(e);
        _cleanup_free_ char *log_old = fake_log(&f);
        ck_assert_msg(dctest_has_line(log_old, "GET /v1.41/system/df"), "log: %s", log_old);
        ck_assert_ptr_null(strstr(log_old, "type="));
        fake_stop(&f);
}
END_TEST

/* ---- Podman's df ---- */

START_TEST(test_podman_df) {
        struct fake f;
        struct engine_df df;
        fake_start(&f, "podman-df");
        struct engine *e = engine_at(f.sock, 0, 0, NULL);
        ck_assert_int_eq(engine_system_df(e, &df), 0);
        ck_assert(engine_is_podman(e));
        ck_assert(!df.build_cache_supported); /* an empty BuildCache from Podman means none */
        ck_assert_int_eq(df.n_build_cache, 0);
        ck_assert_int_eq(df.layers_size, 0);
        ck_assert_int_eq(df.n_images, 2);
        ck_assert_str_eq(df.images[0].id, "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
        ck_assert_int_eq(df.images[0].size, 0);
        ck_assert_int_eq(df.images[0].shared_size, 0);
        ck_assert_int_eq(df.images[0].containers, 0);
        ck_assert_str_eq(df.images[0].repo_tags[0], "localhost/x:1");
        ck_assert_ptr_null(df.images[0].repo_tags[1]); /* the bare "latest" */
        ck_assert_ptr_null(df.images[1].repo_tags[0]); /* "<none>" */
        ck_assert_int_eq(df.images[1].size, 5);
        ck_assert_int_eq(df.n_containers, 1);
        ck_assert_str_eq(df.containers[0].image_id, df.images[0].id);
        ck_assert_int_eq(df.containers[0].size_rw, 0);
        ck_assert_int_eq(df.containers[0].size_root_fs, 0);
        ck_assert_int_eq(df.containers[0].state, ENGINE_CONTAINER_EXITED);
        ck_assert_int_eq(df.n_volumes, 1);
        ck_assert_int_eq(df.volumes[0].size, -1);
        ck_assert_int_eq(df.volumes[0].ref_count, -1);
        ck_assert(df.volumes[0].anonymous);
        /* 2024-01-02T03:04:05.5+01:00 */
        ck_assert_int_eq(df.volumes[0].created_ns, INT64_C(1704161045) * 1000000000 + 500000000);
        engine_df_done(&df);
        engine_free(e);
        fake_stop(&f);
}
END_TEST

/* ---- tcp and TLS ---- */

START_TEST(test_tcp_and_tls) {
        struct fake f;
        char host[128];
        const char *plain[] = { "--tcp", NULL };

        unsetenv("DOCKER_TLS_VERIFY");
        fake_start_args(&f, "ok", plain);
        snprintf(host, sizeof host, "tcp://127.0.0.1:%s", f.where);
        struct engine *e = engine_at(host, 0, 0, NULL);
        ck_assert_int_eq(engine_ping(e), 0);
        ck_assert_str_eq(engine_host(e), host);
        ck_assert(!engine_is_podman(e));
        engine_free(e);
        fake_stop(&f);

        /* A CA, a server certificate for 127.0.0.1 and a client certificate, like dockerd --tlsverify. */
        char dir[] = "/tmp/dctls.XXXXXX", other[] = "/tmp/dctls-other.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_ptr_nonnull(mkdtemp(other));
        ck_assert_int_eq(
                dctest_sh("cd %s && exec >/dev/null 2>&1 && "
                          "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fake-ca -keyout ca-key.pem -out ca.pem && "
                          "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr && "
                          "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && "
                          "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile ext -out server.pem && "
                          "openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout key.pem -out client.csr && "
                          "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -out cert.pem && "
                          "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout k.pem -out ca.pem && "
                          "cp %s/cert.pem %s/key.pem .",
                          dir, other, dir, dir),
                0);
        char cert[128], key[128], ca[128];
        snprintf(cert, sizeof cert, "%s/server.pem", dir);
        snprintf(key, sizeof key, "%s/server-key.pem", dir);
        snprintf(ca, sizeof ca, "%s/ca.pem", dir);
        const char *tls[] = { "--tcp", "--tls", cert, key, ca, NULL };
        fake_start_args(&f, "ok", tls);
        snprintf(host, sizeof host, "tcp://127.0.0.1:%s", f.where);

        setenv("DOCKER_TLS_VERIFY", "1", 1);
        setenv("DOCKER_CERT_PATH", dir, 1);
        e = engine_at(host, 0, 0, NULL);
        struct engine_info info;
        ck_assert_int_eq(engine_info(e, &info), 0);
        ck_assert_str_eq(info.server_version, "99.0.0-fake");
        engine_info_done(&info);
        engine_free(e);

        /* A CA that did not sign the server: refused before any request. */
        setenv("DOCKER_CERT_PATH", other, 1);
        e = engine_at(host, 0, 0, NULL);
        int r = engine_ping(e);
        ck_assert_msg(engine_error_is_unreachable(r), "got %d: %s", r, engine_last_error(e)->message);
        engine_free(e);

        /* Plain HTTP to a TLS port: no answer that makes sense. */
        unsetenv("DOCKER_TLS_VERIFY");
        e = engine_at(host, 2, 0, NULL);
        r = engine_ping(e);
        ck_assert_msg(r < 0 && r != -EPROTONOSUPPORT, "got %d", r);
        engine_free(e);
        unsetenv("DOCKER_CERT_PATH");

        _cleanup_free_ char *log = fake_log(&f);
        ck_assert_int_eq(dctest_count(log, "GET /v1.41/info"), 1);
        fake_stop(&f);
        dctest_sh("rm -rf %s %s", dir, other);
}
END_TEST

int main(void) {
        /* Podman or Docker runs of the engine suite set these; this suite never uses a real engine. */
        unsetenv("DOCKER_HOST");
        unsetenv("DOCKER_TLS_VERIFY");
        unsetenv("DOCKER_CERT_PATH");
        dctest_require(dctest_sh("command -v python3 >/dev/null || test -x /usr/bin/python3") == 0,
                       "python3 is needed for the fake engine");

        Suite *s = suite_create("engine faults");
        TCase *tc = tcase_create("faults");
        tcase_set_timeout(tc, 120); /* the fake's start may take up to 60 s on a loaded host */
        tcase_add_test(tc, test_unreachable_missing_socket);
        tcase_add_test(tc, test_unreachable_refused);
        tcase_add_test(tc, test_unreachable_permission_denied);
        tcase_add_test(tc, test_gone_mid_request);
        tcase_add_test(tc, test_host_parsing);
        tcase_add_test(tc, test_api_too_old);
        tcase_add_test(tc, test_api_capped_and_versioned);
        tcase_add_test(tc, test_api_minimum_raised);
        tcase_add_test(tc, test_connection_reuse);
        tcase_add_test(tc, test_http_500);
        tcase_add_test(tc, test_http_409_and_404);
        tcase_add_test(tc, test_protocol_errors);
        tcase_add_test(tc, test_hang_body_times_out);
        tcase_add_test(tc, test_progress_while_waiting);
        tcase_add_test(tc, test_body_cap);
        tcase_add_test(tc, test_timeouts);
        tcase_add_test(tc, test_cancel);
        tcase_add_test(tc, test_events_reconnect);
        tcase_add_test(tc, test_events_reconnect_before_any_event);
        tcase_add_test(tc, test_events_errors);
        tcase_add_test(tc, test_events_cancel_and_retry);
        tcase_add_test(tc, test_system_df_types);
        tcase_add_test(tc, test_podman_df);
        tcase_add_test(tc, test_tcp_and_tls);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
