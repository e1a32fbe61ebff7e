/* dockercleand: keeps the filesystem holding Docker's data from filling up. */
#include <errno.h>
#include <sys/prctl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "macro.h"

static volatile sig_atomic_t stop_requested;

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
               "      --log-level LEVEL   debug, info, notice, warning (warn) or err (error); overrides log_level\n"
               "      --log-target TARGET auto (journal under systemd), journal or console\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n"
               "\n"
               "Exit status: 0 ok, 1 internal error (a filesystem cannot be measured, out of memory),\n"
               "64 usage, 69 engine unavailable (--once, --report), 78 configuration.\n",
               DOCKERCLEAN_CONFIG_PATH);
}

enum {
        ARG_ONCE = 0x100,
        ARG_CHECK_CONFIG,
        ARG_REPORT,
        ARG_LOG_LEVEL,
        ARG_LOG_TARGET,
        ARG_VERSION,
};

struct args {
        const char *config_path;
        bool config_explicit;
        bool once, dry_run, check_config, report;
        int log_level;                 /* -1 = from the configuration */
        enum log_target log_target;
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
                {},
        };
        struct args a = { .config_path = DOCKERCLEAN_CONFIG_PATH, .log_level = -1, .log_target = LOG_TARGET_AUTO };
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
        if ((int) a.once + (int) a.check_config + (int) a.report > 1) {
                fprintf(stderr, "dockercleand: --once, --check-config and --report exclude each other\n");
                return -EINVAL;
        }
        *ret = a;
        return 1;
}

static void on_stop_signal(int sig) {
        stop_requested = 1;
        loop_signal_wakeup(sig);
}

int main(int argc, char **argv) {
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
        if (daemon_load_config(d.config_path, d.config_explicit, &d.config, false) < 0)
                return EXIT_CONFIG;
        if (a.dry_run)
                d.config.dry_run = true;
        log_set_max_priority(a.log_level >= 0 ? a.log_level : d.config.log_level);

        if (a.check_config) {
                if (config_print(&d.config, stdout) < 0)
                        return EXIT_FAILURE;
                return EXIT_SUCCESS;
        }

        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = daemon_engine_setup(&d);
        if (r < 0)
                return EXIT_FAILURE;

        if (a.report) {
                r = daemon_report(&d);
                return r >= 0 ? EXIT_SUCCESS : engine_error_is_unreachable(r) || r == -ETIMEDOUT || r == -EREMOTEIO || r == -EBADMSG ? EXIT_UNAVAILABLE : EXIT_FAILURE;
        }
        /* What exhausted_command leaves behind becomes ours, so it can be killed (daemon/lastresort.c). */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_warning("Cannot become a child subreaper (%s): processes exhausted_command leaves behind may outlive it",
                            strerror(errno));
        daemon_history_open(&d);
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
