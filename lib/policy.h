/* policy.h: the pure cleanup decisions. No I/O, no engine calls, no clock: everything comes in through
 * struct config, struct usage and struct policy_snapshot, and one struct policy_plan comes out.
 *
 * Where it is called: the call order of one cleanup is stated once, in cleanup.h (and traced from the
 * daemon's loop in docs/HACKING.md). What the caller owes the planner: a struct policy_snapshot of what
 * the engine has (borrowed pointers into the engine's lists are fine: the planner copies whatever it
 * keeps), with images[].last_used_ns filled by history_seed() then history_fill_snapshot(), in that
 * order. Estimates are rough (shared layers, filesystem overhead): the executor stops on the *measured*
 * usage (policy_targets_met()), before or after plan.n_to_target.
 *
 * Safety rules no configuration can break (the planner enforces them; tests/unit/test_policy_random.c
 * checks them on random snapshots):
 *   - never a container in state running, paused, restarting, removing (or unknown): only exited,
 *     created and dead containers are ever planned;
 *   - PINNING, the simple rule: every container present in the snapshot, in any state, pins its image
 *     (by ImageID), every volume it mounts and every network it is attached to, EVEN IF the plan removes
 *     that container in an earlier tier. Objects that such a removal frees become candidates at the next
 *     cycle (or when the executor takes a fresh snapshot and plans again). A container whose image_id is
 *     NULL or "" cannot be resolved, so then no image at all is planned;
 *   - an image is planned only if every image that names it as parent is planned before it (the engine
 *     refuses to delete a parent: "image has dependent child images"), so children come before parents and
 *     an image with a kept child is kept;
 *     The one exception is the inactive-builders tier: a stopped buildx builder container
 *     (buildx_buildkit_<builder><n>, see unlisted_builder_name()) is planned with its state volume
 *     (<container name>_state) right after it, when no other container mounts that volume; while that
 *     tier is listed, the stopped-containers tier leaves such a builder (one with its volume) to it;
 *   - never a protected object (policy_labels_protected(), policy_image_protected());
 *   - never an object younger than its tier's min_age, except in the critical pass (policy_critical()),
 *     where the age is min(min_age, disk.critical_min_age); max_unused_age is never below min_age;
 *   - in the unused-images tier, never one of the protect.newest_per_repository newest images of any of
 *     its repositories (under every rule);
 *   - at most config.max_removals actions in one plan (every action removes something; the build-cache
 *     prune counts as one; max_removals = 0 means no action at all);
 *   - config.dry_run does not change the plan.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "macro.h"
#include "usage.h"

/* ---- Measuring ---------------------------------------------------------------------------------- */

/* Whether a cleanup should start: used_percent >= high_watermark, or (min_free > 0 and free_bytes <
 * min_free), or (total_inodes > 0 and inodes_used_percent >= inode_high_watermark). */
bool policy_triggered(const struct config *c, const struct usage *u);
/* Whether every target holds: used_percent < low_watermark, free_bytes >= the effective target_free
 * (target_free, or min_free when target_free is 0; no free-bytes target when both are 0), and (when
 * total_inodes > 0) inodes_used_percent < inode_low_watermark. */
bool policy_targets_met(const struct config *c, const struct usage *u);
/* Only the byte targets of policy_targets_met() (percent and free bytes), ignoring inodes. */
bool policy_byte_targets_met(const struct config *c, const struct usage *u);
/* Whether the inode target is unmet (always false when total_inodes is 0). */
bool policy_inode_target_unmet(const struct config *c, const struct usage *u);
/* The fewest bytes whose freeing makes policy_byte_targets_met(usage_after_freeing(u, bytes)) true;
 * 0 when the byte targets already hold; UINT64_MAX when no amount can (e.g. target_free larger than the
 * filesystem, or low_watermark 0). Exactly consistent with usage_after_freeing(). */
uint64_t policy_bytes_needed(const struct config *c, const struct usage *u);
/* keep-storage for the build-cache prune: max(0, counted - policy_bytes_needed(c, u)), where counted is
 * policy_build_cache.counted (what the engine measures the keep against: the private records not in use), or 0
 * (free all that is old enough) while the inode target is unmet, since inode relief cannot be estimated.
 * The executor should call this again with the *measured* usage just before running the prune. */
uint64_t policy_build_cache_keep_storage(const struct config *c, const struct usage *u, uint64_t counted);

/* A removal that freed under 1% of its estimate (estimated > 0): counted, and its estimate was wrong for a
 * reason the snapshot did not show (layers the build cache or another image holds). */
bool policy_removal_short(uint64_t estimated_bytes, uint64_t freed_bytes);

/* Whether a plan for this usage goes on past the tiers' min_age (the critical pass): critical_watermark is
 * on (> 0) and used_percent >= critical_watermark. */
bool policy_critical(const struct config *c, const struct usage *u);

/* The configuration of a cleanup asked for by --ensure-free: c's tiers, protection, ages and critical pass,
 * with one target only, free_bytes >= free_bytes, which also is its only trigger (no watermark, no inode
 * target; the watermarks of c would free more than was asked). *ret borrows c's strings and arrays:
 * never config_done() it. */
void policy_free_target_config(const struct config *c, uint64_t free_bytes, struct config *ret);

/* Over a set of filesystems: a trigger on any starts a cleanup; the targets hold when they hold on all. */
bool policy_triggered_any(const struct config *c, const struct usage_set *s);
bool policy_targets_met_all(const struct config *c, const struct usage_set *s);
/* The filesystem the plan is made for and the logs name: of those whose targets are unmet, the one that
 * needs the most bytes (an unmet inode target counts as needing the most), the fuller one (percent used)
 * on a tie; when every target holds, the fullest, so that a cleanup ends on the filesystem it began
 * with; 0 when s is empty. */
size_t policy_neediest(const struct config *c, const struct usage_set *s);

/* ---- Protection --------------------------------------------------------------------------------- */

/* config.protect_labels entries are "key" (protects when the label is present, whatever its value) or
 * "key=value" (protects when the value is exactly equal). Exact matching, no globs. NULL labels = none. */
bool policy_labels_protected(const struct config *c, const struct engine_labels *labels);
/* Labels as above, or any tag matched by a config.protect_images glob. Each glob is matched with
 * fnmatch(3) with flags 0, so a star also matches slashes (the glob x/<star> matches "x/y:tag"),
 * against the full tag "repo:tag" AND against the repo part alone (the tag minus its ":tag" suffix): "nginx" protects
 * "nginx:1.25", "registry:5000/app" protects "registry:5000/app:v1". Tags are compared as the engine
 * lists them in RepoTags and in their familiar form ("nginx:1.25" for Podman's "docker.io/library/nginx:1.25"). tags may be
 * NULL (dangling image). */
bool policy_image_protected(const struct config *c, char *const *tags, const struct engine_labels *labels);
/* Whether image id is under a lease (config.leased_image_ids): it counts as in use. */
bool policy_image_leased(const struct config *c, const char *id);

/* Whether a container name is a buildx docker-container builder's, buildx_buildkit_<builder><n> (its state
 * volume is that name plus "_state"): what the inactive-builders tier looks at. */
bool policy_builder_container(const char *name);

/* ---- The snapshot (input; the planner only reads it) --------------------------------------------- */

/* All times are unix nanoseconds, 0 = unknown/never. Strings and arrays are borrowed. An object whose
 * reference time (below) is unknown, or in the future, is old enough only for a min_age of 0. */
struct policy_container {
        const char *id;
        const char *name;                /* may be NULL */
        const char *image_id;            /* "sha256:..." (ImageID); NULL/"" blocks every image removal */
        enum engine_container_state state;
        int64_t created_ns;
        int64_t finished_at_ns;          /* State.FinishedAt; 0 when it never ran */
        uint64_t size_rw;                /* SizeRw; 0 when unknown */
        struct engine_labels labels;
        char *const *volumes;            /* NULL-terminated names of the volumes it mounts; NULL = none */
        char *const *networks;           /* NULL-terminated names or ids of its networks; NULL = none */
};

struct policy_image {
        const char *id;                  /* "sha256:..." */
        char *const *tags;               /* NULL-terminated RepoTags; NULL or empty = dangling */
        int64_t created_ns;
        int64_t last_used_ns;            /* from the history; 0 = unknown (then created_ns counts) */
        uint64_t size;                   /* estimated unique bytes: Size - SharedSize (or Size if unknown) */
        struct engine_labels labels;
        const char *parent_id;           /* NULL or "" = none */
        int64_t last_tag_time_ns;        /* Metadata.LastTagTime; 0 = unknown. History seeding reads it, and
                                          * protect.newest_per_repository (newest = latest of it and Created) */
        char *const *digests;            /* NULL-terminated RepoDigests ("repo@sha256:..."); only the history
                                          * reads them, to resolve uses by digest; NULL = none */
};

struct policy_volume {
        const char *name;
        bool anonymous;
        int64_t created_ns;              /* 0 = unknown: then only a min_age of 0 lets it go */
        uint64_t size;                   /* 0 when unknown */
        int64_t ref_count;               /* from /system/df; > 0 keeps it; < 0 = unknown (then
                                          * containers[].volumes alone decide) */
        struct engine_labels labels;
};

struct policy_network {
        const char *id;
        const char *name;
        bool builtin;                    /* bridge, host, none, podman: never removed */
        int64_t created_ns;              /* 0 = unknown: then only a min_age of 0 lets it go */
        size_t n_containers;             /* attached containers known to the engine; > 0 keeps it */
        struct engine_labels labels;
};

struct policy_build_cache {
        bool supported;                  /* false on Podman (no /build/prune) */
        uint64_t counted;                /* bytes of the records not in use and not shared with an image's
                                          * layers: what the engine measures reserved-space/keep-storage
                                          * against (BuildKit); 0 = nothing a prune can take: no action */
        uint64_t reclaimable;            /* of those, the records unused for the tier's min_age: the
                                          * estimate never exceeds it */
        uint64_t shared;                 /* bytes of records shared with image layers (BuildKit-built
                                          * images): removing such an image frees about nothing, it turns
                                          * these records private for the next plan's prune */
};

struct policy_snapshot {
        int64_t now_ns;
        const struct policy_container *containers;
        size_t n_containers;
        const struct policy_image *images;
        size_t n_images;
        const struct policy_volume *volumes;
        size_t n_volumes;
        const struct policy_network *networks;
        size_t n_networks;
        struct policy_build_cache build_cache;
};

/* ---- The plan (output; owns all its strings) ------------------------------------------------------ */

/* Which rule planned an action. Plans list them in this order: every MAX_AGE action first, then the TIER
 * actions in tier order, then (only when policy_critical() held at plan time) the CRITICAL ones. */
enum policy_rule {
        POLICY_RULE_MAX_AGE,             /* unused longer than the tier's max_unused_age: planned with or
                                          * without disk pressure; the executor runs these even when the
                                          * targets hold (the caller decides when the pass is due) */
        POLICY_RULE_TIER,                /* the tier's own min_age, under disk pressure */
        POLICY_RULE_CRITICAL,            /* the critical pass: what TIER left, with every tier's min_age
                                          * lowered to disk.critical_min_age */
        _POLICY_RULE_MAX,
};

enum policy_action_kind {
        POLICY_ACTION_REMOVE_CONTAINER,  /* DELETE /containers/{id}, v=0 (anonymous volumes stay), no force */
        POLICY_ACTION_REMOVE_IMAGE,      /* DELETE /images/{tag} for each tag, then /images/{id}; never force */
        POLICY_ACTION_PRUNE_BUILD_CACHE, /* POST /build/prune keep-storage=keep_storage, filter until=until_sec */
        POLICY_ACTION_REMOVE_VOLUME,     /* DELETE /volumes/{name}, no force */
        POLICY_ACTION_REMOVE_NETWORK,    /* DELETE /networks/{id} */
        _POLICY_ACTION_KIND_MAX,
};

struct policy_action {
        enum policy_action_kind kind;
        enum config_tier_type tier;      /* the tier that planned it */
        enum policy_rule rule;           /* ... and under which rule */
        uint64_t age_sec;                /* the age its rule required: min_age, critical_min_age or
                                          * max_unused_age */
        char *id;                        /* container id, image id, volume name, network id; NULL for build cache */
        char *name;                      /* container name, volume name, network name, first tag; else NULL */
        char **tags;                     /* images: NULL-terminated copy of every tag (empty for dangling); else NULL */
        char *untagged_parent_id;        /* images: the parent, when it is not a tagged image of the snapshot (an
                                          * intermediate the engine should take along); else NULL */
        uint64_t estimated_bytes;        /* what removing it should free (0 for networks) */
        int64_t reference_ns;            /* the time it was ordered by: FinishedAt/Created, last use, Created */
        /* POLICY_ACTION_PRUNE_BUILD_CACHE only: */
        uint64_t keep_storage;           /* at plan time; recompute with policy_build_cache_keep_storage() */
        uint64_t until_sec;              /* age_sec: only records unused for that long go (MAX_AGE: with
                                          * keep_storage 0, whatever the usage) */
        uint64_t build_cache_counted;    /* the snapshot's build_cache.counted, to recompute keep_storage */
        bool replan_unless_met;          /* build cache: the cache shares layers with images (snapshot's
                                          * build_cache.shared): when the prune leaves a target unmet, the round
                                          * ends and the next plans from fresh counts before any image, whose
                                          * bytes the cache may hold (policy_prune_replans()) */
        bool with_previous;              /* inactive-builders: this state volume goes with the builder container
                                          * of the action right before it: run right after that one (even when
                                          * the targets hold), skipped when that one failed */
};

/* Why the objects the configured tiers looked at and did not plan stay, each counted once under the
 * first reason that holds, in this order: */
enum policy_kept_reason {
        POLICY_KEPT_IN_USE,
        POLICY_KEPT_PROTECTED,
        POLICY_KEPT_NEWEST,
        POLICY_KEPT_TOO_YOUNG,
        _POLICY_KEPT_REASON_MAX,
};
struct policy_kept {
        size_t in_use;                   /* a running (paused, restarting...) container; an image, volume or
                                          * network a container uses; an image with a child that stays */
        size_t protected_;               /* by label or protect.images glob */
        size_t newest;                   /* unused-images: among the protect.newest_per_repository newest
                                          * of one of its repositories */
        size_t too_young;                /* younger than the tier's min_age */
        int64_t next_eligible_ns;        /* the earliest moment one of too_young is old enough; 0 = unknown */
        size_t over_max_removals;              /* eligible, but past max_removals */
};

/* One object that stays, with why (over_max_removals ones are only counted). */
struct policy_kept_object {
        enum policy_action_kind kind;    /* what removing it would have been */
        enum config_tier_type tier;
        enum policy_rule rule;           /* of the pass that kept it: MAX_AGE (too young = not unused for
                                          * max_unused_age yet), or the last of TIER and CRITICAL */
        enum policy_kept_reason reason;
        char *id;                        /* owned, like the actions' */
        char *name;                      /* owned; NULL as for actions (a dangling image) */
        int64_t eligible_ns;             /* too_young: when it is old enough; 0 = unknown or not too young */
};

struct policy_plan {
        struct policy_action *actions;   /* tier order as configured; within a tier in removal order */
        size_t n_actions;                /* <= config.max_removals */
        /* Number of leading actions after which the cumulative estimate meets the targets: the least k
         * with policy_byte_targets_met(usage_after_freeing(u, sum of estimated_bytes[0..k))) and no
         * unmet inode target; n_actions when never (inode relief is never estimated, so while an inode
         * target is unmet every action counts). Never fewer than n_max_age (those run whatever the usage):
         * n_max_age when the targets already hold. */
        size_t n_to_target;
        bool reachable;                  /* the targets are met by estimate within the plan (inode pressure:
                                          * false, since it cannot be estimated) */
        bool inode_pressure;             /* the inode target was unmet at plan time */
        bool truncated;                  /* max_removals left eligible objects out */
        uint64_t bytes_needed;           /* policy_bytes_needed() at plan time */
        uint64_t estimated_total;        /* sum of estimated_bytes of all actions */
        uint64_t tier_bytes[_CONFIG_TIER_MAX];   /* estimated bytes per tier type */
        size_t tier_actions[_CONFIG_TIER_MAX];   /* actions per tier type */
        struct policy_kept kept;         /* what the tiers left, and why (after the critical pass, if any) */
        struct policy_kept kept_normal;  /* what the tiers' own min_age left, before the critical pass */
        struct policy_kept kept_max_age; /* what the maximum-age pass left (the tier pass looks again) */
        struct policy_kept_object *kept_objects; /* each object kept counts, in tier order */
        size_t n_kept_objects;
        bool critical;                   /* policy_critical() held: the CRITICAL actions follow the TIER ones */
        size_t n_max_age;                /* the leading actions of rule MAX_AGE */
        size_t rule_actions[_POLICY_RULE_MAX];
};

/* Builds the plan for the tiers of c in their order. Plans whatever usage says (even when not triggered;
 * n_to_target is then 0). *ret_plan is set only on success (0); free it with policy_plan_done().
 * -EINVAL for NULL arguments, -ENOMEM. */
int policy_plan(const struct config *c, const struct usage *u, const struct policy_snapshot *s,
                struct policy_plan *ret_plan) _must_check_;
/* Frees what the plan owns and zeroes it; safe on a zeroed or already-freed plan. */
void policy_plan_done(struct policy_plan *p);

/* ---- What is not known yet (policy-unknowns.c) ------------------------------------------------------ */

/* What the caller does not know yet about a struct policy_snapshot, per object (an array NULL = all known):
 *   stop[i]: containers[i] is stopped (exited, dead) and its State.FinishedAt is unknown: its finished_at_ns
 *            is ignored, and the truth is either 0 (it never ran) or a time >= its created_ns;
 *   size[i]: containers[i].size_rw is unknown (it changes estimates, never which actions are planned);
 *   tag[i]:  images[i].last_tag_time_ns is unknown: last_used_ns holds what is known without it, a lower
 *            bound of what the planner will read once it is known (the history, seeded with the tag time). */
struct policy_unknown_input {
        const bool *stop;
        const bool *size;
        const bool *tag;
};

/* Which unknowns can still change the plan (owned arrays of indexes, ascending). */
struct policy_unknowns {
        size_t *stops;                   /* containers whose stop time can change which actions are planned */
        size_t n_stops;
        size_t *sizes;                   /* containers the plan takes whose size is unknown */
        size_t n_sizes;
        size_t *tags;                    /* images whose tag time can change the plan: every unknown one that
                                          * could be the unused-images tier's (unpinned; with
                                          * protect.newest_per_repository every tagged one), or none, so that
                                          * one fetch seeds the history with all of them */
        size_t n_tags;
};

/* Answers, over the plan the planner itself makes with every unknown at its lower bound (a stop time at
 * its container's Created, a tag time at last_used_ns) and a usage past every watermark (so that the
 * critical pass runs when configured), max_removals raised by one in 32 (up to 32: a few more named, fewer
 * rounds): an unknown stop time matters when its container is planned there
 * (or its Created is unknown: no bound); an unknown tag time when an image of unknown tag time is planned
 * there (or, with protect.newest_per_repository, whenever the unused-images tier is listed). Tag times,
 * when they decide which images are the newest of their repository, are named before any stop time.
 * The guarantee (tests/unit/test_policy_random.c): once nothing is named, policy_plan() over s, with the
 * unknown stop times as 0 and the tag times as they are, plans for every usage the same actions as over
 * the whole truth, since moving an object that is not planned later in the order never changes a plan.
 * *ret is set only on success (0); free it with policy_unknowns_done(). -EINVAL, -ENOMEM. */
int policy_unknowns(const struct config *c, const struct policy_snapshot *s, const struct policy_unknown_input *in,
                    struct policy_unknowns *ret) _must_check_;
void policy_unknowns_done(struct policy_unknowns *u);

/* "maximum age", "tier", "critical pass"; NULL if out of range. */
const char *policy_rule_to_string(enum policy_rule r);
/* "in use", "protected", "newest of its repository", "too young"; NULL if out of range. */
const char *policy_kept_reason_to_string(enum policy_kept_reason r);

/* "remove-container", "remove-image", "prune-build-cache", "remove-volume", "remove-network"; NULL if out
 * of range. */
const char *policy_action_kind_to_string(enum policy_action_kind k);

/* Whether a short removal of this kind stops further removals of the kind in the round (the next round
 * plans from a fresh snapshot): images and build-cache prunes, whose content others can share. Not
 * containers, volumes, networks: their bytes are their own, and a short one is a measurement that lags
 * (the containerd store collects a removed container's snapshot a moment later). */
bool policy_short_stops_kind(enum policy_action_kind k);
/* Whether a build-cache prune that ran ends its round, so that the next plans from what the engine then
 * counts, before the tiers after it: with a target unmet, when it kept private records (keep_storage > 0:
 * the keep was an estimate, and a record too many kept costs an image), when it freed under 90% of its
 * estimate (the engine prunes whole records and measures its keep its own way: dockerd 28.5's
 * reserved-space took 55 of 68 MiB), or when the cache shares layers with images (a->replan_unless_met: the containerd store's
 * counts of private records lag, and any image may free nothing while the cache holds it). */
bool policy_prune_replans(const struct policy_action *a, uint64_t freed_bytes, bool targets_met);
