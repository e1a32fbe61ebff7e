/* How figures and objects are said in logs, the plan and the report. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "docker-ref.h"
#include "format-util.h"
#include "macro.h"

void daemon_format_bytes(uint64_t b, char *buf, size_t n) {
        format_bytes(b, buf, n);
}

const char *daemon_action_noun(enum policy_action_kind k) {
        switch (k) {
        case POLICY_ACTION_REMOVE_CONTAINER:
                return "container";
        case POLICY_ACTION_REMOVE_IMAGE:
                return "image";
        case POLICY_ACTION_PRUNE_BUILD_CACHE:
                return "build cache";
        case POLICY_ACTION_REMOVE_VOLUME:
                return "volume";
        case POLICY_ACTION_REMOVE_NETWORK:
                return "network";
        case _POLICY_ACTION_KIND_MAX:
                break;
        }
        return "object";
}

const char *daemon_action_name(const struct policy_action *a, char buf[static DAEMON_ACTION_NAME_MAX]) {
        if (a->name)
                return a->name;
        if (a->kind == POLICY_ACTION_PRUNE_BUILD_CACHE)
                return "records unused for min_age"; /* after the noun "build cache" */
        if (!a->id)
                return "?";
        const char *hex = docker_ref_id_hex(a->id);
        snprintf(buf, DAEMON_ACTION_NAME_MAX, "<untagged %.12s>", hex);
        return buf;
}

