/* test_engine.c: the engine client against a real engine.
 *
 * Runs against the bench engine (tests/bench/with-engine.sh --engine docker20|docker26|
 * docker26-containerd|podman5), or against Debian 12's Podman 4.3 (tests/e2e/engine_podman.sh,
 * DOCKERCLEAN_TEST_ENGINE=podman). DOCKERCLEAN_TEST_ENGINE names the engine (a name starting with
 * "podman" is Podman's Docker-compatible service); the cases Podman cannot do (a prune lock, build
 * cache) assert Podman's documented answer instead. The objects are made with the CLI that matches the
 * engine (DOCKERCLEAN_TEST_DOCKER), at the engine's own API version.
 *
 * Every object a case makes carries the label dcet.run=<pid of this process> and a unique name, and
 * is removed by the case; main() sweeps whatever a failed case left behind. Other suites share the
 * engine, so nothing here assumes it is empty or touches objects it did not make. */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dctest.h"
#include "engine.h"
#include "macro.h"

static const char *sock;
static bool podman;
static int run_id;

static const char *docker_bin(void) {
        const char *d = getenv("DOCKERCLEAN_TEST_DOCKER");
        if (d && *d)
                return d;
        return access("/usr/bin/docker", X_OK) == 0 ? "/usr/bin/docker" : "docker";
}

/* The engine's major version ("5.4.2" -> 5), from /version. */
static unsigned engine_major(struct engine *e) {
        struct engine_version v;
        unsigned major = 0;
        ck_assert_int_eq(engine_version(e, &v), 0);
        ck_assert_int_eq(sscanf(v.version, "%u", &major), 1);
        engine_version_done(&v);
        return major;
}

static char *vfmt(const char *fmt, va_list ap) {
        char *s = NULL;
        ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
        return s;
}

/* Runs the docker CLI against the engine under test; its exit status. */
_printf_(1, 2) static int dk(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *args = vfmt(fmt, ap);
        va_end(ap);
        return dctest_sh("DOCKER_BUILDKIT=0 %s -H unix://%s %s >/dev/null 2>&1", docker_bin(), sock, args);
}

/* Same, returning trimmed stdout (NULL when the command failed). */
_printf_(1, 2) static char *dk_out(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *args = vfmt(fmt, ap);
        va_end(ap);
        return dctest_sh_output("DOCKER_BUILDKIT=0 %s -H unix://%s %s 2>/dev/null", docker_bin(), sock, args);
}

/* A name no other case or run uses: dcet-<run>-<pid>-<what>-<n>. */
static char *uniq(const char *what) {
        static unsigned counter;
        char *s;
        ck_assert_int_ge(asprintf(&s, "dcet-%d-%d-%s-%u", run_id, (int) getpid(), what, counter++), 0);
        return s;
}

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Builds ref FROM scratch with a copy of busybox, a nonce (every build is a new image), the run
 * label and an optional extra LABEL line ("k=v"); buildkit selects the builder. Returns the id. */
static char *build_image_with(const char *ref, const char *label, bool buildkit) {
        char dir[] = "/tmp/dcet-ctx.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(dctest_sh("cp /bin/busybox %s/busybox && head -c 32 /dev/urandom | od -An -tx1 > %s/nonce", dir, dir),
                         0);
        ck_assert_int_eq(dctest_sh("printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY nonce /nonce\\n"
                                   "LABEL dcet.run=%d %s\\nENTRYPOINT [\"/bin/busybox\"]\\nCMD [\"sh\"]\\n' > %s/Dockerfile",
                                   run_id, label ? label : "", dir),
                         0);
        int st = dctest_sh("DOCKER_BUILDKIT=%d %s -H unix://%s build -q -t %s %s >/dev/null 2>&1", buildkit ? 1 : 0,
                           docker_bin(), sock, ref, dir);
        dctest_sh("rm -rf %s", dir);
        ck_assert_msg(st == 0, "docker build of %s failed", ref);
        char *id = dk_out("image inspect -f '{{.Id}}' %s", ref);
        ck_assert_ptr_nonnull(id);
        return id;
}

static char *build_image(const char *ref, const char *label) {
        return build_image_with(ref, label, false);
}

/* `docker VERB OPTS --network none --label dcet.run=N --name NAME IMAGE [CMD]` (verb_opts like
 * "run -d --label k=v"); returns the full container id. */
static char *container(const char *name, const char *image, const char *verb_opts, const char *cmd) {
        const char *sp = strchr(verb_opts, ' ');
        _cleanup_free_ char *verb = sp ? strndup(verb_opts, (size_t) (sp - verb_opts)) : strdup(verb_opts);
        ck_assert_ptr_nonnull(verb);
        free(dk_out("%s %s --network none --label dcet.run=%d --name %s %s %s", verb, sp ? sp + 1 : "", run_id, name,
                    image, cmd ? cmd : ""));
        char *id = dk_out("container inspect -f '{{.Id}}' %s", name);
        ck_assert_msg(id != NULL, "container %s was not made", name);
        return id;
}

/* "--label dcet.case=X" and similar option strings. */
_printf_(1, 2) static char *fmt(const char *f, ...) {
        va_list ap;
        va_start(ap, f);
        char *s = vfmt(f, ap);
        va_end(ap);
        return s;
}

static struct engine *engine_open(void) {
        struct engine *e = NULL;
        struct engine_options o = { .host = sock };
        ck_assert_int_eq(engine_new(&o, &e), 0);
        return e;
}

static void engine_freep(struct engine **e) {
        engine_free(*e);
}
#define _cleanup_engine_ _cleanup_(engine_freep)

static const struct engine_container *find_container(const struct engine_container_list *l, const char *id) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].id, id) == 0)
                        return &l->items[i];
        return NULL;
}

static const struct engine_image *find_image(const struct engine_image_list *l, const char *id) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].id, id) == 0)
                        return &l->items[i];
        return NULL;
}

static bool strv_contains(char *const *strv, const char *s) {
        for (; strv && *strv; strv++)
                if (strcmp(*strv, s) == 0)
                        return true;
        return false;
}

static size_t strv_length(char *const *strv) {
        size_t n = 0;
        while (strv && strv[n])
                n++;
        return n;
}

/* A short reference as the engine shows it: Docker keeps it; Podman qualifies it
 * ("x" -> "docker.io/library/x:latest"). with_tag adds Docker's ":latest" too. */
static char *shown(const char *ref, bool with_tag) {
        const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
        bool tagged = colon && (!slash || colon > slash);
        char *s;
        ck_assert_int_ge(asprintf(&s, "%s%s%s", podman ? "docker.io/library/" : "", ref,
                                  tagged || !(with_tag || podman) ? "" : ":latest"),
                         0);
        return s;
}

static bool image_exists(const char *ref) {
        return dk("image inspect %s", ref) == 0;
}

/* ---- version, ping, info ---- */

/* "1.41" as 1041, to compare without the library's own parser. */
static unsigned version_number(const char *v) {
        unsigned major = 0, minor = 0;
        ck_assert_int_eq(sscanf(v, "%u.%u", &major, &minor), 2);
        return major * 1000 + minor;
}

START_TEST(test_ping_version_info) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *host = NULL;

        ck_assert_int_ge(asprintf(&host, "unix://%s", sock), 0);
        ck_assert_str_eq(engine_host(e), host);
        ck_assert_ptr_null(engine_api_version(e));
        ck_assert_int_eq(engine_ping(e), 0);
        const char *api = engine_api_version(e);
        ck_assert_ptr_nonnull(api);
        ck_assert_int_ge(engine_api_compare(e, ENGINE_API_MIN), 0);
        ck_assert_int_le(engine_api_compare(e, ENGINE_API_MAX), 0);
        ck_assert_int_eq(engine_api_compare(e, api), 0);

        struct engine_version v;
        ck_assert_int_eq(engine_version(e, &v), 0);
        ck_assert_int_eq(v.podman, podman);
        ck_assert_int_eq(engine_is_podman(e), podman);
        ck_assert_str_ne(v.version, "");
        /* The negotiated version is min(server max, ours). */
        ck_assert_str_eq(api, version_number(v.api_version) > version_number(ENGINE_API_MAX) ? ENGINE_API_MAX : v.api_version);
        _cleanup_free_ char *cli_version = dk_out("version -f '{{.Server.Version}}'");
        if (cli_version)
                ck_assert_str_eq(v.version, cli_version);
        engine_version_done(&v);
        ck_assert_ptr_null(v.version);

        struct engine_info info;
        ck_assert_int_eq(engine_info(e, &info), 0);
        _cleanup_free_ char *root = dk_out("info -f '{{.DockerRootDir}}'");
        ck_assert_ptr_nonnull(root);
        ck_assert_str_eq(info.docker_root_dir, root);
        ck_assert_str_ne(info.driver, "");
        ck_assert_int_ge(info.images, 0);
        ck_assert_int_ge(info.containers, info.containers_running);
        engine_info_done(&info);
}
END_TEST

START_TEST(test_host_from_environment) {
        struct engine *e = NULL;
        _cleanup_free_ char *dh = NULL;

        ck_assert_int_ge(asprintf(&dh, "unix://%s", sock), 0);
        ck_assert_int_eq(setenv("DOCKER_HOST", dh, 1), 0);
        /* No host in the options (NULL or ""): DOCKER_HOST decides. */
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = NULL }, &e), 0);
        ck_assert_str_eq(engine_host(e), dh);
        ck_assert_int_eq(engine_ping(e), 0);
        engine_free(e);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = "" }, &e), 0);
        ck_assert_str_eq(engine_host(e), dh);
        engine_free(e);
        /* A configured host wins over the environment; a bare path means a unix socket. */
        ck_assert_int_eq(setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1), 0);
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = sock }, &e), 0);
        ck_assert_str_eq(engine_host(e), dh);
        ck_assert_int_eq(engine_ping(e), 0);
        engine_free(e);
        unsetenv("DOCKER_HOST");
        ck_assert_int_eq(engine_new(NULL, &e), 0);
        ck_assert_str_eq(engine_host(e), "unix://" ENGINE_DEFAULT_SOCKET);
        engine_free(e);
}
END_TEST

/* ---- containers ---- */

START_TEST(test_containers_list_inspect) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *n_created = uniq("created"), *n_stopped = uniq("stopped"),
                            *n_running = uniq("running");
        int64_t t0 = now_ns();
        _cleanup_free_ char *img = build_image(ref, NULL);
        _cleanup_free_ char *created = container(n_created, ref, "create --label dcet.k=v1", NULL);
        _cleanup_free_ char *stopped =
                container(n_stopped, ref, "run --label dcet.k=v2", "dd if=/dev/zero of=/fill bs=1M count=2");
        _cleanup_free_ char *running = container(n_running, ref, "run -d", "sleep 100000");

        struct engine_container_list l;
        ck_assert_int_eq(engine_list_containers(e, false, &l), 0);
        const struct engine_container *c = find_container(&l, created);
        ck_assert_ptr_nonnull(c);
        ck_assert_str_eq(c->name, n_created);
        _cleanup_free_ char *ref_shown = shown(ref, false);
        ck_assert_str_eq(c->image, ref_shown);
        ck_assert_str_eq(c->image_id, img);
        ck_assert_int_eq(c->state, ENGINE_CONTAINER_CREATED);
        ck_assert_str_eq(engine_labels_get(&c->labels, "dcet.k"), "v1");
        ck_assert_ptr_null(engine_labels_get(&c->labels, "nope"));
        ck_assert_int_ge(c->created, t0 / 1000000000 - 2);
        ck_assert_int_le(c->created, now_ns() / 1000000000 + 2);
        ck_assert_int_eq(c->size_rw, -1);
        ck_assert_int_eq(c->size_root_fs, -1);
        c = find_container(&l, stopped);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(c->state, ENGINE_CONTAINER_EXITED);
        ck_assert_str_eq(engine_labels_get(&c->labels, "dcet.k"), "v2");
        c = find_container(&l, running);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(c->state, ENGINE_CONTAINER_RUNNING);
        engine_container_list_done(&l);
        ck_assert_ptr_null(l.items);

        ck_assert_int_eq(engine_list_containers(e, true, &l), 0);
        c = find_container(&l, stopped);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_ge(c->size_rw, 2 * 1024 * 1024);
        /* Docker's SizeRootFs includes the writable layer; Podman's is the image alone. */
        ck_assert_int_ge(c->size_root_fs, podman ? 1000000 : c->size_rw);
        c = find_container(&l, created);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_ge(c->size_rw, 0); /* omitted when 0: known, not -1 */
        engine_container_list_done(&l);

        struct engine_container_detail d;
        ck_assert_int_eq(engine_inspect_container(e, n_created, &d), 0);
        ck_assert_str_eq(d.id, created);
        ck_assert_str_eq(d.name, n_created);
        ck_assert_str_eq(d.image_id, img);
        ck_assert_int_eq(d.state, ENGINE_CONTAINER_CREATED);
        ck_assert_int_ge(d.created_ns, t0 - 2000000000LL);
        ck_assert_int_le(d.created_ns, now_ns() + 2000000000LL);
        ck_assert_int_eq(d.started_at_ns, 0);
        ck_assert_int_eq(d.finished_at_ns, 0);
        ck_assert_str_eq(engine_labels_get(&d.labels, "dcet.k"), "v1");
        engine_container_detail_done(&d);

        ck_assert_int_eq(engine_inspect_container(e, stopped, &d), 0);
        ck_assert_int_eq(d.state, ENGINE_CONTAINER_EXITED);
        ck_assert_int_ge(d.started_at_ns, d.created_ns);
        /* Podman takes the two from different clocks (conmon's exit file): a few ms backwards happen. */
        /* Both engines may stamp FinishedAt a little before StartedAt (seen: 0.7 ms on 20.10). */
        ck_assert_int_ge(d.finished_at_ns, d.started_at_ns - 1000000000LL);
        ck_assert_int_le(d.finished_at_ns, now_ns() + 2000000000LL);
        engine_container_detail_done(&d);

        ck_assert_int_eq(engine_inspect_container(e, running, &d), 0);
        ck_assert_int_eq(d.state, ENGINE_CONTAINER_RUNNING);
        ck_assert_int_gt(d.started_at_ns, 0);
        ck_assert_int_eq(d.finished_at_ns, 0);
        engine_container_detail_done(&d);

        _cleanup_free_ char *missing = uniq("missing");
        ck_assert_int_eq(engine_inspect_container(e, missing, &d), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
        ck_assert_int_eq(engine_last_error(e)->code, -EREMOTEIO);
        ck_assert_ptr_nonnull(strcasestr(engine_last_error(e)->message, "no such container"));

        ck_assert_int_eq(engine_delete_container(e, created, false, false), 0);
        ck_assert_int_eq(engine_delete_container(e, stopped, false, false), 0);
        ck_assert_int_eq(engine_delete_container(e, running, false, true), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_containers_delete) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *n_running = uniq("running"), *n_anon = uniq("anon"),
                            *n_keep = uniq("keepvol");
        _cleanup_free_ char *img = build_image(ref, NULL);
        _cleanup_free_ char *running = container(n_running, ref, "run -d", "sleep 100000");

        /* A running container is never removed without force: 409 and the engine's reason. */
        ck_assert_int_eq(engine_delete_container(e, running, false, false), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        ck_assert_ptr_nonnull(strcasestr(engine_last_error(e)->message, "running"));
        ck_assert_int_eq(dk("container inspect %s", running), 0);
        ck_assert_int_eq(engine_delete_container(e, running, false, true), 0);
        ck_assert_int_ne(dk("container inspect %s", running), 0);
        ck_assert_int_eq(engine_delete_container(e, running, false, true), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);

        /* v=1 takes the anonymous volume along; v=0 leaves it. */
        _cleanup_free_ char *anon = container(n_anon, ref, "run -v /data", "true");
        _cleanup_free_ char *vol = dk_out("container inspect -f '{{range .Mounts}}{{.Name}}{{end}}' %s", anon);
        ck_assert_ptr_nonnull(vol);
        ck_assert_int_eq(strlen(vol), 64);
        ck_assert_int_eq(engine_delete_container(e, anon, true, false), 0);
        ck_assert_int_ne(dk("volume inspect %s", vol), 0);

        _cleanup_free_ char *keep = container(n_keep, ref, "run -v /data", "true");
        _cleanup_free_ char *vol2 = dk_out("container inspect -f '{{range .Mounts}}{{.Name}}{{end}}' %s", keep);
        ck_assert_ptr_nonnull(vol2);
        ck_assert_int_eq(engine_delete_container(e, n_keep, false, false), 0);
        ck_assert_int_eq(dk("volume inspect %s", vol2), 0);
        ck_assert_int_eq(engine_delete_volume(e, vol2), 0);
        ck_assert_int_ne(dk("volume inspect %s", vol2), 0);

        ck_assert_int_eq(engine_delete_container(e, "", false, false), -EINVAL);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

/* ---- images ---- */

START_TEST(test_images_list_inspect) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *ref2 = NULL;
        int64_t t0 = now_ns();
        _cleanup_free_ char *old = build_image(ref, "dcet.k=img");
        _cleanup_free_ char *img = build_image(ref, "dcet.k=img"); /* leaves old dangling */

        ck_assert_str_ne(old, img);
        ck_assert_int_ge(asprintf(&ref2, "%s-second:v2", ref), 0);
        ck_assert_int_eq(engine_tag_image(e, img, ref2), 0);

        struct engine_image_list l;
        ck_assert_int_eq(engine_list_images(e, false, &l), 0);
        const struct engine_image *im = find_image(&l, img);
        ck_assert_ptr_nonnull(im);
        _cleanup_free_ char *ref_latest = shown(ref, true), *ref2_shown = shown(ref2, true);
        ck_assert_msg(strv_contains(im->repo_tags, ref_latest), "missing %s", ref_latest);
        ck_assert(strv_contains(im->repo_tags, ref2_shown));
        ck_assert_int_eq(strv_length(im->repo_tags), 2);
        ck_assert_ptr_nonnull(im->repo_digests);
        ck_assert_str_eq(engine_labels_get(&im->labels, "dcet.k"), "img");
        ck_assert_int_ge(im->created, t0 / 1000000000 - 2);
        ck_assert_int_gt(im->size, 1000000); /* busybox */
        ck_assert_ptr_nonnull(im->parent_id);
        /* The dangling one: listed, with no "<none>:<none>" tag. */
        im = find_image(&l, old);
        ck_assert_ptr_nonnull(im);
        ck_assert_ptr_nonnull(im->repo_tags);
        ck_assert_ptr_null(im->repo_tags[0]);
        size_t n_top = l.n;
        engine_image_list_done(&l);

        ck_assert_int_eq(engine_list_images(e, true, &l), 0);
        ck_assert_int_ge(l.n, n_top);
        engine_image_list_done(&l);

        struct engine_image_detail d;
        ck_assert_int_eq(engine_inspect_image(e, ref2, &d), 0);
        ck_assert_str_eq(d.id, img);
        ck_assert(strv_contains(d.repo_tags, ref2_shown));
        ck_assert_str_eq(engine_labels_get(&d.labels, "dcet.k"), "img");
        ck_assert_int_ge(d.created_ns, t0 - 2000000000LL);
        ck_assert_int_le(d.created_ns, now_ns() + 2000000000LL);
        ck_assert_int_gt(d.size, 1000000);
        if (!podman) {
                /* Docker records LastTagTime; the tag above came after the build. */
                ck_assert_int_ge(d.last_tag_time_ns, d.created_ns);
                ck_assert_int_le(d.last_tag_time_ns, now_ns() + 2000000000LL);
        }
        engine_image_detail_done(&d);
        ck_assert_int_eq(engine_inspect_image(e, img, &d), 0);
        ck_assert_str_eq(d.id, img);
        engine_image_detail_done(&d);

        _cleanup_free_ char *missing = uniq("missing");
        ck_assert_int_eq(engine_inspect_image(e, missing, &d), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
        ck_assert_ptr_nonnull(strcasestr(engine_last_error(e)->message, "no such image"));

        /* A body cap smaller than the listing: -EFBIG, not a partial list. */
        struct engine *small = NULL;
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = sock, .max_body = 64 }, &small), 0);
        ck_assert_int_eq(engine_list_images(small, true, &l), -EFBIG);
        ck_assert_int_eq(engine_last_error(small)->code, -EFBIG);
        engine_free(small);

        ck_assert_int_eq(engine_delete_image(e, old, false, NULL), 0);
        ck_assert_int_eq(engine_delete_image(e, ref2, false, NULL), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

static bool result_untagged(const struct engine_image_delete_result *r, const char *ref) {
        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].untagged && strcmp(r->items[i].untagged, ref) == 0)
                        return true;
        return false;
}

static bool result_deleted(const struct engine_image_delete_result *r, const char *id) {
        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].deleted && strcmp(r->items[i].deleted, id) == 0)
                        return true;
        return false;
}

START_TEST(test_image_delete_tags) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *t1 = NULL, *t2 = NULL;
        ck_assert_int_ge(asprintf(&t1, "%s:one", ref), 0);
        ck_assert_int_ge(asprintf(&t2, "%s:two", ref), 0);
        _cleanup_free_ char *img = build_image(t1, NULL);
        ck_assert_int_eq(engine_tag_image(e, img, t2), 0);

        /* By id while two references exist: a soft conflict. */
        struct engine_image_delete_result res;
        if (!podman) {
                ck_assert_int_eq(engine_delete_image(e, img, false, &res), -EREMOTEIO);
                ck_assert_int_eq(engine_last_error(e)->http_status, 409);
                ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "referenced in multiple repositories"));
        }
        /* By tag: only untags while another tag is left. */
        _cleanup_free_ char *t1_shown = shown(t1, true), *t2_shown = shown(t2, true);
        ck_assert_int_eq(engine_delete_image(e, t1, false, &res), 0);
        ck_assert_int_eq(res.n, 1);
        ck_assert(result_untagged(&res, t1_shown));
        ck_assert(!result_deleted(&res, img));
        engine_image_delete_result_done(&res);
        ck_assert(image_exists(img));
        ck_assert(!image_exists(t1));

        /* Undo the untag. */
        ck_assert_int_eq(engine_tag_image(e, img, t1), 0);
        ck_assert(image_exists(t1));
        ck_assert_int_eq(engine_delete_image(e, t1, false, NULL), 0);

        /* The last tag: untagged and deleted, with its layers. */
        ck_assert_int_eq(engine_delete_image(e, t2, false, &res), 0);
        ck_assert(result_untagged(&res, t2_shown));
        ck_assert(result_deleted(&res, img));
        engine_image_delete_result_done(&res);
        ck_assert(!image_exists(img));

        ck_assert_int_eq(engine_delete_image(e, img, false, &res), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
        ck_assert_int_eq(engine_tag_image(e, img, t1), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
        ck_assert_int_eq(engine_tag_image(e, img, "x@sha256:00"), -EINVAL);
        ck_assert_int_eq(engine_tag_image(e, img, ""), -EINVAL);
}
END_TEST

START_TEST(test_image_delete_in_use) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref_s = uniq("imgs"), *ref_r = uniq("imgr"), *n_stopped = uniq("stopped"),
                            *n_running = uniq("running");
        _cleanup_free_ char *img_s = build_image(ref_s, NULL), *img_r = build_image(ref_r, NULL);
        _cleanup_free_ char *stopped = container(n_stopped, ref_s, "run", "true");
        _cleanup_free_ char *running = container(n_running, ref_r, "run -d", "sleep 100000");
        struct engine_image_delete_result res;

        /* Stopped container: a conflict that force would override. */
        ck_assert_int_eq(engine_delete_image(e, img_s, false, &res), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        if (!podman)
                ck_assert_msg(strstr(engine_last_error(e)->message, "image is being used by stopped container"), "got: %s",
                              engine_last_error(e)->message);
        else
                ck_assert_str_ne(engine_last_error(e)->message, "");
        ck_assert(image_exists(img_s));

        /* Running container: a hard conflict, even with force on Docker. */
        if (podman) {
                /* Podman's force would remove the running container too: the client never sends it. */
                ck_assert_int_eq(engine_delete_image(e, img_r, true, &res), -EOPNOTSUPP);
                ck_assert(engine_is_podman(e));
                ck_assert_int_eq(dk("container inspect %s", running), 0);
        }
        ck_assert_int_eq(engine_delete_image(e, img_r, !podman, &res), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        if (!podman)
                ck_assert_msg(strstr(engine_last_error(e)->message,
                                     "(cannot be forced) - image is being used by running container"),
                              "got: %s", engine_last_error(e)->message);
        ck_assert(image_exists(img_r));
        ck_assert_int_eq(dk("container inspect %s", running), 0);
        ck_assert(!engine_error_is_prune_running(e, -EREMOTEIO));

        ck_assert_int_eq(engine_delete_container(e, stopped, false, false), 0);
        ck_assert_int_eq(engine_delete_container(e, running, false, true), 0);
        ck_assert_int_eq(engine_delete_image(e, img_s, false, NULL), 0);
        ck_assert_int_eq(engine_delete_image(e, img_r, false, NULL), 0);
}
END_TEST

/* ---- prune ---- */

START_TEST(test_prune_containers) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *lbl = uniq("case"), *a = uniq("a"), *b = uniq("b"), *other = uniq("other"),
                            *lbl_arg = NULL, *lbl_filter = NULL;
        _cleanup_free_ char *img = build_image(ref, NULL);

        ck_assert_int_ge(asprintf(&lbl_arg, "run --label dcet.case=%s", lbl), 0);
        ck_assert_int_ge(asprintf(&lbl_filter, "dcet.case=%s", lbl), 0);
        _cleanup_free_ char *id_a = container(a, ref, lbl_arg, "dd if=/dev/zero of=/fill bs=1M count=1");
        _cleanup_free_ char *id_b = container(b, ref, lbl_arg, "dd if=/dev/zero of=/fill bs=1M count=1");
        _cleanup_free_ char *id_other = container(other, ref, "run", "true");
        struct engine_prune_result res;

        /* until=1h: ours were all created just now, so nothing matches. */
        struct engine_filter old_only[] = { { "label", lbl_filter }, { "until", "1h" } };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_CONTAINERS, old_only, ELEMENTSOF(old_only), NULL, &res), 0);
        ck_assert_int_eq(res.n_deleted, 0);
        ck_assert_ptr_nonnull(res.deleted);
        ck_assert_ptr_null(res.deleted[0]);
        engine_prune_result_done(&res);

        struct engine_filter mine[] = { { "label", lbl_filter } };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_CONTAINERS, mine, 1, NULL, &res), 0);
        ck_assert_int_eq(res.n_deleted, 2);
        ck_assert(strv_contains(res.deleted, id_a));
        ck_assert(strv_contains(res.deleted, id_b));
        if (!podman)
                ck_assert_int_ge(res.space_reclaimed, 2 * 1024 * 1024);
        engine_prune_result_done(&res);
        ck_assert_int_ne(dk("container inspect %s", id_a), 0);
        ck_assert_int_eq(dk("container inspect %s", id_other), 0);

        /* The engine rejects a filter it does not know: 400 with its reason. */
        struct engine_filter bogus[] = { { "no-such-filter", "x" } };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_CONTAINERS, bogus, 1, NULL, &res), -EREMOTEIO);
        ck_assert_int_ge(engine_last_error(e)->http_status, 400);
        ck_assert_str_ne(engine_last_error(e)->message, "");

        ck_assert_int_eq(engine_delete_container(e, id_other, false, false), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_prune_images) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *lbl = uniq("case"), *label_line = NULL, *lbl_filter = NULL;
        ck_assert_int_ge(asprintf(&label_line, "dcet.case=%s", lbl), 0);
        ck_assert_int_ge(asprintf(&lbl_filter, "dcet.case=%s", lbl), 0);
        _cleanup_free_ char *old = build_image(ref, label_line);
        _cleanup_free_ char *img = build_image(ref, label_line);
        struct engine_prune_result res;

        struct engine_filter dangling[] = { { "dangling", "true" }, { "label", lbl_filter } };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_IMAGES, dangling, ELEMENTSOF(dangling), NULL, &res), 0);
        ck_assert(result_deleted(&res.images, old));
        ck_assert(strv_contains(res.deleted, old));
        ck_assert(!strv_contains(res.deleted, img));
        ck_assert_int_eq(res.n_deleted, strv_length(res.deleted));
        engine_prune_result_done(&res);
        ck_assert(!image_exists(old));
        ck_assert(image_exists(img));

        /* dangling=false: every unused image, tagged ones too (Docker reports the untag; Podman's
         * ImagesDeleted has only Deleted entries). Podman 4 adds its own dangling=true to compat prunes
         * and refuses the pair with a 500; Podman 5 takes it as Docker does. */
        struct engine_filter unused[] = { { "dangling", "false" }, { "label", lbl_filter } };
        if (podman && engine_major(e) < 5) {
                ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_IMAGES, unused, ELEMENTSOF(unused), NULL, &res), -EREMOTEIO);
                ck_assert_int_eq(engine_last_error(e)->http_status, 500);
                ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "\"dangling\" filter more than once"));
                ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
                return;
        }
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_IMAGES, unused, ELEMENTSOF(unused), NULL, &res), 0);
        ck_assert(result_deleted(&res.images, img));
        ck_assert(strv_contains(res.deleted, img));
        if (!podman) {
                _cleanup_free_ char *tagged = shown(ref, true);
                ck_assert(result_untagged(&res.images, tagged));
        }
        engine_prune_result_done(&res);
        ck_assert(!image_exists(img));
}
END_TEST

struct build_record {
        char *id;
        int64_t size;
};

START_TEST(test_prune_build_cache) {
        _cleanup_engine_ struct engine *e = engine_open();
        struct engine_prune_result res;

        if (podman) {
                ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, NULL, 0, NULL, &res), -EOPNOTSUPP);
                ck_assert_int_eq(engine_last_error(e)->code, -EOPNOTSUPP);
                return;
        }
        struct engine_df before, after;
        ck_assert_int_eq(engine_system_df(e, &before), 0);
        ck_assert(before.build_cache_supported);
        _cleanup_free_ char *ref = uniq("bk");
        _cleanup_free_ char *img = build_image_with(ref, NULL, true);
        ck_assert_int_eq(engine_system_df(e, &after), 0);

        /* The records this build added (others' stay untouched: prune by id). */
        struct engine_filter filters[16];
        size_t n = 0;
        int64_t biggest = 0;
        const char *biggest_id = NULL;
        for (size_t i = 0; i < after.n_build_cache && n < ELEMENTSOF(filters); i++) {
                bool seen = false;
                for (size_t j = 0; j < before.n_build_cache; j++)
                        seen = seen || strcmp(before.build_cache[j].id, after.build_cache[i].id) == 0;
                if (seen)
                        continue;
                filters[n++] = (struct engine_filter) { "id", after.build_cache[i].id };
                ck_assert_str_ne(after.build_cache[i].type, "");
                ck_assert_int_gt(after.build_cache[i].last_used_ns, 0);
                /* A prune without all=true keeps records shared with an image (with the containerd
                 * image store the build's layers are the image's: shared): the one-by-id case takes
                 * the biggest record of the build's own. */
                if (!after.build_cache[i].shared && after.build_cache[i].size > biggest) {
                        biggest = after.build_cache[i].size;
                        biggest_id = after.build_cache[i].id;
                }
        }
        ck_assert_msg(n > 0, "the BuildKit build left no cache records");
        ck_assert_msg(biggest_id != NULL, "the BuildKit build left no cache record of its own (all %zu shared)", n);

        /* The builder takes one value per filter key: several ids are refused with its reason. */
        if (n > 1) {
                ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, filters, 2, NULL, &res), -EREMOTEIO);
                ck_assert_ptr_nonnull(strstr(engine_last_error(e)->message, "only one value"));
        }

        /* keep-storage far above the cache: nothing goes. */
        struct engine_filter one[] = { { "id", biggest_id } };
        struct engine_build_prune_options keep = { .keep_storage = UINT64_C(1) << 40 };
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, one, 1, &keep, &res), 0);
        ck_assert_int_eq(res.n_deleted, 0);
        ck_assert_int_eq(res.space_reclaimed, 0);
        engine_prune_result_done(&res);

        /* One record by id: exactly that one, its size reclaimed. */
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, one, 1, NULL, &res), 0);
        ck_assert_int_eq(res.n_deleted, 1);
        ck_assert_str_eq(res.deleted[0], biggest_id);
        ck_assert_int_eq(res.space_reclaimed, (uint64_t) biggest);
        engine_prune_result_done(&res);

        /* The rest of ours, one by one (all: records not shared with an image too). */
        struct engine_build_prune_options all = { .all = true };
        for (size_t i = 0; i < n; i++) {
                if (strcmp(filters[i].value, biggest_id) == 0)
                        continue;
                ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_BUILD_CACHE, &filters[i], 1, &all, &res), 0);
                ck_assert_int_le(res.n_deleted, 1);
                engine_prune_result_done(&res);
        }

        engine_df_done(&before);
        engine_df_done(&after);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_prune_volumes_networks) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *lbl = uniq("case"), *v1 = uniq("vol"), *v2 = uniq("vol"), *net = uniq("net"),
                            *lbl_filter = NULL;
        ck_assert_int_ge(asprintf(&lbl_filter, "dcet.case=%s", lbl), 0);
        ck_assert_int_eq(dk("volume create --label dcet.run=%d --label %s %s", run_id, lbl_filter, v1), 0);
        ck_assert_int_eq(dk("volume create --label dcet.run=%d %s", run_id, v2), 0);
        ck_assert_int_eq(dk("network create --label dcet.run=%d --label %s %s", run_id, lbl_filter, net), 0);
        struct engine_prune_result res;

        struct engine_filter mine[] = { { "label", lbl_filter } };
        /* From API 1.42 only anonymous volumes go unless all=true; 1.41 takes named ones too. Podman
         * keeps 1.41's rule whatever API version it says (5.8 says 1.44) and refuses the "all" filter. */
        struct engine_filter mine_all[] = { { "label", lbl_filter }, { "all", "true" } };
        bool new_api = !podman && engine_ping(e) == 0 && engine_api_compare(e, "1.42") >= 0;
        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_VOLUMES, new_api ? mine_all : mine, new_api ? 2 : 1, NULL, &res), 0);
        ck_assert_int_eq(res.n_deleted, 1);
        ck_assert_str_eq(res.deleted[0], v1);
        engine_prune_result_done(&res);
        ck_assert_int_ne(dk("volume inspect %s", v1), 0);
        ck_assert_int_eq(dk("volume inspect %s", v2), 0);

        ck_assert_int_eq(engine_prune(e, ENGINE_PRUNE_NETWORKS, mine, 1, NULL, &res), 0);
        ck_assert_int_eq(res.n_deleted, 1);
        ck_assert_str_eq(res.deleted[0], net);
        ck_assert_int_eq(res.space_reclaimed, 0);
        engine_prune_result_done(&res);
        ck_assert_int_ne(dk("network inspect %s", net), 0);

        ck_assert_int_eq(engine_delete_volume(e, v2), 0);
}
END_TEST

/* The prune lock: one container prune kept busy by a container with many files in its writable
 * layer (the engine sizes it, then removes it), while this thread fires label-filtered prunes that
 * match nothing until one meets the lock.
 *
 * None of those quick prunes may reach the engine before the slow one holds the lock, or the slow one
 * is the prune that gets the 409 (seen under load). The slow prune is the only one that can remove the
 * case's container, and it holds the lock while it does: the quick prunes start once an inspect (which
 * takes no lock) shows the container "removing". When the removal was over before any quick prune met
 * the lock, the case makes a new container and tries again (at most three times). */
/* A container prune in a thread of its own, on a connection of its own. */
struct prune_thread {
        const char *filter;
        int result, http_status; /* the engine's answer when result < 0 */
        char message[512];
        bool prune_running; /* the answer was the prune lock's 409 */
        size_t n_deleted;
        atomic_bool done;
};

static void *prune_thread_main(void *userdata) {
        struct prune_thread *p = userdata;
        struct engine *e = NULL;
        struct engine_prune_result res;
        struct engine_filter f[] = { { "label", p->filter } };

        p->result = engine_new(&(struct engine_options) { .host = sock }, &e);
        if (p->result >= 0)
                p->result = engine_prune(e, ENGINE_PRUNE_CONTAINERS, f, 1, NULL, &res);
        if (p->result >= 0) {
                p->n_deleted = res.n_deleted;
                engine_prune_result_done(&res);
        } else if (e) {
                p->http_status = engine_last_error(e)->http_status;
                p->prune_running = engine_error_is_prune_running(e, p->result);
                snprintf(p->message, sizeof p->message, "%s", engine_last_error(e)->message);
        }
        engine_free(e);
        atomic_store(&p->done, true);
        return NULL;
}

/* Holds the container's lock in dockerd: GET /containers/ID/archive takes it and keeps it until the
 * archive is read to its end or the connection closes. The archive (a file of 8 MiB) is larger than the
 * socket's buffers, so once the response's headers are here and nothing more is read, the lock is held
 * until the returned descriptor is closed. */
static int hold_container_lock(const char *id, const char *path) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        ck_assert_uint_lt(strlen(sock), sizeof sa.sun_path);
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        _cleanup_free_ char *req = fmt("GET /containers/%s/archive?path=%s HTTP/1.1\r\nHost: docker\r\n\r\n", id, path);
        ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t) strlen(req));
        char head[4096];
        size_t n = 0;
        while (n < sizeof head - 1) {
                ssize_t k = read(fd, head + n, sizeof head - 1 - n);
                ck_assert_int_gt(k, 0);
                n += (size_t) k;
                head[n] = 0;
                if (strstr(head, "\r\n\r\n"))
                        break;
        }
        ck_assert_msg(strncmp(head, "HTTP/1.1 200", 12) == 0, "archive: %.80s", head);
        return fd;
}

START_TEST(test_prune_already_running) {
        if (podman) {
                /* Podman has no prune lock (documented; nothing to provoke). */
                return;
        }
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *lbl = uniq("case"), *name = uniq("held"), *filter = NULL;
        _cleanup_free_ char *img = build_image(ref, NULL);
        ck_assert_int_ge(asprintf(&filter, "dcet.case=%s", lbl), 0);
        _cleanup_free_ char *opts = fmt("run --label %s", filter);
        _cleanup_free_ char *id = container(name, ref, opts, "dd if=/dev/zero of=/big bs=1M count=8");

        /* Two prunes of the same container while its lock is held: the first to arrive takes the engine's
         * prune lock and waits for the container's; the other is refused with 409 at once. No prune can
         * end before the container's lock is let go, so which one is refused is all that is left to chance. */
        int held = hold_container_lock(id, "/big");
        struct prune_thread p[2] = { { .filter = filter }, { .filter = filter } };
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, prune_thread_main, &p[i]), 0);
        /* Up to 60 s for the refusal (a loaded host); it comes as soon as both requests are in. */
        for (int ms = 0; ms < 60000 && !atomic_load(&p[0].done) && !atomic_load(&p[1].done); ms += 10)
                nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        int refused = atomic_load(&p[0].done) ? 0 : 1;
        bool answered = atomic_load(&p[refused].done), other_waits = !atomic_load(&p[1 - refused].done);
        close(held);
        for (int i = 0; i < 2; i++)
                pthread_join(t[i], NULL);
        ck_assert_msg(answered, "no prune was answered in 60 s");
        ck_assert_msg(other_waits, "both prunes were answered while the container's lock was held");
        ck_assert_int_eq(p[refused].result, -EREMOTEIO);
        ck_assert_int_eq(p[refused].http_status, 409);
        ck_assert_str_eq(p[refused].message, "a prune operation is already running");
        ck_assert(p[refused].prune_running);
        ck_assert_msg(p[1 - refused].result == 0, "the other prune failed: %d, HTTP %d: %s", p[1 - refused].result,
                      p[1 - refused].http_status, p[1 - refused].message);
        ck_assert_int_eq(p[1 - refused].n_deleted, 1);
        ck_assert(!engine_error_is_prune_running(e, 0));
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

/* ---- df, volumes, networks ---- */

START_TEST(test_system_df) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *name = uniq("ctr"), *vol = uniq("vol"), *vol_arg = NULL;
        _cleanup_free_ char *img = build_image(ref, NULL);
        ck_assert_int_eq(dk("volume create --label dcet.run=%d %s", run_id, vol), 0);
        ck_assert_int_ge(asprintf(&vol_arg, "run -v %s:/v", vol), 0);
        _cleanup_free_ char *id = container(name, ref, vol_arg,
                                            "sh -c 'dd if=/dev/zero of=/fill bs=1M count=1 && dd if=/dev/zero of=/v/x bs=1k count=64'");

        struct engine_df df;
        ck_assert_int_eq(engine_system_df(e, &df), 0);
        if (!podman)
                ck_assert_int_gt(df.layers_size, 0); /* Podman does not compute it */
        ck_assert_int_eq(df.build_cache_supported, !podman);
        const struct engine_df_image *im = NULL;
        for (size_t i = 0; i < df.n_images; i++)
                if (strcmp(df.images[i].id, img) == 0)
                        im = &df.images[i];
        ck_assert_ptr_nonnull(im);
        ck_assert_int_gt(im->size, 1000000);
        ck_assert_int_ge(im->shared_size, 0);
        ck_assert_int_le(im->shared_size, im->size);
        ck_assert_int_eq(im->containers, 1);
        ck_assert_int_gt(im->created, 0);
        const struct engine_df_container *c = NULL;
        for (size_t i = 0; i < df.n_containers; i++)
                if (strcmp(df.containers[i].id, id) == 0)
                        c = &df.containers[i];
        ck_assert_ptr_nonnull(c);
        ck_assert_str_eq(c->image_id, img);
        ck_assert_int_eq(c->state, ENGINE_CONTAINER_EXITED);
        ck_assert_int_ge(c->size_rw, 1024 * 1024);
        ck_assert_int_ge(c->size_root_fs, c->size_rw);
        const struct engine_df_volume *v = NULL;
        for (size_t i = 0; i < df.n_volumes; i++)
                if (strcmp(df.volumes[i].name, vol) == 0)
                        v = &df.volumes[i];
        ck_assert_ptr_nonnull(v);
        ck_assert(!v->anonymous);
        if (!podman) {
                ck_assert_int_ge(v->size, 64 * 1024);
                ck_assert_int_eq(v->ref_count, 1);
                ck_assert_int_gt(v->created_ns, 0);
        }
        engine_df_done(&df);
        ck_assert_ptr_null(df.images);

        ck_assert_int_eq(engine_delete_container(e, id, false, false), 0);
        ck_assert_int_eq(engine_delete_volume(e, vol), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_volumes) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *vol = uniq("vol"), *name = uniq("ctr"), *anon_ctr = uniq("anon"),
                            *vol_arg = NULL;
        _cleanup_free_ char *img = build_image(ref, NULL);
        ck_assert_int_eq(dk("volume create --label dcet.run=%d --label dcet.k=vol %s", run_id, vol), 0);
        ck_assert_int_ge(asprintf(&vol_arg, "create -v %s:/v", vol), 0);
        _cleanup_free_ char *id = container(name, ref, vol_arg, "true");
        _cleanup_free_ char *anon_id = container(anon_ctr, ref, "create -v /data", "true");
        _cleanup_free_ char *anon = dk_out("container inspect -f '{{range .Mounts}}{{.Name}}{{end}}' %s", anon_id);
        ck_assert_ptr_nonnull(anon);

        struct engine_volume_list l;
        ck_assert_int_eq(engine_list_volumes(e, &l), 0);
        bool seen_named = false, seen_anon = false;
        for (size_t i = 0; i < l.n; i++) {
                if (strcmp(l.items[i].name, vol) == 0) {
                        seen_named = true;
                        ck_assert(!l.items[i].anonymous);
                        ck_assert_str_eq(l.items[i].driver, "local");
                        ck_assert_str_ne(l.items[i].mountpoint, "");
                        ck_assert_str_eq(engine_labels_get(&l.items[i].labels, "dcet.k"), "vol");
                } else if (strcmp(l.items[i].name, anon) == 0) {
                        seen_anon = true;
                        ck_assert(l.items[i].anonymous);
                }
        }
        ck_assert(seen_named && seen_anon);
        engine_volume_list_done(&l);

        /* In use by a container (even one that never ran): 409. */
        ck_assert_int_eq(engine_delete_volume(e, vol), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 409);
        ck_assert_str_ne(engine_last_error(e)->message, "");
        ck_assert_int_eq(engine_delete_container(e, id, false, false), 0);
        ck_assert_int_eq(engine_delete_volume(e, vol), 0);
        ck_assert_int_eq(engine_delete_volume(e, vol), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);

        ck_assert_int_eq(engine_delete_container(e, anon_id, true, false), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_networks) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *net = uniq("net");
        int64_t t0 = now_ns();
        ck_assert_int_eq(dk("network create --label dcet.run=%d --label dcet.k=net %s", run_id, net), 0);

        struct engine_network_list l;
        ck_assert_int_eq(engine_list_networks(e, &l), 0);
        const struct engine_network *mine = NULL;
        bool seen_builtin = false;
        for (size_t i = 0; i < l.n; i++) {
                if (strcmp(l.items[i].name, net) == 0)
                        mine = &l.items[i];
                if (l.items[i].builtin)
                        seen_builtin = true;
        }
        ck_assert_ptr_nonnull(mine);
        ck_assert(!mine->builtin);
        ck_assert_int_eq(strlen(mine->id), 64);
        ck_assert_str_eq(mine->driver, "bridge");
        ck_assert_int_eq(mine->n_containers, 0);
        ck_assert_int_ge(mine->created, t0 / 1000000000 - 2);
        ck_assert_int_le(mine->created, now_ns() / 1000000000 + 2);
        ck_assert_str_eq(engine_labels_get(&mine->labels, "dcet.k"), "net");
        ck_assert(seen_builtin); /* host and none on Docker, podman on Podman */
        _cleanup_free_ char *id = strdup(mine->id);
        engine_network_list_done(&l);

        ck_assert_int_eq(engine_delete_network(e, id), 0);
        ck_assert_int_eq(engine_delete_network(e, id), -EREMOTEIO);
        ck_assert_int_eq(engine_last_error(e)->http_status, 404);
}
END_TEST

/* ---- events ---- */

struct seen {
        const char *want_type, *want_action, *want_actor, *want_name; /* want_name may be NULL */
        char name[128], image[256];
        int64_t time_ns;
        size_t n;
};

static int seen_cb(const struct engine_event *ev, void *userdata) {
        struct seen *s = userdata;
        s->n++;
        if (strcmp(ev->type, s->want_type) != 0 || strcmp(ev->action, s->want_action) != 0 ||
            strcmp(ev->actor_id, s->want_actor) != 0)
                return 0;
        const char *v = engine_labels_get(ev->attributes, "name");
        if (s->want_name && (!v || strcmp(v, s->want_name) != 0))
                return 0;
        snprintf(s->name, sizeof s->name, "%s", v ? v : "");
        v = engine_labels_get(ev->attributes, "image");
        snprintf(s->image, sizeof s->image, "%s", v ? v : "");
        s->time_ns = ev->time_ns;
        return 42;
}

START_TEST(test_events) {
        _cleanup_engine_ struct engine *e = engine_open();
        _cleanup_free_ char *ref = uniq("img"), *name = uniq("ctr"), *ref2 = NULL;
        _cleanup_free_ char *img = build_image(ref, NULL);
        int64_t since = now_ns() - 1000000000;
        _cleanup_free_ char *id = container(name, ref, "create", "true");

        /* Replayed from `since`: the create of our container, with its attributes. */
        struct seen s = { .want_type = "container", .want_action = "create", .want_actor = id, .want_name = NULL };
        struct engine_filter f[] = { { "type", "container" }, { "container", id } };
        ck_assert_int_eq(engine_events_follow(e, f, ELEMENTSOF(f), since, 1000, seen_cb, &s), 42);
        _cleanup_free_ char *ref_shown = shown(ref, false);
        ck_assert_str_eq(s.name, name);
        ck_assert_str_eq(s.image, ref_shown);
        ck_assert_int_ge(s.time_ns, since);
        ck_assert_int_le(s.time_ns, now_ns() + 2000000000LL);

        /* Image events: a tag names the image by id. */
        ck_assert_int_ge(asprintf(&ref2, "%s-tagged:x", ref), 0);
        since = now_ns() - 1000000000;
        ck_assert_int_eq(engine_tag_image(e, img, ref2), 0);
        _cleanup_free_ char *ref2_shown = shown(ref2, true);
        /* The build's own tag is replayed too (within the second of slack): wait for ours. */
        struct seen t = { .want_type = "image", .want_action = "tag", .want_actor = img, .want_name = ref2_shown };
        struct engine_filter fi[] = { { "type", "image" }, { "event", "tag" } };
        ck_assert_int_eq(engine_events_follow(e, fi, ELEMENTSOF(fi), since, 1000, seen_cb, &t), 42);
        ck_assert_str_eq(t.name, ref2_shown);

        ck_assert_int_eq(engine_delete_container(e, id, false, false), 0);
        ck_assert_int_eq(engine_delete_image(e, ref2, false, NULL), 0);
        ck_assert_int_eq(engine_delete_image(e, img, false, NULL), 0);
}
END_TEST

START_TEST(test_events_cancel) {
        atomic_int cancel = 0;
        struct engine *e = NULL;
        _cleanup_free_ char *nomatch = uniq("nomatch");
        ck_assert_int_eq(engine_new(&(struct engine_options) { .host = sock, .cancel = &cancel }, &e), 0);

        /* An idle stream (nothing matches): only the flag ends it. */
        struct engine_filter f[] = { { "type", "container" }, { "container", nomatch } };
        struct seen s = { "x", "x", "x", NULL, "", "", 0, 0 };
        struct dctest_raiser c = { &cancel, 500 };
        pthread_t t;
        int64_t t0 = now_ns();
        ck_assert_int_eq(pthread_create(&t, NULL, dctest_raise_after, &c), 0);
        ck_assert_int_eq(engine_events_follow(e, f, ELEMENTSOF(f), 0, 1000, seen_cb, &s), -ECANCELED);
        int64_t took_ms = (now_ns() - t0) / 1000000;
        pthread_join(t, NULL);
        ck_assert_int_eq(s.n, 0);
        ck_assert_int_ge(took_ms, 450);
        ck_assert_int_lt(took_ms, 3000); /* curl's progress callback runs at least once a second */
        /* Raised before a call: nothing is sent. */
        ck_assert_int_eq(engine_ping(e), -ECANCELED);
        engine_free(e);
}
END_TEST

static void sweep(void) {
        /* Whatever a failed case left: everything labelled with this run. */
        dctest_sh("(D='%s -H unix://%s'; ids=$($D ps -aq --filter label=dcet.run=%d); [ -z \"$ids\" ] || $D rm -fv $ids;"
                  "ids=$($D images -q --filter label=dcet.run=%d | sort -u); [ -z \"$ids\" ] || $D rmi -f $ids;"
                  "ids=$($D volume ls -q --filter label=dcet.run=%d); [ -z \"$ids\" ] || $D volume rm -f $ids;"
                  "ids=$($D network ls -q --filter label=dcet.run=%d); [ -z \"$ids\" ] || $D network rm $ids;"
                  "true) >/dev/null 2>&1",
                  docker_bin(), sock, run_id, run_id, run_id, run_id);
}

int main(void) {
        sock = dctest_engine_socket();
        const char *kind = getenv("DOCKERCLEAN_TEST_ENGINE");
        podman = kind && strncmp(kind, "podman", strlen("podman")) == 0;
        run_id = (int) getpid();
        dctest_require(access("/bin/busybox", X_OK) == 0, "no /bin/busybox (install busybox-static)");

        _cleanup_free_ char *suite_name = NULL;
        if (asprintf(&suite_name, "engine (%s)", kind && *kind ? kind : "docker20") < 0)
                return EXIT_FAILURE;
        Suite *s = suite_create(suite_name);
        TCase *tc = tcase_create("engine");
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_ping_version_info);
        tcase_add_test(tc, test_host_from_environment);
        tcase_add_test(tc, test_containers_list_inspect);
        tcase_add_test(tc, test_containers_delete);
        tcase_add_test(tc, test_images_list_inspect);
        tcase_add_test(tc, test_image_delete_tags);
        tcase_add_test(tc, test_image_delete_in_use);
        tcase_add_test(tc, test_prune_containers);
        tcase_add_test(tc, test_prune_images);
        tcase_add_test(tc, test_prune_build_cache);
        tcase_add_test(tc, test_prune_volumes_networks);
        tcase_add_test(tc, test_prune_already_running);
        tcase_add_test(tc, test_system_df);
        tcase_add_test(tc, test_volumes);
        tcase_add_test(tc, test_networks);
        tcase_add_test(tc, test_events);
        tcase_add_test(tc, test_events_cancel);
        suite_add_tcase(s, tc);
        int failed = dctest_run(s);
        sweep();
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
