#include "episode.h"

#include "macro.h"
#include "time-util.h"

bool episode_exhausted(struct episode *e, const struct usage *u, int64_t now_ns, int64_t next_eligible_ns,
                       uint64_t interval_sec) {
        bool started = !e->active;
        /* From one interval, doubling, up to an hour (or the interval, when that is longer). */
        uint64_t cap = MAX(interval_sec, (uint64_t) EPISODE_BACKOFF_MAX_SEC);
        uint64_t backoff = started ? interval_sec : MIN(e->backoff_sec * 2, cap);
        *e = (struct episode){
                .active = true,
                .planned_ns = now_ns,
                .planned_used_percent = u->used_percent,
                .next_eligible_ns = next_eligible_ns,
                .backoff_sec = MAX(backoff, (uint64_t) 1),
        };
        return started;
}

int64_t episode_deadline_ns(const struct episode *e) {
        return e->planned_ns + (int64_t) e->backoff_sec * NSEC_PER_SEC;
}

enum episode_replan episode_replan_due(const struct episode *e, const struct usage *u, int64_t now_ns) {
        if (!e->active)
                return EPISODE_REPLAN_BACKOFF;
        if (e->freed)
                return EPISODE_REPLAN_FREED;
        if (u->used_percent >= e->planned_used_percent + 1.0)
                return EPISODE_REPLAN_GREW;
        if (e->next_eligible_ns > 0 && now_ns >= e->next_eligible_ns)
                return EPISODE_REPLAN_ELIGIBLE;
        if (now_ns >= episode_deadline_ns(e))
                return EPISODE_REPLAN_BACKOFF;
        return EPISODE_REPLAN_NO;
}

void episode_end(struct episode *e) {
        *e = (struct episode){};
}

void episode_note_freed(struct episode *e) {
        if (e->active)
                e->freed = true;
}

const char *episode_replan_to_string(enum episode_replan r) {
        static const char *const names[_EPISODE_REPLAN_MAX] = {
                [EPISODE_REPLAN_NO] = "nothing changed",
                [EPISODE_REPLAN_FREED] = "an engine event or an ended lease freed or unpinned something",
                [EPISODE_REPLAN_GREW] = "usage grew by a point or more",
                [EPISODE_REPLAN_ELIGIBLE] = "a candidate that was too young is old enough now",
                [EPISODE_REPLAN_BACKOFF] = "the back-off ran out",
        };
        return (unsigned) r < _EPISODE_REPLAN_MAX ? names[r] : NULL;
}
