/* One check: measure; when a trigger holds, clean (lib's cleanup_run) and say what happened. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "check-decision.h"
#include "cleanup.h"
#include "daemon.h"
#include "fileio.h"
#include "engine.h"
#include "log.h"
#include "policy.h"
#include "records.h"
#include "time-util.h"
#include "unlisted-run.h"

/* Long requests (a prune may take minutes) and long cleanups must not starve systemd's watchdog. */
void daemon_watchdog_ping(void *userdata) {
        struct daemon *d = userdata;
        if (d->watchdog_usec == 0)
                return;
        uint64_t now = now_monotonic_usec();
        if (now - d->watchdog_last_usec < d->watchdog_usec / 4)
                return;
        d->watchdog_last_usec = now;
        sd_notify(0, "WATCHDOG=1");
}

/* One cleanup at a time on a host: the daemon's, --once's and --ensure-free --standalone's all hold
 * state_dir/cleanup.lock while they run. Returns the locked fd (close it to unlock), or -1 when it cannot
 * be had (then the cleanup runs anyway, as it did before there was a lock: said at debug). */
int daemon_cleanup_lock(const struct daemon *d) {
        char why[512] = "";
        if (!d->config.state_dir)
                return -1;
        (void) mkdir(d->config.state_dir, 0755);
        int fd = fileio_open_lock(d->config.state_dir, "cleanup.lock", why, sizeof why);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                /* A state directory others can change holds no lock of root's: cleanups then do not wait on
                 * another process's (the history there is refused and said the same way). */
                log_debug("Cannot lock %s/cleanup.lock: %s", d->config.state_dir, *why ? why : strerror(fd < 0 ? -fd : errno));
                if (fd >= 0)
                        closep(&fd);
                return -1;
        }
        return fd;
}

struct check_ctx {
        struct daemon *d;
        bool print_plan;
        struct policy_kept kept_normal;  /* for the critical pass's record: what the plan's tier pass left */
        struct usage usage;              /* ... and the usage right before its first removal */
        bool critical_said;
        bool max_age_only;               /* below every trigger: said only once its plan has something */
        bool started_said;
        void (*progress)(void *userdata); /* after each step (--ensure-free answers who has room) */
        void *progress_data;
};

static void on_plan(const struct policy_plan *plan, const struct usage *u, void *userdata) {
        struct check_ctx *x = userdata;
        x->kept_normal = plan->kept_normal;
        x->usage = *u;
        if (x->max_age_only && !x->started_said && plan->n_actions > 0) {
                record_max_age_started(&x->d->config, x->d->last_usage_path, u);
                x->started_said = true;
        }
        if (!x->d->config.dry_run)
                return;
        if (x->print_plan) {
                daemon_print_plan(x->d, x->d->last_usage_path, plan, u);
                if (!log_to_journal())
                        return; /* the plan on stdout says it all; not each line again on stderr */
        }
        record_plan(plan);
}

static void on_step(const struct cleanup_step *s, void *userdata) {
        struct check_ctx *x = userdata;
        daemon_watchdog_ping(x->d);
        if (s->action->rule == POLICY_RULE_CRITICAL && !x->critical_said) {
                record_critical(&x->d->config, x->d->last_usage_path, &x->usage, &x->kept_normal);
                x->critical_said = true;
        }
        x->usage = s->after;
        record_step(s);
        if (s->result == 0) {
                x->d->stats.removed_objects[s->action->tier]++;
                x->d->stats.short_removals[s->action->tier] += s->short_freed;
                x->d->stats.reclaimed_bytes[s->action->tier] += s->reclaimed_bytes;
        }
        if (x->progress)
                x->progress(x->progress_data);
}

/* Refreshes the engine when it is not known up, expires leases, measures every filesystem (a record each);
 * *ret_fs_triggered: a filesystem trigger holds. On failure *why says what failed and *engine_fault whether
 * the engine did. */
static int measure(struct daemon *d, bool *ret_fs_triggered, char *why, size_t why_size, bool *engine_fault) {
        int r;
        if (!d->root_dir || !d->engine_up) {
                r = daemon_engine_refresh(d);
                if (r < 0) {
                        daemon_engine_describe(d, r, why, why_size);
                        *engine_fault = true;
                        return r;
                }
        }
        daemon_leases_expire(d);
        d->config.leased_image_ids = d->leased_ids; /* the configuration may have been reloaded */
        size_t failed;
        r = usage_set_measure(&d->fs, &failed);
        if (r < 0) {
                snprintf(why, why_size, "cannot measure %s: %s", d->fs.fs[failed].path, strerror(-r));
                return r;
        }
        if (d->fs.n == 0) {
                snprintf(why, why_size, "cannot measure %s", d->root_dir);
                return -ENOENT;
        }
        d->have_usage = true;
        bool triggered = false;
        for (size_t i = 0; i < d->fs.n; i++) {
                bool t = policy_triggered(&d->config, &d->fs.fs[i].usage);
                record_measurement(&d->config, d->fs.fs[i].path, &d->fs.fs[i].usage, t);
                triggered = triggered || t;
        }
        *ret_fs_triggered = triggered;
        return 0;
}

static void note_neediest(struct daemon *d) {
        size_t k = policy_neediest(&d->config, &d->fs);
        d->last_usage = d->fs.fs[k].usage;
        d->last_usage_path = d->fs.fs[k].path;
}

/* Below every trigger: the episode (and the series of unlisted measurements) ends; --once says so plainly
 * (the plan's place on stdout with --dry-run). */
static void check_idle(struct daemon *d, const struct check_decision *dec, bool print_plan) {
        episode_end(&d->episode);
        daemon_unlisted_forget(d);
        for (size_t i = 0; i < d->fs.n; i++) {
                const struct usage_fs *f = &d->fs.fs[i];
                if (print_plan)
                        printf("Filesystem %s: %.1f%% used; below the high watermark (%s): nothing to do.\n", f->path,
                               f->usage.used_percent, DAEMON_PERCENT(d->config.disk.high_watermark));
                else if (d->once)
                        log_notice("%s: %.1f%% used, below the high watermark (%s) and every other trigger: nothing to do",
                                   f->path, f->usage.used_percent, DAEMON_PERCENT(d->config.disk.high_watermark));
        }
        if (dec->save_history)
                daemon_stores_save(d);
}

/* The episode's step after a cleanup (check_decide_after()). */
static void episode_follow(struct daemon *d, const struct check_followup *f, const struct cleanup_result *total) {
        switch (f->episode) {
        case CHECK_EPISODE_KEEP:
                return;
        case CHECK_EPISODE_EXHAUSTED:
                /* Starts the episode: its answer (true) is f->episode's, which knew it was not active. */
                (void) episode_exhausted(&d->episode, &total->after, time_realtime_ns(d->clock_offset_ns), total->kept.next_eligible_ns,
                                         d->config.interval_sec);
                record_exhausted(&d->config, total, d->last_usage_path, d->once ? NULL : &d->episode);
                daemon_unlisted_exhausted(d, true); /* where the bytes are, right after */
                daemon_command_start(d, total->reclaimed_bytes); /* the last resort, once per episode */
                return;
        case CHECK_EPISODE_STILL_EXHAUSTED:
                /* Doubles the back-off within the episode. */
                (void) episode_exhausted(&d->episode, &total->after, time_realtime_ns(d->clock_offset_ns), total->kept.next_eligible_ns,
                                         d->config.interval_sec);
                log_info("Every tier is still exhausted; the next plan waits for a change, %s at the latest",
                         DAEMON_DURATION(d->episode.backoff_sec));
                daemon_unlisted_exhausted(d, false); /* at most every interval */
                return;
        case CHECK_EPISODE_ENDS:
                episode_end(&d->episode);
                daemon_unlisted_forget(d);
                return;
        case _CHECK_EPISODE_STEP_MAX:
                break;
        }
}

/* A /system/df the engine failed twice (or answered malformed) leaves a cleanup without its build-cache
 * counts (the tier prunes nothing) and with image sizes from the listing: the operator hears why. */
static void say_planned_without_df(const struct cleanup_result *t) {
        if (t->df_error[0])
                log_notice("This cleanup planned without the engine's /system/df (%s): the build cache was not counted, "
                           "so it was not pruned, and image sizes came from the listing", t->df_error);
}

/* One cleanup of set by c under state_dir/cleanup.lock, with x's callbacks (eb: the engine-bytes limit it
 * measures and subtracts from, or NULL). What the engine did to it is said here: a plan made without
 * /system/df, and a failure (not a stop) noted and described in why. */
static int run_cleanup(struct daemon *d, const struct config *c, const struct usage_set *set, struct check_ctx *x,
                       struct engine_bytes *eb, bool max_age, char *why, size_t why_size, struct cleanup_result *ret) {
        struct cleanup_run_options o = {
                .history = d->history,
                .stop_times = d->stop_times,
                .cancel = d->stop,
                .on_plan = on_plan,
                .on_step = on_step,
                .userdata = x,
                .engine_bytes = eb,
                .clock_offset_ns = d->clock_offset_ns,
                .max_age = max_age,
        };
        int lock = daemon_cleanup_lock(d);
        int r = cleanup_run(d->engine, c, set, &o, ret);
        closep(&lock);
        if (r < 0)
                return r;
        say_planned_without_df(ret);
        if (ret->error < 0) {
                daemon_engine_note(d, ret->error);
                if (ret->error != -ECANCELED)
                        daemon_engine_describe(d, ret->error, why, why_size);
        }
        return 0;
}

/* A cleanup that was not a dry run, in the statistics (metrics). */
static void count_cleanup(struct daemon *d, const struct cleanup_result *t) {
        d->stats.cleanups++;
        d->stats.last_cleanup_unix = now_realtime_ns() / NSEC_PER_SEC;
        d->stats.last_reclaimed_bytes = t->reclaimed_bytes;
}

/* Plans and cleans as dec says (cleanup_run()), then does what check_decide_after() says of the result. */
static int check_clean(struct daemon *d, const struct check_decision *dec, bool print_plan, char *why, size_t why_size,
                       bool *engine_fault) {
        if (dec->triggered)
                record_cleanup_started(&d->config, d->last_usage_path, &d->last_usage);
        struct check_ctx x = { .d = d, .print_plan = print_plan, .max_age_only = !dec->triggered };
        struct cleanup_result total;
        int r = run_cleanup(d, &d->config, &d->fs, &x, &d->engine_bytes, dec->max_age, why, why_size, &total);
        if (r < 0)
                return r;
        r = total.error;
        /* The executor's statvfs failing is ours; everything else in a cleanup is the engine's. */
        if (r < 0)
                *engine_fault = total.error_stage != CLEANUP_STAGE_MEASURE;
        d->fs = total.after_set;
        note_neediest(d);

        struct check_followup f;
        check_decide_after(&(const struct check_cleanup_facts){
                                   .dry_run = d->config.dry_run,
                                   .triggered = dec->triggered,
                                   .max_age = dec->max_age,
                                   .max_age_found = x.started_said,
                                   .error = total.error,
                                   .cancelled = total.cancelled,
                                   .targets_met = total.targets_met,
                                   .still_triggered = policy_triggered_any(&d->config, &total.after_set) ||
                                                      engine_bytes_over(&d->engine_bytes),
                                   .episode_active = d->episode.active,
                           },
                           &f);
        if (f.max_age_done)
                d->max_age_last_usec = now_monotonic_usec();
        if (f.say_nothing_found)
                log_debug("Maximum-age pass: nothing is unused for longer than max_unused_age");
        if (f.say_finished)
                record_cleanup_finished(&d->config, &total, d->last_usage_path, why[0] ? why : NULL, dec->triggered);
        if (f.count_cleanup) {
                count_cleanup(d, &total);
                daemon_engine_bytes_after_cleanup(d);
        }
        episode_follow(d, &f, &total);
        if (f.save_history)
                daemon_stores_save(d);
        daemon_write_metrics(d);
        /* A cleanup's snapshots (listings of every container and image) are freed by now, but glibc keeps
         * the heap they grew: give it back, or the idle daemon keeps the peak (2.1 MiB RssAnon after 400
         * removals, against a goal of 2). */
        malloc_trim(0);
        return r < 0 ? r : 0;
}

/* One check: measure, ask check_decide(), do what it says. On failure *why says what failed and
 * *engine_fault whether the engine did. */
static int check(struct daemon *d, bool print_plan, char *why, size_t why_size, bool *engine_fault) {
        bool fs_triggered;
        int r = measure(d, &fs_triggered, why, why_size, engine_fault);
        if (r < 0)
                return r;
        bool engine_bytes_over = daemon_engine_bytes_check(d); /* disk.max_engine_bytes; asks /system/df when due */
        note_neediest(d);

        struct check_decision dec;
        check_decide(&(const struct check_facts){
                             .fs_triggered = fs_triggered,
                             .engine_bytes_over = engine_bytes_over,
                             .max_age_configured = check_max_age_configured(&d->config),
                             .max_age_last_usec = d->max_age_last_usec,
                             .now_usec = now_monotonic_usec(),
                             .interval_sec = d->config.interval_sec,
                             .now_ns = time_realtime_ns(d->clock_offset_ns),
                             .once = d->once,
                             .dry_run = d->config.dry_run,
                             .print_plan = print_plan,
                             .episode = &d->episode,
                             .usage = &d->last_usage,
                     },
                     &dec);
        switch (dec.verdict) {
        case CHECK_VERDICT_IDLE:
                check_idle(d, &dec, print_plan);
                break;
        case CHECK_VERDICT_WAIT:
                log_debug("Every tier is still exhausted; not planning again before something changes");
                daemon_unlisted_exhausted(d, false); /* at most every interval */
                break;
        case CHECK_VERDICT_CLEAN:
                if (dec.replanning)
                        log_info("Planning again while every tier was exhausted: %s", episode_replan_to_string(dec.replan));
                return check_clean(d, &dec, print_plan, why, why_size, engine_fault);
        case _CHECK_VERDICT_MAX:
                break;
        }
        daemon_write_metrics(d);
        return 0;
}

int daemon_check_and_clean(struct daemon *d, bool print_plan) {
        char why[sizeof d->check_error] = "";
        bool engine_fault = false;
        int r = check(d, print_plan, why, sizeof why, &engine_fault);
        d->check_failed_in_engine = r < 0 && engine_fault;
        if (r >= 0 || r == -ECANCELED) {
                if (d->check_error[0])
                        record_check_recovered(engine_host(d->engine));
                d->check_error[0] = 0;
                return r;
        }
        /* An unreachable engine is said by the reachability records, once per change. */
        if (!d->engine_up)
                return r;
        if (!why[0])
                snprintf(why, sizeof why, "%s", strerror(-r));
        if (!streq(why, d->check_error)) {
                const struct engine_error *err = engine_last_error(d->engine);
                char next[96];
                if (d->once)
                        snprintf(next, sizeof next, "giving up (--once)");
                else
                        snprintf(next, sizeof next, "trying again at the next check (every %s)",
                                 DAEMON_DURATION(d->config.interval_sec));
                record_check_failed(engine_host(d->engine), why, engine_fault ? err->request : NULL,
                                    engine_fault && r == -EREMOTEIO ? err->http_status : 0, next);
                snprintf(d->check_error, sizeof d->check_error, "%s", why);
        }
        return r;
}

int daemon_clean_to_free(struct daemon *d, const struct usage_set *set, uint64_t free_bytes, void (*progress)(void *userdata),
                         void *progress_data, struct cleanup_result *ret) {
        struct config c;
        daemon_leases_expire(d);
        d->config.leased_image_ids = d->leased_ids;
        policy_free_target_config(&d->config, free_bytes, &c);
        size_t k = policy_neediest(&c, set);
        const char *path = set->fs[k].path;
        char want[32], fb[32];
        daemon_format_bytes(free_bytes, want, sizeof want);
        daemon_format_bytes(set->fs[k].usage.free_bytes, fb, sizeof fb);
        log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_START, (struct log_field[]){ { "DOCKERCLEAN_PATH", path } }, 1,
                       "Cleanup started%s for --ensure-free: %s has %s free, %s asked for", c.dry_run ? " (dry run)" : "", path,
                       fb, want);
        struct check_ctx x = { .d = d, .progress = progress, .progress_data = progress_data };
        struct cleanup_result total;
        char why[sizeof d->check_error] = "";
        int r = run_cleanup(d, &c, set, &x, NULL, false, why, sizeof why, &total);
        if (r < 0)
                return r;
        k = policy_neediest(&c, &total.after_set);
        record_cleanup_finished(&c, &total, total.after_set.fs[k].path, why[0] ? why : NULL, true);
        if (!c.dry_run) {
                count_cleanup(d, &total);
                daemon_stores_save(d);
        }
        daemon_write_metrics(d);
        *ret = total;
        return 0;
}
