/* bench_engine_decode.c: how long the engine client takes to decode big listings, and how much memory
 * it needs. A benchmark command, not a test (scripts/bench-engine-decode builds and runs it).
 *
 *   bench_engine_decode [RUNS]     (default 9)
 *
 * Generates, in memory, a GET /images/json answer with 10,000 images and a GET /containers/json?all=1
 * answer with 20,000 containers, shaped like Docker 20.10's (every field it sends, realistic sizes),
 * then decodes each RUNS times and prints the median, min and max wall time. Peak memory is
 * getrusage()'s ru_maxrss of a child process per case: once after generating the body (baseline),
 * once after the decodes; the difference is what decoding costs on top of holding the body. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine-internal.h"
#include "engine.h"

struct buf {
        char *data;
        size_t len, cap;
};

_printf_(2, 3) static void put(struct buf *b, const char *fmt, ...) {
        va_list ap;
        for (;;) {
                va_start(ap, fmt);
                int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
                va_end(ap);
                if (n < 0)
                        abort();
                if ((size_t) n < b->cap - b->len) {
                        b->len += (size_t) n;
                        return;
                }
                b->cap = MAX(b->cap * 2, b->len + (size_t) n + 1 + 4096);
                b->data = realloc(b->data, b->cap);
                if (!b->data)
                        abort();
        }
}

static void hex64(char out[65], uint64_t seed) {
        for (int i = 0; i < 64; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                out[i] = "0123456789abcdef"[(seed >> 33) & 15];
        }
        out[64] = 0;
}

static void gen_images(struct buf *b, size_t n) {
        put(b, "[");
        for (size_t i = 0; i < n; i++) {
                char id[65], parent[65], digest[65];
                hex64(id, i * 3 + 1);
                hex64(parent, i * 3 + 2);
                hex64(digest, i * 3 + 3);
                bool dangling = i % 7 == 0;
                put(b, "%s{\"Containers\":-1,\"Created\":%" PRIu64 ",\"Id\":\"sha256:%s\",", i ? "," : "",
                    (uint64_t) 1700000000 + i * 37, id);
                put(b, "\"Labels\":{\"org.opencontainers.image.source\":\"https://git.example.com/team/app%zu\","
                       "\"org.opencontainers.image.revision\":\"%.40s\",\"maintainer\":\"ci@example.com\"},",
                    i % 100, digest);
                put(b, "\"ParentId\":\"%s%s\",", i % 3 ? "sha256:" : "", i % 3 ? parent : "");
                if (dangling)
                        put(b, "\"RepoDigests\":[\"<none>@<none>\"],\"RepoTags\":[\"<none>:<none>\"],");
                else
                        put(b, "\"RepoDigests\":[\"registry.example.com/team/app%zu@sha256:%s\"],"
                               "\"RepoTags\":[\"registry.example.com/team/app%zu:build-%zu\",\"registry.example.com/team/app%zu:latest\"],",
                            i % 100, digest, i % 100, i, i % 100);
                put(b, "\"SharedSize\":-1,\"Size\":%" PRIu64 ",\"VirtualSize\":%" PRIu64 "}",
                    (uint64_t) 50000000 + i * 1000, (uint64_t) 50000000 + i * 1000);
        }
        put(b, "]");
}

static void gen_containers(struct buf *b, size_t n) {
        static const char *const states[] = { "exited", "running", "created", "exited", "dead", "paused" };
        put(b, "[");
        for (size_t i = 0; i < n; i++) {
                char id[65], img[65], net[65], ep[65];
                hex64(id, i * 5 + 11);
                hex64(img, (i % 500) * 3 + 1);
                hex64(net, 7);
                hex64(ep, i * 5 + 12);
                const char *state = states[i % ELEMENTSOF(states)];
                put(b, "%s{\"Id\":\"%s\",\"Names\":[\"/job-%zu-step\"],\"Image\":\"registry.example.com/team/app%zu:build-%zu\","
                       "\"ImageID\":\"sha256:%s\",\"Command\":\"/bin/sh -c 'make test'\",\"Created\":%" PRIu64 ",",
                    i ? "," : "", id, i, i % 100, i % 500, img, (uint64_t) 1700000000 + i * 11);
                put(b, "\"Ports\":[],\"Labels\":{\"com.gitlab.ci.job\":\"%zu\",\"com.gitlab.ci.pipeline\":\"%zu\","
                       "\"com.gitlab.ci.project\":\"team/app%zu\",\"com.gitlab.ci.runner\":\"runner-7\"},",
                    i, i / 10, i % 100);
                put(b, "\"State\":\"%s\",\"Status\":\"%s\",\"HostConfig\":{\"NetworkMode\":\"default\"},", state,
                    strcmp(state, "running") == 0 ? "Up 3 hours" : "Exited (0) 2 hours ago");
                put(b, "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,"
                       "\"NetworkID\":\"%s\",\"EndpointID\":\"%s\",\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.%zu.%zu\","
                       "\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,"
                       "\"MacAddress\":\"02:42:ac:11:00:02\",\"DriverOpts\":null}}},",
                    net, ep, (i / 250) % 256, i % 250 + 2);
                put(b, "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"%s\",\"Source\":\"/var/lib/docker/volumes/%s/_data\","
                       "\"Destination\":\"/cache\",\"Driver\":\"local\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}]}",
                    ep, ep);
        }
        put(b, "]");
}

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long maxrss_kib(void) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

struct result {
        size_t body_bytes, items;
        double median_ms, min_ms, max_ms;
        long baseline_kib, peak_kib;
};

/* One case in a child process, so ru_maxrss is this case's alone. */
static int run_case(bool images, size_t n, int runs, struct result *ret) {
        int p[2];
        if (pipe(p) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct result r = {};
                struct buf b = {};
                if (images)
                        gen_images(&b, n);
                else
                        gen_containers(&b, n);
                r.body_bytes = b.len;
                r.baseline_kib = maxrss_kib();
                double *t = calloc((size_t) runs, sizeof *t);
                for (int k = 0; k < runs; k++) {
                        double t0 = now_ms();
                        if (images) {
                                struct engine_image_list l;
                                if (engine_decode_images(b.data, b.len, &l, NULL) < 0)
                                        _exit(2);
                                r.items = l.n;
                                engine_image_list_done(&l);
                        } else {
                                struct engine_container_list l;
                                if (engine_decode_containers(b.data, b.len, false, &l, NULL) < 0)
                                        _exit(2);
                                r.items = l.n;
                                engine_container_list_done(&l);
                        }
                        t[k] = now_ms() - t0;
                }
                r.peak_kib = maxrss_kib();
                qsort(t, (size_t) runs, sizeof *t, cmp_double);
                r.median_ms = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
                r.min_ms = t[0];
                r.max_ms = t[runs - 1];
                if (write(p[1], &r, sizeof r) != (ssize_t) sizeof r)
                        _exit(3);
                _exit(0);
        }
        close(p[1]);
        ssize_t k = read(p[0], ret, sizeof *ret);
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        if (k != (ssize_t) sizeof *ret || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return -EIO;
        return 0;
}

int main(int argc, char **argv) {
        int runs = argc > 1 ? atoi(argv[1]) : 9;
        if (runs < 1 || runs > 1000) {
                fprintf(stderr, "usage: %s [RUNS]\n", argv[0]);
                return 64;
        }
        static const struct {
                const char *what;
                bool images;
                size_t n;
        } cases[] = {
                { "GET /images/json", true, 10000 },
                { "GET /containers/json", false, 20000 },
        };
        printf("%-22s %7s %9s %10s %10s %10s %11s %11s %10s\n", "answer", "items", "body MiB", "median ms", "min ms",
               "max ms", "base MiB", "peak MiB", "decode MiB");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct result r;
                if (run_case(cases[i].images, cases[i].n, runs, &r) < 0) {
                        fprintf(stderr, "%s: the benchmark child failed\n", cases[i].what);
                        return 1;
                }
                printf("%-22s %7zu %9.1f %10.1f %10.1f %10.1f %11.1f %11.1f %10.1f\n", cases[i].what, r.items,
                       r.body_bytes / 1048576.0, r.median_ms, r.min_ms, r.max_ms, r.baseline_kib / 1024.0,
                       r.peak_kib / 1024.0, (r.peak_kib - r.baseline_kib) / 1024.0);
        }
        printf("(%d runs each; median of the wall time of decode + free; peak = ru_maxrss of the case's process)\n", runs);
        return 0;
}
