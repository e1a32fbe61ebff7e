/* dockerclean-replay: replays traces (tests/perf/replay-gen.py) under dockercleand's planner, its peers and
 * an offline reference, and prints one table per trace (see replay.h, docs/BENCHMARKS.md).
 *
 * usage: dockerclean-replay [--config FILE] [--variant NAME=FILE]... [--markdown] [--candidates] [--results FILE] TRACE...
 *   --config FILE   the daemon's configuration (default: the compiled-in defaults)
 *   --variant NAME=FILE  also the daemon under another configuration, as a row "dockercleand, NAME"
 *   --candidates    also the Greedy-Dual candidates (policy_plan()'s eligible images, reordered)
 *   --results FILE  append KEY=VALUE figures (eviction.TRACE.POLICY.repulled_bytes ...) */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay.h"

/* Bytes are shown in GB, or in MB for traces of less than 10 GB (the recorded one). */
struct unit {
        double divisor;
        const char *name;
};

static double in_unit(const struct unit *u, uint64_t b) {
        return (double) b / u->divisor;
}

static const char *short_name(enum replay_policy p) {
        static const char *const names[_REPLAY_POLICY_MAX] = {
                [REPLAY_DOCKERCLEAN] = "dockercleand", [REPLAY_PRUNE_ALL] = "prune_all",
                [REPLAY_PRUNE_CRON] = "prune_cron", [REPLAY_KUBELET] = "kubelet", [REPLAY_DOCUUM] = "docuum",
                [REPLAY_OFFLINE] = "offline", [REPLAY_GDSF] = "gdsf", [REPLAY_GDF] = "gdf", [REPLAY_LRFU] = "lrfu",
        };
        return names[p];
}

#define VARIANTS_MAX 4
struct variant {
        const char *name;
        struct config config;
        struct replay_result result;
};

static void print_row(bool markdown, const struct unit *u, const char *label, const struct replay_result *r, uint64_t off) {
        char ratio[32];
        if (off > 0)
                snprintf(ratio, sizeof ratio, "%.2f", (double) r->bytes_repulled / (double) off);
        else
                snprintf(ratio, sizeof ratio, "%s", r->bytes_repulled ? "inf" : "1.00");
        if (markdown)
                printf("| %s | %.1f | %s | %zu | %zu | %zu | %zu | %zu | %.1f |\n", label, in_unit(u, r->bytes_repulled), ratio,
                       r->pulls, r->repulls, r->removals, r->cleanups, r->over_capacity, r->max_used_percent);
        else
                printf("  %-34s %11.1f %7s %6zu %7zu %8zu %8zu %6zu %5.1f\n", label, in_unit(u, r->bytes_repulled), ratio,
                       r->pulls, r->repulls, r->removals, r->cleanups, r->over_capacity, r->max_used_percent);
}

static void print_results(FILE *results, const char *trace, const char *policy, const struct replay_result *r,
                          double secs) {
        if (!results)
                return;
        fprintf(results, "eviction.%s.%s.repulled_bytes=%" PRIu64 "\n", trace, policy, r->bytes_repulled);
        fprintf(results, "eviction.%s.%s.first_bytes=%" PRIu64 "\n", trace, policy, r->bytes_first);
        fprintf(results, "eviction.%s.%s.pulls=%zu\n", trace, policy, r->pulls);
        fprintf(results, "eviction.%s.%s.removals=%zu\n", trace, policy, r->removals);
        fprintf(results, "eviction.%s.%s.over_capacity=%zu\n", trace, policy, r->over_capacity);
        fprintf(results, "eviction.%s.%s.seconds=%.3f\n", trace, policy, secs);
}

static int replay_one(const char *path, const struct config *c, struct variant *variants, size_t n_variants,
                      bool markdown, bool candidates, FILE *results) {
        FILE *f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "dockerclean-replay: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        struct replay_trace *t;
        unsigned line = 0;
        int r = replay_trace_read(f, &t, &line);
        fclose(f);
        if (r < 0) {
                fprintf(stderr, "dockerclean-replay: %s:%u: %s\n", path, line, strerror(-r));
                return r;
        }
        char name_buf[256];
        snprintf(name_buf, sizeof name_buf, "%s", path);
        char *name = basename(name_buf);
        char *dot = strrchr(name, '.');
        if (dot)
                *dot = 0;

        struct replay_result res[_REPLAY_POLICY_MAX] = {};
        double secs[_REPLAY_POLICY_MAX] = {};
        enum replay_policy n_policies = candidates ? _REPLAY_POLICY_MAX : REPLAY_GDSF;
        for (enum replay_policy p = 0; p < n_policies; p++) {
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                r = replay_run(t, p, c, NULL, NULL, &res[p]);
                clock_gettime(CLOCK_MONOTONIC, &b);
                secs[p] = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
                if (r < 0) {
                        fprintf(stderr, "dockerclean-replay: %s: %s: %s\n", name, replay_policy_to_string(p), strerror(-r));
                        replay_trace_free(t);
                        return r;
                }
        }
        uint64_t all = 0;
        for (size_t l = 0; l < t->n_layers; l++)
                all += t->layer_size[l];
        const struct unit unit = all < UINT64_C(10000000000) ? (struct unit) { 1e6, "MB" } : (struct unit) { 1e9, "GB" };
        const struct unit *u = &unit;
        printf("%s%s: %zu jobs, %zu images, %.1f %s of distinct layers on a %.1f %s disk (%.1f %s besides images)\n",
               markdown ? "#### " : "", name, t->n_jobs, t->n_images, in_unit(u, all), u->name, in_unit(u, t->capacity),
               u->name, in_unit(u, t->base_used), u->name);
        printf("%s", markdown ? "\n" : "  ");
        for (size_t k = 0; k < t->n_params; k++)
                printf("%s%s", k ? ", " : "parameters: ", t->params[k]);
        printf("\n%sfirst pulls (paid by every policy): %.1f %s\n\n", markdown ? "\n" : "  ", in_unit(u, res[0].bytes_first),
               u->name);
        if (markdown)
                printf("| policy | %s re-pulled | × offline | pulls | re-pulls | removals | cleanups | full | max %% |\n"
                       "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", u->name);
        else
                printf("  %-34s  %s re-pull %7s %6s %7s %8s %8s %6s %5s\n", "policy", u->name, "x offl", "pulls",
                       "repulls", "removals", "cleanups", "full", "max%");
        for (enum replay_policy p = 0; p < n_policies; p++) {
                print_row(markdown, u, replay_policy_to_string(p), &res[p], res[REPLAY_OFFLINE].bytes_repulled);
                print_results(results, name, short_name(p), &res[p], secs[p]);
        }
        for (size_t v = 0; v < n_variants; v++) {
                char label[128];
                snprintf(label, sizeof label, "dockercleand, %s", variants[v].name);
                r = replay_run(t, REPLAY_DOCKERCLEAN, &variants[v].config, NULL, NULL, &variants[v].result);
                if (r < 0) {
                        fprintf(stderr, "dockerclean-replay: %s: %s: %s\n", name, label, strerror(-r));
                        replay_trace_free(t);
                        return r;
                }
                print_row(markdown, u, label, &variants[v].result, res[REPLAY_OFFLINE].bytes_repulled);
                snprintf(label, sizeof label, "dockercleand_%s", variants[v].name);
                print_results(results, name, label, &variants[v].result, 0);
        }
        printf("\n");
        replay_trace_free(t);
        return 0;
}

int main(int argc, char **argv) {
        const char *config_path = NULL, *results_path = NULL;
        bool markdown = false, candidates = false;
        struct variant variants[VARIANTS_MAX] = {};
        const char *variant_files[VARIANTS_MAX] = {};
        size_t n_variants = 0;
        int a = 1;
        for (; a < argc && argv[a][0] == '-'; a++) {
                if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
                        config_path = argv[++a];
                else if (strcmp(argv[a], "--results") == 0 && a + 1 < argc)
                        results_path = argv[++a];
                else if (strcmp(argv[a], "--variant") == 0 && a + 1 < argc && strchr(argv[a + 1], '=') &&
                         n_variants < VARIANTS_MAX) {
                        char *eq = strchr(argv[++a], '=');
                        *eq = 0;
                        variants[n_variants].name = argv[a];
                        variant_files[n_variants++] = eq + 1;
                } else if (strcmp(argv[a], "--markdown") == 0)
                        markdown = true;
                else if (strcmp(argv[a], "--candidates") == 0)
                        candidates = true;
                else {
                        fprintf(stderr, "usage: dockerclean-replay [--config FILE] [--variant NAME=FILE]... [--markdown] "
                                        "[--candidates] [--results FILE] TRACE...\n");
                        return 64;
                }
        }
        if (a == argc) {
                fprintf(stderr, "dockerclean-replay: no trace given\n");
                return 64;
        }
        struct config c;
        struct config_error e;
        int r = config_path ? config_parse_file(config_path, &c, &e) : config_init_defaults(&c);
        if (r < 0) {
                fprintf(stderr, "dockerclean-replay: %s\n", config_path ? e.text : strerror(-r));
                return 78;
        }
        for (size_t v = 0; v < n_variants; v++)
                if (config_parse_file(variant_files[v], &variants[v].config, &e) < 0) {
                        fprintf(stderr, "dockerclean-replay: %s\n", e.text);
                        return 78;
                }
        FILE *results = results_path ? fopen(results_path, "ae") : NULL;
        if (results_path && !results) {
                fprintf(stderr, "dockerclean-replay: %s: %s\n", results_path, strerror(errno));
                config_done(&c);
                return 1;
        }
        int status = 0;
        for (; a < argc; a++)
                if (replay_one(argv[a], &c, variants, n_variants, markdown, candidates, results) < 0)
                        status = 1;
        if (results)
                fclose(results);
        for (size_t v = 0; v < n_variants; v++)
                config_done(&variants[v].config);
        config_done(&c);
        return status;
}
