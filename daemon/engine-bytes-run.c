/* disk.max_engine_bytes in the daemon: asks /system/df when the budget says it is due (budget.h) and
 * says what the engine itself uses, beside the filesystem figures. */
#include <inttypes.h>
#include <stdio.h>

#include "budget.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "records.h"
#include "time-util.h"

/* Refreshes the figures when due; a failure keeps the last ones and is said once per change. */
static void refresh(struct daemon *d) {
        unsigned types = budget_due(&d->budget, now_monotonic_usec());
        if (types == 0)
                return;
        struct engine_df df = {};
        int r = engine_system_df_types(d->engine, types, &df);
        if (r < 0) {
                if (!d->budget_failing)
                        log_warning("Cannot measure the engine's own bytes (max_engine_bytes): %s; %s",
                                    engine_last_error(d->engine)->message,
                                    d->budget.known ? "going on with the last figures" : "the budget waits for a measurement");
                d->budget_failing = true;
                return;
        }
        if (d->budget_failing)
                log_notice("The engine's own bytes can be measured again");
        d->budget_failing = false;
        budget_measured(&d->budget, &df, now_monotonic_usec());
        log_debug("/system/df for the engine's own bytes (%s)", types == ENGINE_DF_ALL ? "every part" : "images, build cache, volumes");
        engine_df_done(&df);
}

bool daemon_budget_check(struct daemon *d) {
        budget_configure(&d->budget, &d->config);
        if (!budget_enabled(&d->budget) || d->config.n_tiers == 0)
                return false;
        refresh(d);
        bool over = budget_over(&d->budget);
        if (d->budget.known)
                record_budget(&d->budget, over);
        return over;
}

void daemon_budget_after_cleanup(struct daemon *d) {
        if (!budget_enabled(&d->budget) || !d->budget.known)
                return;
        char used[32], target[32], freed[32];
        daemon_format_bytes(budget_used(&d->budget), used, sizeof used);
        daemon_format_bytes(d->budget.target_bytes, target, sizeof target);
        daemon_format_bytes(d->budget.freed_since, freed, sizeof freed);
        log_info("The engine's own bytes: about %s after the cleanup (%s freed since the last /system/df, by the engine's figures "
                 "and the estimates), %s target_engine_bytes (%s)",
                 used, freed, budget_met(&d->budget) ? "below" : "still above", target);
}

void daemon_budget_status(const struct daemon *d, char *buf, size_t n) {
        if (n > 0)
                buf[0] = 0;
        if (!budget_enabled(&d->budget) || !d->budget.known)
                return;
        char used[32], max[32];
        daemon_format_bytes(budget_used(&d->budget), used, sizeof used);
        daemon_format_bytes(d->budget.max_bytes, max, sizeof max);
        snprintf(buf, n, "; engine uses %s (clean at %s)", used, max);
}
