/* One check: measure; when a trigger holds, clean (lib's cleanup_run) and say what happened. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "cleanup.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "records.h"

/* Long requests (a prune may take minutes) and long cleanups must not starve systemd's watchdog. */
void daemon_watchdog_ping(void *userdata) {
        struct daemon *d = userdata;
        if (d->watchdog_usec == 0)
                return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        if (now - d->watchdog_last_usec < d->watchdog_usec / 4)
                return;
        d->watchdog_last_usec = now;
        sd_notify(0, "WATCHDOG=1");
}

struct check_ctx {
        struct daemon *d;
        bool print_plan;
};

static void on_plan(const struct policy_plan *plan, const struct usage *u, void *userdata) {
        struct check_ctx *x = userdata;
        if (!x->d->config.dry_run)
                return;
        if (x->print_plan)
                daemon_print_plan(x->d, plan, u);
        record_plan(plan);
}

static void on_step(const struct cleanup_step *s, void *userdata) {
        struct check_ctx *x = userdata;
        daemon_watchdog_ping(x->d);
        record_step(s);
        if (s->result == 0) {
                x->d->stats.removed_objects[s->action->tier]++;
                x->d->stats.reclaimed_bytes[s->action->tier] += s->reclaimed_bytes;
        }
}

int daemon_check_and_clean(struct daemon *d, bool print_plan) {
        int r;
        if (!d->root_dir || !d->engine_up) {
                r = daemon_engine_refresh(d);
                if (r < 0)
                        return r;
        }
        struct usage u;
        r = usage_measure(d->root_dir, &u);
        if (r < 0) {
                log_error("Cannot measure %s: %s", d->root_dir, strerror(-r));
                return r;
        }
        d->last_usage = u;
        d->have_usage = true;
        bool triggered = policy_triggered(&d->config, &u);
        record_measurement(&d->config, d->root_dir, &u, triggered);
        if (!triggered && !print_plan) {
                daemon_history_save(d);
                daemon_write_metrics(d);
                return 0;
        }
        if (!triggered) {
                /* --once --dry-run below the watermark: say so plainly. */
                printf("Filesystem %s: %.1f%% used; below the high watermark (%.0f%%): nothing to do.\n", d->root_dir,
                       u.used_percent, d->config.disk.high_watermark);
                daemon_write_metrics(d);
                return 0;
        }

        record_cleanup_started(&d->config, &u);
        struct check_ctx x = { d, print_plan };
        struct cleanup_run_options o = {
                .root_dir = d->root_dir,
                .history = d->history,
                .cancel = d->stop,
                .on_plan = on_plan,
                .on_step = on_step,
                .userdata = &x,
        };
        struct cleanup_result total;
        r = cleanup_run(d->engine, &d->config, &u, &o, &total);
        if (r < 0)
                return r;
        r = total.error;
        if (r < 0)
                daemon_engine_note(d, r);
        d->last_usage = total.after;

        if (!d->config.dry_run) {
                record_cleanup_finished(&total);
                d->stats.cleanups++;
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                d->stats.last_cleanup_unix = ts.tv_sec;
                d->stats.last_reclaimed_bytes = total.reclaimed_bytes;
                if (r >= 0 && !total.cancelled && !total.targets_met && policy_triggered(&d->config, &total.after))
                        record_exhausted(&d->config, &total);
                daemon_history_save(d);
        }
        daemon_write_metrics(d);
        return r < 0 ? r : 0;
}
