/* records.h: every record the daemon writes to the journal, with its MESSAGE_ID, priority and fields, in
 * one place (the README's "What is logged" table in code; systemd/dockerclean.catalog explains each
 * MESSAGE_ID). Plain log_*() calls elsewhere are for messages without an ID of their own. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cleanup.h"
#include "config.h"
#include "policy.h"
#include "usage.h"

#define RECORD_MID_STARTED         "3733a79fbf944965a1a810026bb34244"
#define RECORD_MID_CLEANUP_START   "6df2c895cce6421b8dfcbd68ed87e9e6"
#define RECORD_MID_REQUEST         "3f0c8a5e9b1d4c27a6e2d8f41b7c9a03"
#define RECORD_MID_REMOVED         "c7b9ea3d18b34a68bee697813b22146c"
#define RECORD_MID_CLEANUP_DONE    "0df3a46d76df44c1a3c984f92c4e4c45"
#define RECORD_MID_EXHAUSTED       "01989c3678f34ed3b299ffb37c236af5"
#define RECORD_MID_COMMAND         "5c1be13e602d4e998a69cb61e3781fde"
#define RECORD_MID_ENGINE_DOWN     "57aafb9fb9c24ce980554d9e40282cd8"
#define RECORD_MID_ENGINE_UP       "50cd910f80224bc48b7ea86a7f27afc8"
#define RECORD_MID_CONFIG_RELOADED "ad877b508a53466888d63380f14b4bf0"
#define RECORD_MID_CONFIG_REJECTED "990224cd017a41eb9afdb07b4a0ff789"
#define RECORD_MID_PLAN            "ebde2ec0ba5e4b25aad017d4a4ec0590"
#define RECORD_MID_CHECK_FAILED    "a8672f7d475e405fa7cde968a44e7794"
#define RECORD_MID_CHECK_RECOVERED "bd06ea804beb40ce81ebaf8e676199e5"
#define RECORD_MID_METRICS_FAILED  "2aefbadcdb24426f9ffc92179df8422e"
#define RECORD_MID_CRITICAL        "ec71da855eda4e2b800667d16081c480"

struct config_error;

/* started (info): version, engine, interval and thresholds. */
void record_started(const struct config *c, const char *engine_host);
/* measurement of one filesystem (debug, notice when a trigger holds): DOCKERCLEAN_PATH, _USED_PERCENT,
 * _FREE_BYTES. */
void record_measurement(const struct config *c, const char *path, const struct usage *u, bool triggered);
/* the engine's own bytes, disk.max_engine_bytes (debug, notice when they reached it): DOCKERCLEAN_ENGINE_BYTES,
 * _ENGINE_MAX_BYTES, _ENGINE_TARGET_BYTES and the parts (_ENGINE_IMAGES_BYTES, _CONTAINERS_, _VOLUMES_,
 * _BUILD_CACHE_). */
struct engine_bytes;
void record_engine_bytes(const struct engine_bytes *b, bool over);
/* cleanup started (notice): DOCKERCLEAN_PATH (the filesystem that needs the most), _USED_PERCENT, _FREE_BYTES. */
void record_cleanup_started(const struct config *c, const char *path, const struct usage *u);
/* object removed (info): DOCKERCLEAN_TIER, _OBJECT, _NAME, _BYTES, _USED_PERCENT, _FREE_BYTES, _RULE
 * ("tier", "critical", "max-age"; the message says the reason for the last two); skips at debug; a failed
 * removal (warning) with the engine's message. */
void record_step(const struct cleanup_step *s);
/* maximum-age cleanup started below every trigger (notice, the MESSAGE_ID of cleanup started,
 * DOCKERCLEAN_RULE=max-age): as cleanup started. */
void record_max_age_started(const struct config *c, const char *path, const struct usage *u);
/* critical pass (notice), right before its first removal: the tiers' own min_age left the targets unmet
 * above disk.critical_watermark. DOCKERCLEAN_PATH, _USED_PERCENT, _FREE_BYTES (u: before the pass),
 * _CRITICAL_MIN_AGE, and what the normal pass left: _KEPT_IN_USE, _PROTECTED, _NEWEST, _TOO_YOUNG,
 * _OVER_BUDGET. */
void record_critical(const struct config *c, const char *path, const struct usage *u, const struct policy_kept *left);
/* dry run: one "would remove" (info, DOCKERCLEAN_DRY_RUN=1) per planned action up to the target. */
void record_plan(const struct policy_plan *plan);
/* cleanup finished (notice): DOCKERCLEAN_RECLAIMED_BYTES, _USED_PERCENT, _FREE_BYTES; when it ended on an
 * error (why != NULL), "could not run" or "stopped early" with why, and DOCKERCLEAN_ERROR. */
/* The end of a cleanup: "Cleanup finished" when it met its targets (or was interrupted, or was no cleanup
 * under pressure: a maximum-age pass); a WARNING "Cleanup ended above the low watermark" when a triggered
 * cleanup (triggered) stopped with the targets unmet, with why it stopped and what kept the rest; why: a
 * failure (then "could not run" / "stopped early"). */
void record_cleanup_finished(const struct config *c, const struct cleanup_result *total, const char *path,
                             const char *why, bool triggered);
/* still above a trigger, every tier exhausted (warning, once per episode): as cleanup finished, plus
 * DOCKERCLEAN_KEPT_IN_USE, _PROTECTED, _TOO_YOUNG, _OVER_BUDGET, _REFUSED; with the episode (NULL for
 * --once), when the daemon plans again. */
struct episode;
void record_exhausted(const struct config *c, const struct cleanup_result *total, const char *path,
                      const struct episode *episode);
/* exhausted_command started (notice, no MESSAGE_ID of its own): DOCKERCLEAN_COMMAND and the figures it
 * gets. How it ended, one MESSAGE_ID: exited with status 0 (notice); failed, killed at the timeout or by
 * a signal, could not be started, refused (someone else than root can change it), killed because the
 * daemon stops (warning). DOCKERCLEAN_COMMAND, _EXIT_STATUS, _SIGNAL, _TIMED_OUT=1, _OUTPUT (its first
 * lines), _ERROR. */
struct lastresort_facts;
struct lastresort_output;
void record_command_started(const char *cmd, int pid, uint64_t timeout_sec, const struct lastresort_facts *f, bool path_passed);
void record_command_finished(const char *cmd, int how, int status, bool timed_out, uint64_t timeout_sec, uint64_t usec,
                             const struct lastresort_output *o);
void record_command_failed_to_start(const char *cmd, int r);
void record_command_refused(const char *cmd, int r, const char *why);
void record_command_stopped(const char *cmd, uint64_t usec, const struct lastresort_output *o);
/* engine unreachable (warning) / back (notice): DOCKERCLEAN_ENGINE. */
void record_engine_down(const char *host, const char *why, bool retrying);
void record_engine_up(const char *host);
/* a check failed for another reason than an unreachable engine (warning, once per change of what
 * failed): DOCKERCLEAN_ENGINE, DOCKERCLEAN_ERROR, DOCKERCLEAN_REQUEST, DOCKERCLEAN_HTTP_STATUS when the
 * engine answered; next says what the daemon does now. */
void record_check_failed(const char *engine_host, const char *why, const char *request, long http_status,
                         const char *next);
/* checks work again after a failed one (notice). */
void record_check_recovered(const char *engine_host);
/* metrics_file could not be written (warning, once until a write works again): DOCKERCLEAN_METRICS_FILE,
 * DOCKERCLEAN_ERROR. */
void record_metrics_failed(const char *path, int r, const char *why);
/* configuration reloaded (info) / rejected (err): DOCKERCLEAN_CONFIG, DOCKERCLEAN_CONFIG_LINE. */
void record_config_reloaded(const char *path);
void record_config_rejected(const char *path, const struct config_error *err, int r, bool reload);
