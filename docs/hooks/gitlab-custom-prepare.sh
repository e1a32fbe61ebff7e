#!/bin/bash
# GitLab Runner, custom executor: prepare_exec = "/path/to/gitlab-custom-prepare.sh" in [runners.custom]
# of config.toml. The runner passes the job's variables as CUSTOM_ENV_*; an exit with
# $SYSTEM_FAILURE_EXIT_CODE fails the job as a system failure before its script runs.
# Job variables: DOCKERCLEAN_NEED (default 20G), DOCKERCLEAN_LEASE (IMAGE[,IMAGE...], optional).
set -uo pipefail
dc=${DOCKERCLEAND:-dockercleand}
sock=${DOCKERCLEAN_SOCKET:-/run/dockerclean/control.socket}
state="${TMPDIR:-/tmp}/dockerclean-lease-${CUSTOM_ENV_CI_JOB_ID:?the custom executor sets CUSTOM_ENV_CI_JOB_ID}"
if [ -n "${CUSTOM_ENV_DOCKERCLEAN_LEASE:-}" ]; then
        "$dc" --control-socket "$sock" --lease "$CUSTOM_ENV_DOCKERCLEAN_LEASE" --for "${CUSTOM_ENV_DOCKERCLEAN_LEASE_FOR:-6h}" >"$state" ||
                exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
fi
echo "dockerclean: job ${CUSTOM_ENV_CI_JOB_ID} needs ${CUSTOM_ENV_DOCKERCLEAN_NEED:-20G} free"
if ! "$dc" --control-socket "$sock" --ensure-free "${CUSTOM_ENV_DOCKERCLEAN_NEED:-20G}" --timeout "${DOCKERCLEAN_TIMEOUT:-15m}"; then
        # The job does not run: its lease goes now.
        [ -s "$state" ] && "$dc" --control-socket "$sock" --release "$(cat "$state")"
        rm -f "$state"
        exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
fi
