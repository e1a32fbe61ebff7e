/* dockercleand: keeps the filesystem holding Docker's data from filling up. */
#include <assert.h>
#include <errno.h>
#include <sys/prctl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "strv.h"

/* Atomics, not volatile sig_atomic_t: the flag is also read by other threads (the engine client's requests
 * in flight); a lock-free atomic is as safe to set from a signal handler. */
static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free to be set by a signal handler");
static atomic_int stop_requested;

static void help(void) {
        printf("Usage: dockercleand [OPTIONS]\n"
               "\n"
               "Keeps the filesystems that hold the engine's data from filling up: when one passes the high\n"
               "watermark, removes stopped containers, dangling images, build cache and least recently used\n"
               "images, in the configured order, until usage is below the low watermark.\n"
               "\n"
               "  -c, --config FILE       configuration file (default %s)\n"
               "      --once              check once, clean if needed, and exit\n"
               "  -n, --dry-run           plan and log, remove nothing\n"
               "      --check-config      validate the configuration, print it with defaults filled in\n"
               "      --report            print what Docker uses, each filesystem and the thresholds\n"
               "      --ensure-free SIZE  ask the running daemon to make SIZE free now (by the policy) and wait\n"
               "      --path PATH         ... on the filesystem holding PATH only (default: every engine filesystem)\n"
               "      --timeout DURATION  ... waiting at most this long (default 1h)\n"
               "      --lease IMAGE[,IMAGE...] --for DURATION\n"
               "                          those images count as in use until then (prints the lease id)\n"
               "      --release ID        ends a lease now\n"
               "      --standalone        with --ensure-free: when no daemon answers, run the cleanup here\n"
               "      --control-socket PATH  the daemon's control socket (default: control.socket)\n"
               "      --log-level LEVEL   debug, info, notice, warning (warn) or err (error); overrides log_level\n"
               "      --log-target TARGET auto (journal under systemd), journal or console\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n"
               "\n"
               "Exit status: 0 ok, 1 internal error (a filesystem cannot be measured, out of memory),\n"
               "64 usage, 69 engine unavailable (--once, --report), 78 configuration.\n"
               "--ensure-free: 0 the room is there, 75 not now (the reason says what kept the rest), 65 never (more\n"
               "than the filesystem holds), 77 refused (not root nor control.group), 69 no daemon answers.\n",
               DOCKERCLEAN_CONFIG_PATH);
}

enum {
        ARG_ONCE = 0x100,
        ARG_CHECK_CONFIG,
        ARG_REPORT,
        ARG_LOG_LEVEL,
        ARG_LOG_TARGET,
        ARG_VERSION,
        ARG_ENSURE_FREE,
        ARG_PATH,
        ARG_TIMEOUT,
        ARG_CONTROL_SOCKET,
        ARG_LEASE,
        ARG_FOR,
        ARG_RELEASE,
        ARG_STANDALONE,
};

struct args {
        const char *config_path;
        bool config_explicit;
        bool once, dry_run, check_config, report;
        int log_level;                 /* -1 = from the configuration */
        enum log_target log_target;
        bool ensure_free;
        uint64_t ensure_bytes;
        const char *ensure_path;       /* --path, or NULL */
        uint64_t ensure_timeout_sec;
        const char *control_socket;    /* --control-socket, or NULL */
        const char *lease;             /* --lease IMAGE[,IMAGE...] */
        uint64_t lease_sec;            /* --for */
        const char *release;           /* --release ID */
        bool standalone;               /* --standalone */
};

/* Returns 1 to go on, 0 to exit 0 (help, version), -EINVAL for a usage error (already printed). */
static int parse_args(int argc, char **argv, struct args *ret) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "once", no_argument, NULL, ARG_ONCE },
                { "dry-run", no_argument, NULL, 'n' },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "report", no_argument, NULL, ARG_REPORT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "ensure-free", required_argument, NULL, ARG_ENSURE_FREE },
                { "path", required_argument, NULL, ARG_PATH },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "control-socket", required_argument, NULL, ARG_CONTROL_SOCKET },
                { "lease", required_argument, NULL, ARG_LEASE },
                { "for", required_argument, NULL, ARG_FOR },
                { "release", required_argument, NULL, ARG_RELEASE },
                { "standalone", no_argument, NULL, ARG_STANDALONE },
                {},
        };
        struct args a = { .config_path = DOCKERCLEAN_CONFIG_PATH, .log_level = -1, .log_target = LOG_TARGET_AUTO,
                          .ensure_timeout_sec = 3600 };
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:nh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a.config_path = optarg;
                        a.config_explicit = true;
                        break;
                case ARG_ONCE:
                        a.once = true;
                        break;
                case 'n':
                        a.dry_run = true;
                        break;
                case ARG_CHECK_CONFIG:
                        a.check_config = true;
                        break;
                case ARG_REPORT:
                        a.report = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = config_log_level_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr, "dockercleand: --log-level: unknown level '%s' (debug, info, notice, warning, err)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        a.log_level = r;
                        break;
                case ARG_LOG_TARGET:
                        r = log_target_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr, "dockercleand: --log-target: unknown target '%s' (auto, journal, console)\n", optarg);
                                return -EINVAL;
                        }
                        a.log_target = r;
                        break;
                case ARG_ENSURE_FREE:
                        if (config_parse_size(optarg, &a.ensure_bytes) < 0 || a.ensure_bytes == 0) {
                                fprintf(stderr, "dockercleand: --ensure-free: '%s' is not a size (like 20G)\n", optarg);
                                return -EINVAL;
                        }
                        a.ensure_free = true;
                        break;
                case ARG_PATH:
                        a.ensure_path = optarg;
                        break;
                case ARG_TIMEOUT:
                        if (config_parse_duration(optarg, &a.ensure_timeout_sec) < 0 || a.ensure_timeout_sec == 0) {
                                fprintf(stderr, "dockercleand: --timeout: '%s' is not a duration (like 10m)\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_CONTROL_SOCKET:
                        a.control_socket = optarg;
                        break;
                case ARG_LEASE:
                        a.lease = optarg;
                        break;
                case ARG_FOR:
                        if (config_parse_duration(optarg, &a.lease_sec) < 0 || a.lease_sec == 0) {
                                fprintf(stderr, "dockercleand: --for: '%s' is not a duration (like 2h)\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_RELEASE:
                        a.release = optarg;
                        break;
                case ARG_STANDALONE:
                        a.standalone = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("dockercleand %s\n", DOCKERCLEAN_VERSION);
                        return 0;
                case ':':
                        fprintf(stderr, "dockercleand: option '%s' needs an argument (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                default:
                        fprintf(stderr, "dockercleand: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "dockercleand: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        if ((int) a.once + (int) a.check_config + (int) a.report + (int) a.ensure_free > 1) {
                fprintf(stderr, "dockercleand: --once, --check-config, --report and --ensure-free exclude each other\n");
                return -EINVAL;
        }
        if (!!a.lease != (a.lease_sec > 0)) {
                fprintf(stderr, "dockercleand: --lease and --for go together\n");
                return -EINVAL;
        }
        if ((a.lease || a.release) && (a.once || a.check_config || a.report)) {
                fprintf(stderr, "dockercleand: --lease and --release exclude --once, --check-config and --report\n");
                return -EINVAL;
        }
        if (a.standalone && (!a.ensure_free || a.lease || a.release)) {
                fprintf(stderr, "dockercleand: --standalone goes with --ensure-free alone\n");
                return -EINVAL;
        }
        if (!a.ensure_free && a.ensure_path) {
                fprintf(stderr, "dockercleand: --path goes with --ensure-free\n");
                return -EINVAL;
        }
        *ret = a;
        return 1;
}

/* "a,b,,c" -> { "a", "b", "c" }. */
static int split_list(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = strv_new_empty();
        _cleanup_free_ char *copy = strdup(s);
        if (!l || !copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int r = strv_push_dup(&l, t);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static void on_stop_signal(int sig) {
        stop_requested = 1;
        loop_signal_wakeup(sig);
}

/* SIGTERM and SIGINT raise the stop flag; SIGPIPE is ignored (a closed stdout is an error, not a death). */
static int setup_signals(void) {
        struct sigaction sa = { .sa_handler = on_stop_signal }, ign = { .sa_handler = SIG_IGN };
        sigemptyset(&sa.sa_mask);
        sigemptyset(&ign.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGPIPE, &ign, NULL) < 0) {
                int r = negative_errno();
                log_error("Cannot handle SIGTERM, SIGINT and SIGPIPE: %s", strerror(-r));
                return r;
        }
        return 0;
}

static int run(int argc, char **argv) {
        struct args a;
        int r = parse_args(argc, argv, &a);
        if (r <= 0)
                return r == 0 ? EXIT_SUCCESS : EXIT_USAGE;

        /* Log to the console while the configuration is read; its log_level applies afterwards. */
        log_setup(a.log_target, a.log_level >= 0 ? a.log_level : LOG_INFO);

        _cleanup_(daemon_done) struct daemon d = {
                .config_path = a.config_path,
                .config_explicit = a.config_explicit,
                .force_dry_run = a.dry_run,
                .log_level_override = a.log_level,
                .stop = &stop_requested,
                .one_shot = a.once || a.report,
        };
        _cleanup_free_ char *abs = NULL;
        if (a.ensure_free && a.ensure_path && !(abs = realpath(a.ensure_path, NULL))) {
                fprintf(stderr, "dockercleand: --path %s: %m\n", a.ensure_path);
                return EXIT_USAGE;
        }
        /* A runner's user may not be able to check the whole configuration (disk.paths under root-only
         * directories): with --control-socket it is not read at all. */
        bool client = a.ensure_free || a.lease || a.release;
        if (!(client && a.control_socket && !a.standalone) && daemon_load_config(d.config_path, d.config_explicit, &d.config, false) < 0)
                return EXIT_CONFIG;
        if (client) {
                const char *sock = a.control_socket ?: d.config.control_socket;
                if (a.release && (r = daemon_release(sock, a.release, a.ensure_timeout_sec)) != 0)
                        return r;
                if (a.lease) {
                        _cleanup_strv_free_ char **images = NULL;
                        if (split_list(a.lease, &images) < 0 || strv_isempty(images)) {
                                fprintf(stderr, "dockercleand: --lease: expected IMAGE[,IMAGE...]\n");
                                return EXIT_USAGE;
                        }
                        if ((r = daemon_lease(sock, images, a.lease_sec, a.ensure_timeout_sec)) != 0)
                                return r;
                }
                if (a.ensure_free) {
                        r = daemon_ensure_free(sock, a.ensure_bytes, abs, a.ensure_timeout_sec);
                        if (r != EXIT_UNAVAILABLE || !a.standalone)
                                return r;
                        fprintf(stderr, "dockercleand: running the cleanup here (--standalone)\n");
                        if (daemon_engine_setup(&d) < 0)
                                return EXIT_FAILURE;
                        d.once = true;
                        daemon_stores_open(&d);
                        daemon_leases_open(&d);
                        return daemon_ensure_free_standalone(&d, a.ensure_bytes, abs);
                }
                return EXIT_SUCCESS;
        }
        if (a.dry_run)
                d.config.dry_run = true;
        log_set_max_priority(a.log_level >= 0 ? a.log_level : d.config.log_level);

        if (a.control_socket) {
                free(d.config.control_socket);
                d.config.control_socket = strdup(a.control_socket);
        }
        if (a.check_config) {
                if (config_print(&d.config, stdout) < 0)
                        return EXIT_FAILURE;
                return EXIT_SUCCESS;
        }

        if (setup_signals() < 0)
                return EXIT_FAILURE;

        r = daemon_engine_setup(&d);
        if (r < 0)
                return EXIT_FAILURE;

        if (a.report) {
                r = daemon_report(&d);
                return r >= 0 ? EXIT_SUCCESS : engine_error_is_unreachable(r) || r == -ETIMEDOUT || r == -EREMOTEIO || r == -EBADMSG ? EXIT_UNAVAILABLE : EXIT_FAILURE;
        }
        /* What exhausted_command leaves behind becomes ours, so it can be killed (daemon/lastresort-run.c). */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_warning("Cannot become a child subreaper (%s): processes exhausted_command leaves behind may outlive it",
                            strerror(errno));
        daemon_stores_open(&d);
        daemon_leases_open(&d);
        if (a.once) {
                d.once = true;
                r = daemon_check_and_clean(&d, /* print_plan= */ d.config.dry_run);
                daemon_command_wait(&d);
                if (r >= 0 || r == -ECANCELED)
                        return EXIT_SUCCESS;
                return d.check_failed_in_engine ? EXIT_UNAVAILABLE : EXIT_FAILURE;
        }
        return loop_run(&d);
}

/* What was printed (--check-config, --report, a dry run's plan, --help) must have reached stdout: a full
 * disk or a closed pipe is said and fails the command (exit 1), as coreutils' close_stdout does. */
static int flush_stdout(int status) {
        if (fflush(stdout) == 0 && !ferror(stdout))
                return status;
        int r = errno > 0 ? errno : EIO;
        fprintf(stderr, "dockercleand: cannot write to standard output: %s\n", strerror(r));
        return status == EXIT_SUCCESS ? EXIT_FAILURE : status;
}

int main(int argc, char **argv) {
        return flush_stdout(run(argc, argv));
}
