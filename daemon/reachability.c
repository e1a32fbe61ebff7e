/* The engine client and whether the engine can be reached, said once per change of state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "records.h"

int daemon_engine_setup(struct daemon *d) {
        struct engine_options o = {
                .host = d->config.engine_socket,
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
                record_engine_down(engine_host(d->engine), d->engine_error);
        d->engine_up = false;
        d->engine_state_known = true;
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
        free(d->root_dir);
        d->root_dir = TAKE_PTR(info.docker_root_dir);
        engine_info_done(&info);
        return 0;
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
