/* The engine client and whether the engine can be reached, said once per change of state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "history.h"
#include "log.h"
#include "macro.h"
#include "records.h"
#include "strv.h"

int daemon_engine_setup(struct daemon *d) {
        struct engine_options o = {
                .host = d->config.engine_socket,
                .socket_owner = d->config.engine_socket_owner,
                .timeout_sec = d->config.engine_timeout_sec,
                .cancel = d->stop,
                .progress = daemon_watchdog_ping,
                .progress_userdata = d,
        };
        struct engine *e;
        int r = engine_new(&o, &e);
        if (r < 0) {
                log_error("Cannot set up the engine client for %s: %s",
                          d->config.engine_socket ? d->config.engine_socket : "(default)", strerror(-r));
                return r;
        }
        engine_free(d->engine);
        d->engine = e;
        free(d->root_dir);
        d->root_dir = NULL;
        d->engine_state_known = false;
        return 0;
}

static const char *unreachable_reason(int r) {
        switch (r) {
        case -ENOENT:
                return "no socket";
        case -ECONNREFUSED:
                return "connection refused";
        case -EACCES:
                return "permission denied";
        case -ETIMEDOUT:
                return "timed out";
        default:
                return NULL;
        }
}

void daemon_engine_note(struct daemon *d, int r) {
        bool up = r >= 0 || !(engine_error_is_unreachable(r) || r == -ETIMEDOUT || r == -EPROTONOSUPPORT);
        if (up) {
                if (!d->engine_up && d->engine_state_known)
                        record_engine_up(engine_host(d->engine));
                d->engine_up = true;
                d->engine_state_known = true;
                d->engine_error[0] = 0;
                return;
        }
        const struct engine_error *err = engine_last_error(d->engine);
        const char *why = unreachable_reason(r);
        /* The client's message already says which (no socket, refused, permission denied) and where. */
        snprintf(d->engine_error, sizeof d->engine_error, "%s",
                 err->message[0] ? err->message : why ? why : strerror(-r));
        if (d->engine_up || !d->engine_state_known)
                record_engine_down(engine_host(d->engine), d->engine_error, /* retrying= */ !d->one_shot);
        d->engine_up = false;
        d->engine_state_known = true;
}

/* Image ids differ between the graph driver's store and containerd's: a history kept under the other one
 * names images that are not these, so it is rebuilt from the seed rules, and that is said once. */
static void note_store(struct daemon *d) {
        const char *store = d->containerd_store ? "containerd" : "graphdriver";
        if (!d->history)
                return;
        const char *old = history_store(d->history);
        if (*old && !streq(old, store)) {
                log_notice("The engine's image store changed from %s to %s, and image ids with it: the usage history "
                           "is rebuilt from image metadata",
                           old, store);
                struct history *h;
                int r = history_new(d->config.state_dir, &h);
                if (r < 0) {
                        log_warning("Cannot start a new usage history: %s", strerror(-r));
                        return;
                }
                history_free(d->history);
                d->history = h;
        }
        (void) !history_set_store(d->history, store); /* -EINVAL only for a malformed name, and these are not */
}

int daemon_engine_refresh(struct daemon *d) {
        struct engine_info info;
        int r = engine_info(d->engine, &info);
        daemon_engine_note(d, r);
        if (r < 0)
                return r;
        if (!info.docker_root_dir || !*info.docker_root_dir) {
                engine_info_done(&info);
                log_error("The engine did not say where its data is (DockerRootDir)");
                return -EBADMSG;
        }
        bool changed = !d->root_dir || !streq(d->root_dir, info.docker_root_dir) || d->containerd_store != info.containerd_store;
        free(d->root_dir);
        d->root_dir = TAKE_PTR(info.docker_root_dir);
        d->containerd_store = info.containerd_store;
        engine_info_done(&info);
        if (changed || d->fs.n == 0)
                daemon_filesystems_setup(d);
        note_store(d);
        return 0;
}

/* With the containerd image store, images and container layers live under containerd's root. */
#define CONTAINERD_ROOT_DEFAULT "/var/lib/containerd"

void daemon_filesystems_setup(struct daemon *d) {
        strv_freep(&d->fs_paths);
        d->fs = (struct usage_set){};
        d->have_usage = false;
        if (!d->root_dir)
                return;
        char *const *extra = d->config.disk.paths;
        static char *const containerd_default[] = { (char *) CONTAINERD_ROOT_DEFAULT, NULL };
        if (strv_isempty(extra) && d->containerd_store)
                extra = containerd_default;
        _cleanup_strv_free_ char **paths = calloc(strv_length(extra) + 2, sizeof(char *));
        if (!paths || !(paths[0] = strdup(d->root_dir))) {
                log_error("Out of memory");
                return;
        }
        for (size_t i = 0; extra && extra[i]; i++)
                if (!(paths[i + 1] = strdup(extra[i]))) {
                        log_error("Out of memory");
                        return;
                }
        for (size_t i = 0; paths[i]; i++) {
                int r = usage_set_add(&d->fs, paths[i]);
                if (r < 0 && extra == containerd_default)
                        log_warning("The engine keeps images in the containerd image store, but %s cannot be measured (%s); "
                                    "list containerd's root in disk.paths",
                                    paths[i], strerror(-r));
                else if (r < 0)
                        log_warning("Cannot measure %s (%s); it is left out", paths[i], strerror(-r));
                else if (r > 0 && i > 0)
                        log_info("Measuring %s too (%s)", paths[i],
                                 extra == containerd_default ? "containerd's root: the engine uses the containerd image store"
                                                             : "disk.paths");
        }
        d->fs_paths = TAKE_PTR(paths);
}

void daemon_engine_describe(const struct daemon *d, int r, char *buf, size_t n) {
        const struct engine_error *err = engine_last_error(d->engine);
        const char *msg = err->message[0] ? err->message : strerror(-r);
        if (r == -EREMOTEIO && err->http_status > 0)
                snprintf(buf, n, "%s answered HTTP %ld: %s", err->request[0] ? err->request : "the engine",
                         err->http_status, msg);
        else if (err->request[0] && !strstr(msg, err->request))
                snprintf(buf, n, "%s: %s", err->request, msg);
        else
                snprintf(buf, n, "%s", msg);
}
