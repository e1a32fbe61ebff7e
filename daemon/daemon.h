/* daemon.h: the program around lib/: state shared by the main loop, the check-and-clean step and the
 * command-line modes. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "usage.h"

struct engine;
struct history;

/* Exit codes (sysexits.h). */
#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69
#define EXIT_CONFIG 78

struct daemon_stats {
        uint64_t cleanups;
        uint64_t reclaimed_bytes[_CONFIG_TIER_MAX];
        uint64_t removed_objects[_CONFIG_TIER_MAX];
        int64_t last_cleanup_unix;
        uint64_t last_reclaimed_bytes;
};

struct daemon {
        struct config config;
        const char *config_path;
        bool config_explicit;          /* --config given: a missing file is an error */
        bool force_dry_run;            /* --dry-run */
        int log_level_override;        /* --log-level, or -1 */

        struct engine *engine;
        char *root_dir;                /* DockerRootDir, from GET /info */
        bool engine_up;
        bool engine_state_known;       /* engine_up has been logged once */
        char engine_error[1024];

        struct history *history;
        struct usage last_usage;
        bool have_usage;
        struct daemon_stats stats;

        volatile sig_atomic_t *stop;   /* raised by SIGTERM/SIGINT; aborts engine requests in flight */
        uint64_t watchdog_usec;        /* WATCHDOG_USEC, 0 = off */
        uint64_t watchdog_last_usec;   /* CLOCK_MONOTONIC of the last WATCHDOG=1 */
};

/* Sends WATCHDOG=1 when half the watchdog period has passed since the last one (userdata: the daemon). */
void daemon_watchdog_ping(void *userdata);

/* Loads the configuration the command line names; logs what is wrong and returns -errno
 * (the caller exits EXIT_CONFIG). A missing default file means all defaults, with one notice. With
 * reload, failures are logged as "configuration rejected" (the running one stays). */
int daemon_load_config(const char *path, bool explicit_path, struct config *ret, bool reload);

/* (Re)creates the engine client from the configuration. */
int daemon_engine_setup(struct daemon *d);
/* Asks the engine for DockerRootDir; logs a change of reachability once. */
int daemon_engine_refresh(struct daemon *d);

/* One check: measure; if a trigger holds, plan and clean (or only plan with dry_run).
 * print_plan also prints the plan on stdout (--once --dry-run). Returns 0, or -errno when the engine
 * could not be used. */
int daemon_check_and_clean(struct daemon *d, bool print_plan);

/* --report: a docker-system-df-like table plus the filesystem figures and the thresholds. */
int daemon_report(struct daemon *d);

/* Loads the usage history from state_dir (or starts an empty one); logs what is wrong with it. */
void daemon_history_open(struct daemon *d);

void daemon_done(struct daemon *d);

/* "1.5 GiB" (binary, for logs) or "1.611GB" (decimal, as docker system df prints). */
void daemon_format_bytes(uint64_t b, bool decimal, char *buf, size_t n);

/* Writes metrics_file (when set) from the current state; logs a failure at debug level only, since a
 * full disk is exactly when it may fail. */
void daemon_write_metrics(const struct daemon *d);
