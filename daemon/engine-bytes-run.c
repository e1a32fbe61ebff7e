/* engine-bytes-run.c: disk.max_engine_bytes in the daemon: asks /system/df when engine-bytes.h says it is due, and
 * says what the engine itself uses, beside the filesystem figures. */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"
#include "engine-bytes.h"
#include "engine.h"
#include "log.h"
#include "records.h"
#include "time-util.h"

/* Refreshes the figures when due; a failure keeps the last ones and is said once per change. */
static void refresh(struct daemon *d) {
        unsigned types = engine_bytes_due(&d->engine_bytes, now_monotonic_usec());
        if (types == 0)
                return;
        struct engine_df df = {};
        int r = engine_system_df_types(d->engine, types, &df);
        if (r < 0) {
                if (!d->engine_bytes_failing)
                        log_warning("Cannot measure the engine's own bytes (max_engine_bytes): %s; %s",
                                    engine_last_error(d->engine)->message,
                                    d->engine_bytes.known ? "going on with the last figures" : "the budget waits for a measurement");
                d->engine_bytes_failing = true;
                return;
        }
        if (d->engine_bytes_failing)
                log_notice("The engine's own bytes can be measured again");
        d->engine_bytes_failing = false;
        engine_bytes_measured(&d->engine_bytes, &df, now_monotonic_usec());
        log_debug("/system/df for the engine's own bytes (%s)", types == ENGINE_DF_ALL ? "every part" : "images, build cache, volumes");
        engine_df_done(&df);
}

bool daemon_engine_bytes_check(struct daemon *d) {
        engine_bytes_configure(&d->engine_bytes, &d->config);
        if (!engine_bytes_enabled(&d->engine_bytes) || d->config.n_tiers == 0)
                return false;
        refresh(d);
        bool over = engine_bytes_over(&d->engine_bytes);
        if (d->engine_bytes.known)
                record_engine_bytes(&d->engine_bytes, over);
        return over;
}

void daemon_engine_bytes_after_cleanup(struct daemon *d) {
        if (!engine_bytes_enabled(&d->engine_bytes) || !d->engine_bytes.known)
                return;
        char used[32], target[32], freed[32];
        daemon_format_bytes(engine_bytes_used(&d->engine_bytes), used, sizeof used);
        daemon_format_bytes(d->engine_bytes.target_bytes, target, sizeof target);
        daemon_format_bytes(d->engine_bytes.freed_since, freed, sizeof freed);
        log_info("The engine's own bytes: about %s after the cleanup (%s freed since the last /system/df, by the engine's figures "
                 "and the estimates), %s target_engine_bytes (%s)",
                 used, freed, engine_bytes_met(&d->engine_bytes) ? "below" : "still above", target);
}

void daemon_engine_bytes_status(const struct daemon *d, char *buf, size_t n) {
        if (n > 0)
                buf[0] = 0;
        if (!engine_bytes_enabled(&d->engine_bytes) || !d->engine_bytes.known)
                return;
        char used[32], max[32];
        daemon_format_bytes(engine_bytes_used(&d->engine_bytes), used, sizeof used);
        daemon_format_bytes(d->engine_bytes.max_bytes, max, sizeof max);
        snprintf(buf, n, "; engine uses %s (clean at %s)", used, max);
}
