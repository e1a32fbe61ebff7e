/* replay.h: the eviction replay, a bench tool (not part of the daemon). A trace of jobs (written by
 * tests/perf/replay-gen.py; format there) runs against a model of one Docker host: images are sets of
 * layers, a layer is on disk while any present image has it, a job's missing images are pulled (their
 * missing layers are the bytes pulled) and its containers pin them while it runs. After every job's
 * pulls, and every hour for the cron peer, the policy under test looks at the disk and removes images.
 *
 * REPLAY_DOCKERCLEAN is the daemon's own decision: the real lib/history.c fed the events a daemon
 * would see, the real policy_plan() on a snapshot built as replay_snapshot_build() shows, executed as
 * lib/cleanup.c does (in plan order, re-measuring after every removal, stopping when the targets hold).
 * The peers and the offline reference are modelled here (see replay.c for what each one does).
 *
 * No I/O but replay_trace_read(); errors are -errno. Single-threaded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "policy.h"
#include "usage.h"

struct replay_image {
        char *tag;                       /* "repo:tag" */
        char id[72];                     /* "sha256:" + 64 hex digits, from the image's number */
        int64_t created_s;
        size_t *layers;
        size_t n_layers;
        uint64_t size;                   /* all its layers */
};

struct replay_job {
        int64_t start_s, duration_s;
        size_t *images;
        size_t n_images;
};

struct replay_trace {
        uint64_t capacity, base_used;
        uint64_t *layer_size;
        size_t n_layers;
        struct replay_image *images;
        size_t n_images;
        struct replay_job *jobs;
        size_t n_jobs;
        char **params;                   /* "KEY VALUE" lines, NULL-terminated */
        size_t n_params;
};

/* Reads a trace; *ret is set on success (free with replay_trace_free()). -EBADMSG on a malformed line
 * (*ret_line, if non-NULL, says which), -ENOMEM. */
int replay_trace_read(FILE *f, struct replay_trace **ret, unsigned *ret_line);
void replay_trace_free(struct replay_trace *t);

enum replay_policy {
        REPLAY_DOCKERCLEAN,              /* policy_plan() with the given configuration */
        REPLAY_PRUNE_ALL,                /* `docker image prune -a` when the high watermark is passed */
        REPLAY_PRUNE_CRON,               /* `docker image prune -a --filter until=24h` every hour */
        REPLAY_KUBELET,                  /* kubelet image GC: 85 % -> 80 %, LRU, images seen >= 2 min */
        REPLAY_DOCUUM,                   /* docuum: LRU until the images' bytes are under a threshold */
        REPLAY_OFFLINE,                  /* knows the future: furthest next use first (Belady) */
        REPLAY_GDSF,                     /* candidate: policy_plan()'s eligible images, reordered by
                                          * Greedy-Dual-Size-Frequency (cost 1: fewest pulls) */
        REPLAY_GDF,                      /* candidate: the same with cost = size (bytes): GD-frequency */
        REPLAY_LRFU,                     /* candidate: the same images by a use count that halves every
                                          * 24 h unused (LRFU), lowest first */
        _REPLAY_POLICY_MAX,
};

const char *replay_policy_to_string(enum replay_policy p);

struct replay_result {
        uint64_t bytes_pulled;           /* every layer byte pulled */
        uint64_t bytes_first;            /* ... of layers pulled for the first time (any policy pays them) */
        uint64_t bytes_repulled;         /* bytes_pulled - bytes_first: what eviction choices cost */
        size_t pulls;                    /* image pulls (an image missing when a job needed it) */
        size_t repulls;                  /* ... of images that had been on disk before */
        size_t removals;                 /* images removed */
        size_t cleanups;                 /* times the policy removed something */
        size_t over_capacity;            /* jobs whose pulls found the disk full (they would fail) */
        double max_used_percent;
};

/* Called for every plan REPLAY_DOCKERCLEAN (and the candidates) made: the configuration, usage and
 * snapshot policy_plan() got, and the image ids then removed, in order. All borrowed for the call. */
typedef void (*replay_plan_cb)(const struct config *c, const struct usage *u, const struct policy_snapshot *s,
                               char *const *removed, size_t n_removed, void *userdata);

/* Replays the whole trace under one policy. c: the daemon's configuration (its watermarks also place the
 * peers' triggers: prune -a at high_watermark, docuum's threshold at high_watermark). on_plan may be NULL.
 * 0 with *ret set, or -errno (-ENOMEM; or what policy_plan()/history returned). */
int replay_run(const struct replay_trace *t, enum replay_policy p, const struct config *c, replay_plan_cb on_plan,
               void *userdata, struct replay_result *ret);
