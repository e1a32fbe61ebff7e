#!/bin/bash
# GitLab Runner, custom executor: cleanup_exec = "/path/to/gitlab-custom-cleanup.sh": ends the job's lease.
set -uo pipefail
state="${TMPDIR:-/tmp}/dockerclean-lease-${CUSTOM_ENV_CI_JOB_ID:?}"
[ -s "$state" ] || exit 0
"${DOCKERCLEAND:-dockercleand}" --control-socket "${DOCKERCLEAN_SOCKET:-/run/dockerclean/control.socket}" --release "$(cat "$state")"
rc=$?
rm -f "$state"
exit $rc
