/* What the daemon keeps: the configuration it runs with, the usage history and the container stop times,
 * the metrics textfile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "fileio.h"
#include "history.h"
#include "log.h"
#include "metrics.h"
#include "records.h"
#include "stop-times.h"
#include "strv.h"

int daemon_load_config(const char *path, bool explicit_path, struct config *ret, bool reload) {
        struct config c = {};
        struct config_error err = {};
        int r = config_parse_file(path, &c, &err);
        if (r == -ENOENT && !explicit_path && !reload) {
                r = config_init_defaults(&c);
                if (r < 0)
                        return r;
                log_notice("%s does not exist; running with the built-in defaults", path);
                *ret = c;
                return 0;
        }
        if (r < 0) {
                record_config_rejected(path, &err, r, reload);
                return r;
        }
        if (c.n_tiers == 0)
                log_warning("%s: tiers is empty: cleaning is off, the daemon only measures and reports", path);
        *ret = c;
        return 0;
}

/* Says why a file of the state directory was not read (r from its load); nothing for -ENOENT. */
static void say_unread(const struct daemon *d, const char *name, const char *what, const char *afresh, int r,
                       unsigned line) {
        if (r == -EBADMSG)
                log_warning("%s/%s:%u: the %s is corrupt; starting afresh %s", d->config.state_dir, name, line, what, afresh);
        else if (r == -EPERM || r == -ELOOP) {
                struct stat st;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", d->config.state_dir, name) >= 0 && lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
                        log_warning("%s is %s, not a regular file: not read; starting afresh %s", path,
                                    fileio_type_name(st.st_mode), afresh);
        } else if (r < 0 && r != -ENOENT)
                log_warning("Cannot read the %s in %s (%s); starting afresh %s", what, d->config.state_dir, strerror(-r), afresh);
}

/* Before the history: while container-stops does not exist yet, it takes the stop times an older daemon
 * kept in the history's file, which the history's next save then drops. */
static void open_stop_times(struct daemon *d, bool dir_refused) {
        unsigned line = 0;
        int r = dir_refused ? 0 : stop_times_load(d->config.state_dir, &d->stop_times, &line);
        say_unread(d, STOP_TIMES_FILE_NAME, "container stop times", "(stopped containers are inspected)", r, line);
        if (!d->stop_times) {
                r = stop_times_new(d->config.state_dir, &d->stop_times); /* a refused directory: its saves say so */
                if (r < 0)
                        log_warning("Cannot keep the container stop times: %s", strerror(-r));
        }
}

void daemon_stores_open(struct daemon *d) {
        if (d->history)
                return;
        unsigned line = 0;
        char why[512];
        int r;
        /* A directory others can change could hold a history they wrote: it is neither read nor written. */
        bool dir_refused = d->config.state_dir && access(d->config.state_dir, F_OK) == 0 &&
                           fileio_check_dir(d->config.state_dir, why, sizeof why) == -EPERM;
        if (!d->stop_times)
                open_stop_times(d, dir_refused);
        if (dir_refused) {
                log_warning("The usage history in %s is not read: %s; refused: only root may be able to change the "
                            "state directory; starting afresh from image metadata",
                            d->config.state_dir, why);
                r = 0; /* said; d->history stays NULL */
        } else
                r = history_load_full(d->config.state_dir, &d->history, &line);
        say_unread(d, HISTORY_FILE_NAME, "usage history", "from image metadata", r, line);
        if (!d->history) {
                r = history_new(d->config.state_dir, &d->history);
                if (r < 0)
                        log_warning("Cannot keep a usage history: %s", strerror(-r));
        }
}

/* First: the history's next save drops the stop times an older daemon kept in its file. */
static void save_stop_times(struct daemon *d) {
        if (!d->stop_times || !stop_times_dirty(d->stop_times))
                return;
        char why[512];
        int r = stop_times_save(d->stop_times, why, sizeof why);
        /* Said once per change, as the history's. */
        if (r < 0 && r != d->stop_times_error)
                log_warning("Cannot save the container stop times in %s: %s%s; said once until a save works again",
                            d->config.state_dir, why[0] ? why : strerror(-r),
                            why[0] ? "; refused: only root may be able to change the state directory" : "");
        else if (r >= 0 && d->stop_times_error)
                log_notice("The container stop times in %s are saved again", d->config.state_dir);
        d->stop_times_error = r < 0 ? r : 0;
}

void daemon_stores_save(struct daemon *d) {
        save_stop_times(d);
        if (!d->history || !history_dirty(d->history))
                return;
        char why[512];
        int r = history_save_full(d->history, why, sizeof why);
        /* A full disk is exactly when this may fail: said once per change, not at every check. */
        if (r < 0 && r != d->history_error)
                log_warning("Cannot save the usage history in %s: %s%s; said once until a save works again", d->config.state_dir,
                            why[0] ? why : strerror(-r),
                            why[0] ? "; refused: only root may be able to change the state directory" : "");
        else if (r >= 0 && d->history_error)
                log_notice("The usage history in %s is saved again", d->config.state_dir);
        d->history_error = r < 0 ? r : 0;
}

void daemon_write_metrics(struct daemon *d) {
        if (!d->config.metrics_file || !*d->config.metrics_file)
                return;
        struct metrics_sample m = {
                .filesystems = d->have_usage ? &d->fs : NULL,
                .disk = &d->config.disk,
                .cleanups_total = d->stats.cleanups,
                .last_cleanup_unix = d->stats.last_cleanup_unix,
                .engine_up = d->engine_up,
                .engine_bytes = &d->engine_bytes,
                .unlisted = d->unlisted_last_usec ? &d->unlisted : NULL,
                .control = d->config.control_socket && *d->config.control_socket,
                .requests_total = d->stats.requests,
                .requests_refused_total = d->stats.requests_refused,
                .lease_bytes = lease_set_bytes(&d->leases),
        };
        memcpy(m.reclaimed_bytes_total, d->stats.reclaimed_bytes, sizeof m.reclaimed_bytes_total);
        memcpy(m.removed_objects_total, d->stats.removed_objects, sizeof m.removed_objects_total);
        memcpy(m.short_removals_total, d->stats.short_removals, sizeof m.short_removals_total);
        char why[512];
        int r = metrics_write_file(d->config.metrics_file, &m, why, sizeof why);
        /* A full disk is exactly when this may fail: said once per change, not at every check. */
        if (r < 0 && r != d->metrics_error)
                record_metrics_failed(d->config.metrics_file, r, why);
        else if (r >= 0 && d->metrics_error)
                log_notice("The metrics file %s is written again", d->config.metrics_file);
        d->metrics_error = r < 0 ? r : 0;
}

void daemon_done(struct daemon *d) {
        unlisted_report_done(&d->unlisted);
        if (d->history) {
                history_free(d->history);
                d->history = NULL;
        }
        stop_times_free(d->stop_times);
        d->stop_times = NULL;
        engine_free(d->engine);
        d->engine = NULL;
        free(d->root_dir);
        d->root_dir = NULL;
        strv_freep(&d->fs_paths);
        daemon_leases_done(d);
        config_done(&d->config);
}
