/* daemon.h: the program around lib/: state shared by the main loop, the check-and-clean step and the
 * command-line modes. */
#pragma once

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "engine-bytes.h"
#include "episode.h"
#include "lastresort.h"
#include "lease.h"
#include "policy.h"
#include "unlisted.h"
#include "usage.h"

struct engine;
struct history;
struct stop_times;
struct cleanup_result;

/* Exit codes (sysexits.h). */
#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69
#define EXIT_CONFIG 78
#define EXIT_TEMPFAIL 75               /* --ensure-free: the room cannot be made now */
#define EXIT_NOPERM 77                 /* --ensure-free: the caller may not ask */
#define EXIT_NEVER 65                  /* --ensure-free: more than the filesystem can ever have free */

struct daemon_stats {
        uint64_t cleanups;
        uint64_t reclaimed_bytes[_CONFIG_TIER_MAX];
        uint64_t removed_objects[_CONFIG_TIER_MAX];
        uint64_t short_removals[_CONFIG_TIER_MAX];
        int64_t last_cleanup_unix;
        uint64_t last_reclaimed_bytes;
        uint64_t requests;             /* control socket connections */
        uint64_t requests_refused;     /* ... of callers that may not ask */
};

/* A running exhausted_command (daemon/lastresort-run.c); pid 0 = none, and then no field is meaningful. */
struct daemon_command {
        pid_t pid;                     /* also its process group and session; the command stays "running"
                                        * after this leader exits while processes it started are left */
        int pidfd, out_fd, timer_fd;   /* its exit, its stdout and stderr, its timeout; -1 once closed
                                        * (pidfd: once the leader is reaped) */
        bool leader_gone;              /* the leader was reaped and its record written */
        char *argv0;
        uint64_t started_usec;         /* CLOCK_MONOTONIC */
        uint64_t timeout_sec;
        bool timed_out;                /* killed at the timeout */
        struct lastresort_output output;
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
        char check_error[1024];        /* why the last check failed (other than an unreachable engine); "" = it worked */
        int metrics_error;             /* how the last metrics_file write failed, 0 = it worked (said once
                                        * per change) */
        int history_error;             /* how the last history save failed, 0 = it worked (likewise) */
        int stop_times_error;          /* how the last stop-times save failed, 0 = it worked (likewise) */
        bool once;                     /* --once: a failure ends the run */
        bool one_shot;                 /* --once or --report: an unreachable engine ends the run, never retried */
        bool check_failed_in_engine;   /* the last check failed because of the engine (--once exits 69) */

        struct history *history;
        struct stop_times *stop_times; /* when stopped containers stopped (lib/stop-times.h) */
        char **fs_paths;               /* what to measure: DockerRootDir, then containerd's root or disk.paths */
        struct usage_set fs;           /* those filesystems (paths borrowed from fs_paths), last measured */
        bool containerd_store;         /* the engine uses the containerd image store (from /info) */
        struct usage last_usage;       /* of the filesystem that needs the most (policy_neediest()) */
        const char *last_usage_path;   /* ... and its path */
        bool have_usage;
        struct daemon_stats stats;
        struct episode episode;        /* every tier exhausted while a trigger holds: plan only when due */
        struct daemon_command command; /* exhausted_command, while it runs */
        struct engine_bytes engine_bytes; /* disk.max_engine_bytes: the engine's own bytes */
        bool engine_bytes_failing;     /* the last /system/df for it failed (said once) */
        uint64_t max_age_last_usec;    /* CLOCK_MONOTONIC of the last maximum-age pass; 0 = none yet */
        struct unlisted_report unlisted; /* where the unlisted bytes were, last measured while exhausted (unlisted.c) */
        uint64_t unlisted_last_usec;   /* CLOCK_MONOTONIC of that measurement; 0 = none */
        struct lease_set leases;       /* image leases (leases.c) */
        char **leased_ids;             /* their image ids: every cleanup's config.leased_image_ids */

        atomic_int *stop;              /* raised by SIGTERM/SIGINT; aborts engine requests in flight */
        uint64_t watchdog_usec;        /* WATCHDOG_USEC, 0 = off */
        uint64_t watchdog_last_usec;   /* CLOCK_MONOTONIC of the last WATCHDOG=1 */
};

/* check.c */
/* Sends WATCHDOG=1 when a quarter of the watchdog period has passed since the last one (userdata: the
 * daemon). */
void daemon_watchdog_ping(void *userdata);
/* One check: measure; if a trigger holds, clean (or only plan with dry_run). print_plan also prints the
 * plan on stdout (--once --dry-run). Returns 0, or -errno when the check failed; a failure is said once
 * per change of state (an unreachable engine by the reachability records, anything else here). */
int daemon_check_and_clean(struct daemon *d, bool print_plan);
/* Takes state_dir/cleanup.lock (waits for it): one cleanup at a time on a host. Returns the fd to close,
 * or -1 when it cannot be had. */
int daemon_cleanup_lock(const struct daemon *d);
/* A cleanup for --ensure-free: the policy of the configuration with the one target "free >= free_bytes" on
 * every filesystem of set (policy_free_target_config()); progress is called after each step. Logs it
 * like any cleanup; *ret is set when it ran (result.error says why it stopped early). */
int daemon_clean_to_free(struct daemon *d, const struct usage_set *set, uint64_t free_bytes, void (*progress)(void *userdata),
                         void *progress_data, struct cleanup_result *ret);


/* lastresort-run.c: runs lib/lastresort.h's command */
/* An exhausted episode started: runs exhausted_command (when set, and not a dry run) with the figures of
 * d->last_usage and d->last_usage_path, unless one still runs. Never waits for it; says what happens. */
void daemon_command_start(struct daemon *d, uint64_t reclaimed_bytes);
bool daemon_command_running(const struct daemon *d);
/* What to poll (POLLIN) while it runs, else -1 each: its exit, its output, its timeout. */
void daemon_command_fds(const struct daemon *d, int *ret_exit_fd, int *ret_output_fd, int *ret_timer_fd);
/* Handles what poll() said about those three: reads output, kills it at the timeout (its whole session),
 * reaps it and logs how it ended. */
void daemon_command_dispatch(struct daemon *d, short exit_revents, short output_revents, short timer_revents);
/* --once: waits until it ended or *d->stop (then it is killed). */
void daemon_command_wait(struct daemon *d);
/* The daemon stops: kills it (its session), waits for it a moment, says so. */
void daemon_command_stop(struct daemon *d);

/* engine-bytes-run.c */
/* disk.max_engine_bytes: takes the configuration, asks /system/df when due (a failure is said once and
 * keeps the last figures), logs the figures; returns whether the engine's own bytes reached disk.max_engine_bytes. */
bool daemon_engine_bytes_check(struct daemon *d);
/* After a cleanup: what the engine's own bytes are now by the subtracted figures (info). */
void daemon_engine_bytes_after_cleanup(struct daemon *d);
/* For STATUS=: "; engine uses 41.2 GiB (clean at 50 GiB)", or "" when off or not measured yet. */
void daemon_engine_bytes_status(const struct daemon *d, char *buf, size_t n);

/* reachability.c */
/* (Re)creates the engine client from the configuration. */
int daemon_engine_setup(struct daemon *d);
/* Asks the engine for DockerRootDir; logs a change of reachability once. */
int daemon_engine_refresh(struct daemon *d);
/* What failed in the engine call that returned r, in one line: the request, the HTTP status and the
 * engine's own message, or the decoder's reason and where in the body. */
void daemon_engine_describe(const struct daemon *d, int r, char *buf, size_t n);
/* The filesystems to measure, from DockerRootDir, the store and disk.paths; logs what cannot be measured. */
void daemon_filesystems_setup(struct daemon *d);
/* Notes the result r of an engine request: a change between reachable and unreachable is logged once,
 * and engine_error says why it is unreachable. */
void daemon_engine_note(struct daemon *d, int r);

/* requests.c: the control socket (--ensure-free). NULL when control.socket is "". */
struct pollfd;
struct requests;
#define REQUESTS_CLIENTS_MAX 16
#define REQUESTS_FDS_MAX (3 + REQUESTS_CLIENTS_MAX)
/* Binds control.socket (a socket left there goes); *ret stays NULL when it is off. Logs a failure. */
int requests_open(struct daemon *d, struct requests **ret);
/* Answers whoever still waits ("the daemon is stopping"), closes and unlinks the socket. */
void requests_free(struct requests *q);
/* Fills p (REQUESTS_FDS_MAX slots) with what to poll; returns how many (0 when q is NULL). */
size_t requests_fds(const struct requests *q, struct pollfd *p);
/* The poll() timeout the requests being read need (ms), or -1. */
int requests_timeout_ms(const struct requests *q);
/* Handles what poll() said about the slots requests_fds() filled: accepts, reads, answers, and runs the
 * one cleanup the waiting requests need (synchronously: never two cleanups at once). Returns whether a
 * check is due (a lease ended). */
bool requests_dispatch(struct requests *q, const struct pollfd *p);

/* ensure.c */
/* --ensure-free: sends the request, waits up to timeout_sec for the answer, prints it; returns the exit
 * status (0, EXIT_TEMPFAIL, EXIT_NEVER, EXIT_NOPERM, EXIT_UNAVAILABLE when no daemon answers). */
int daemon_ensure_free(const char *socket_path, uint64_t bytes, char *path, uint64_t timeout_sec);
/* --ensure-free --standalone when no daemon answers: the same cleanup, run here (d's configuration, engine,
 * history and leases set up), holding the same lock. Same exit statuses. */
int daemon_ensure_free_standalone(struct daemon *d, uint64_t bytes, const char *path);
/* --lease: prints the lease id on stdout; --release. Exit statuses as above (64: no such image or lease). */
int daemon_lease(const char *socket_path, char **images, uint64_t seconds, uint64_t timeout_sec);
int daemon_release(const char *socket_path, const char *id, uint64_t timeout_sec);

/* leases.c */
/* Loads state_dir/leases.json (a broken file is said and leaves none), ends what ended meanwhile. */
void daemon_leases_open(struct daemon *d);
void daemon_leases_done(struct daemon *d);
/* Ends the leases whose time is up (said, saved); returns whether one ended. */
bool daemon_leases_expire(struct daemon *d);
/* Resolves images (references or ids) on the engine and takes a lease for seconds; ret_id gets its id
 * (LEASE_ID_LEN + 1). On failure why says what (no such image) and -errno is returned. */
int daemon_lease_take(struct daemon *d, char *const *images, uint64_t seconds, uint32_t uid, char *ret_id, char *why,
                      size_t why_size);
/* Ends a lease now: -ENOENT when there is none, -EPERM when uid is neither root nor its taker. */
int daemon_lease_release(struct daemon *d, const char *id, uint32_t uid);
/* --report: the leases in state_dir. */
void daemon_leases_print(const struct daemon *d);

/* state.c */
/* Loads the configuration the command line names; logs what is wrong and returns -errno
 * (the caller exits EXIT_CONFIG). A missing default file means all defaults, with one notice. With
 * reload, failures are logged as "configuration rejected" (the running one stays). */
int daemon_load_config(const char *path, bool explicit_path, struct config *ret, bool reload);
/* Loads the container stop times, then the usage history, from state_dir (or starts empty ones); logs
 * what is wrong with them. */
void daemon_stores_open(struct daemon *d);
/* Saves the container stop times, then the usage history, when they changed; logs a failure. */
void daemon_stores_save(struct daemon *d);
/* Writes metrics_file (when set) from the current state; a failure is said once, at warning, until a
 * write works again. */
void daemon_write_metrics(struct daemon *d);
void daemon_done(struct daemon *d);

/* report.c */
/* --report: a docker-system-df-like table plus the filesystem figures and the thresholds. */
int daemon_report(struct daemon *d);
/* The plan on stdout, as --once --dry-run shows it. */
void daemon_print_plan(const struct daemon *d, const char *path, const struct policy_plan *plan, const struct usage *u);

/* format.c */
/* A threshold as the configuration spells it ("85%", "0.5%"), valid to the end of the statement. */
#define DAEMON_PERCENT(p) config_format_percent((p), (char[CONFIG_VALUE_STRING_MAX]){ 0 })
/* A duration likewise ("1h30m"). */
#define DAEMON_DURATION(sec) config_format_duration((sec), (char[CONFIG_VALUE_STRING_MAX]){ 0 })
/* "1.5 GiB": binary units, in logs, the plan and --report alike. */
void daemon_format_bytes(uint64_t b, char *buf, size_t n);
/* "container", "image", "build cache", "volume", "network". */
const char *daemon_action_noun(enum policy_action_kind k);
/* What to call an action's object: its name or first tag; a dangling image "<untagged SHORTID>". */
#define DAEMON_ACTION_NAME_MAX 32
const char *daemon_action_name(const struct policy_action *a, char buf[static DAEMON_ACTION_NAME_MAX]);
