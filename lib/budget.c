/* budget.c: the engine's own bytes against disk.max_engine_bytes (see budget.h). */
#include "budget.h"

#include "macro.h"

static uint64_t pos(int64_t v) {
        return v > 0 ? (uint64_t) v : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void budget_configure(struct budget *b, const struct config *c) {
        b->max_bytes = c->disk.max_engine_bytes;
        b->target_bytes = c->disk.target_engine_bytes;
        b->interval_usec = c->disk.engine_usage_interval_sec * UINT64_C(1000000);
        b->event_gap_usec = c->interval_sec * UINT64_C(1000000);
}

bool budget_enabled(const struct budget *b) {
        return b && b->max_bytes > 0;
}

unsigned budget_df_types(const struct engine_df *df) {
        return df->types & ENGINE_DF_ALL ? df->types & ENGINE_DF_ALL : ENGINE_DF_ALL;
}

void budget_parts_from_df(const struct engine_df *df, struct budget_parts *ret) {
        struct budget_parts p = { .images = pos(df->layers_size) };
        for (size_t i = 0; i < df->n_containers; i++)
                p.containers = add_sat(p.containers, pos(df->containers[i].size_rw));
        for (size_t i = 0; i < df->n_volumes; i++)
                p.volumes = add_sat(p.volumes, pos(df->volumes[i].size));
        for (size_t i = 0; i < df->n_build_cache; i++)
                if (!df->build_cache[i].shared)
                        p.build_cache = add_sat(p.build_cache, pos(df->build_cache[i].size));
        *ret = p;
}

unsigned budget_due(const struct budget *b, uint64_t now_usec) {
        if (!budget_enabled(b))
                return 0;
        if (!b->known || now_usec - b->measured_usec >= b->interval_usec)
                return ENGINE_DF_ALL;
        if (b->grew && now_usec - b->refreshed_usec >= b->event_gap_usec)
                return ENGINE_DF_IMAGES | ENGINE_DF_BUILD_CACHE | ENGINE_DF_VOLUMES;
        return 0;
}

void budget_measured(struct budget *b, const struct engine_df *df, uint64_t now_usec) {
        struct budget_parts p;
        unsigned types = budget_df_types(df);
        budget_parts_from_df(df, &p);
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

void budget_note_grew(struct budget *b) {
        b->grew = true;
}

void budget_freed(struct budget *b, enum policy_action_kind kind, uint64_t bytes) {
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

uint64_t budget_used(const struct budget *b) {
        const struct budget_parts *p = &b->parts;
        return add_sat(add_sat(p->images, p->containers), add_sat(p->volumes, p->build_cache));
}

bool budget_over(const struct budget *b) {
        return budget_enabled(b) && b->known && budget_used(b) >= b->max_bytes;
}

bool budget_met(const struct budget *b) {
        return !budget_enabled(b) || !b->known || budget_used(b) < b->target_bytes;
}

uint64_t budget_needed(const struct budget *b) {
        return budget_met(b) ? 0 : budget_used(b) - b->target_bytes + 1;
}

void budget_adjust_plan(const struct budget *b, struct policy_plan *plan) {
        uint64_t need = budget_needed(b), sum = 0;
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
