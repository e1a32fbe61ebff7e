/* engine-bytes.c: the engine's own bytes against disk.max_engine_bytes (see engine-bytes.h). */
#include "engine-bytes.h"

#include "macro.h"

static uint64_t pos(int64_t v) {
        return v > 0 ? (uint64_t) v : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void engine_bytes_configure(struct engine_bytes *b, const struct config *c) {
        b->max_bytes = c->disk.max_engine_bytes;
        b->target_bytes = c->disk.target_engine_bytes;
        b->interval_usec = c->disk.engine_usage_interval_sec * UINT64_C(1000000);
        b->event_gap_usec = c->interval_sec * UINT64_C(1000000);
}

bool engine_bytes_enabled(const struct engine_bytes *b) {
        return b && b->max_bytes > 0;
}

unsigned engine_bytes_df_types(const struct engine_df *df) {
        return df->types & ENGINE_DF_ALL ? df->types & ENGINE_DF_ALL : ENGINE_DF_ALL;
}

void engine_bytes_parts_from_df(const struct engine_df *df, struct engine_bytes_parts *ret) {
        struct engine_bytes_parts p = { .images = pos(df->layers_size) };
        for (size_t i = 0; i < df->n_containers; i++)
                p.containers = add_sat(p.containers, pos(df->containers[i].size_rw));
        for (size_t i = 0; i < df->n_volumes; i++)
                p.volumes = add_sat(p.volumes, pos(df->volumes[i].size));
        for (size_t i = 0; i < df->n_build_cache; i++)
                if (!df->build_cache[i].shared)
                        p.build_cache = add_sat(p.build_cache, pos(df->build_cache[i].size));
        *ret = p;
}

unsigned engine_bytes_due(const struct engine_bytes *b, uint64_t now_usec) {
        if (!engine_bytes_enabled(b))
                return 0;
        if (!b->known || now_usec - b->measured_usec >= b->interval_usec)
                return ENGINE_DF_ALL;
        if (b->grew && now_usec - b->refreshed_usec >= b->event_gap_usec)
                return ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE | ENGINE_DF_VOLUMES;
        return 0;
}

void engine_bytes_measured(struct engine_bytes *b, const struct engine_df *df, uint64_t now_usec) {
        struct engine_bytes_parts p;
        unsigned types = engine_bytes_df_types(df);
        engine_bytes_parts_from_df(df, &p);
        if (types & ENGINE_DF_IMAGES)
                b->parts.images = p.images;
        if (types & ENGINE_DF_CONTAINERS)
                b->parts.containers = p.containers;
        if (types & ENGINE_DF_VOLUMES)
                b->parts.volumes = p.volumes;
        if (types & ENGINE_DF_BUILD_CACHE)
                b->parts.build_cache = p.build_cache;
        if (types == ENGINE_DF_ALL) {
                b->known = true;
                b->measured_usec = now_usec;
        }
        b->refreshed_usec = now_usec;
        b->grew = false;
        b->freed_since = 0;
}

void engine_bytes_note_grew(struct engine_bytes *b) {
        b->grew = true;
}

void engine_bytes_freed(struct engine_bytes *b, enum policy_action_kind kind, uint64_t bytes) {
        uint64_t *part = NULL;
        switch (kind) {
        case POLICY_ACTION_REMOVE_CONTAINER:
                part = &b->parts.containers;
                break;
        case POLICY_ACTION_REMOVE_IMAGE:
                part = &b->parts.images;
                break;
        case POLICY_ACTION_PRUNE_BUILD_CACHE:
                part = &b->parts.build_cache;
                break;
        case POLICY_ACTION_REMOVE_VOLUME:
                part = &b->parts.volumes;
                break;
        case POLICY_ACTION_REMOVE_NETWORK:
        case _POLICY_ACTION_KIND_MAX:
                break;
        }
        if (!part)
                return; /* networks hold no bytes */
        uint64_t taken = MIN(*part, bytes);
        *part -= taken;
        b->freed_since = add_sat(b->freed_since, taken);
}

uint64_t engine_bytes_used(const struct engine_bytes *b) {
        const struct engine_bytes_parts *p = &b->parts;
        return add_sat(add_sat(p->images, p->containers), add_sat(p->volumes, p->build_cache));
}

bool engine_bytes_over(const struct engine_bytes *b) {
        return engine_bytes_enabled(b) && b->known && engine_bytes_used(b) >= b->max_bytes;
}

bool engine_bytes_met(const struct engine_bytes *b) {
        return !engine_bytes_enabled(b) || !b->known || engine_bytes_used(b) < b->target_bytes;
}

uint64_t engine_bytes_needed(const struct engine_bytes *b) {
        return engine_bytes_met(b) ? 0 : engine_bytes_used(b) - b->target_bytes + 1;
}

void engine_bytes_adjust_plan(const struct engine_bytes *b, struct policy_plan *plan) {
        uint64_t need = engine_bytes_needed(b), sum = 0;
        if (need == 0)
                return;
        size_t k = 0;
        while (k < plan->n_actions && sum < need)
                sum = add_sat(sum, plan->actions[k++].estimated_bytes);
        if (sum < need) {
                plan->n_to_target = plan->n_actions;
                plan->reachable = false;
        } else
                plan->n_to_target = MAX(plan->n_to_target, k);
        if (plan->bytes_needed != UINT64_MAX)
                plan->bytes_needed = MAX(plan->bytes_needed, need);
}
