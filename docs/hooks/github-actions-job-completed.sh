#!/bin/bash
# GitHub Actions runner: ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/path/to/github-actions-job-completed.sh.
# Ends the job's image lease (if the started hook took one): the daemon may clean its images again.
set -euo pipefail
state="${RUNNER_TEMP:?RUNNER_TEMP is set by the runner}/dockerclean-lease"
[ -s "$state" ] || exit 0
"${DOCKERCLEAND:-dockercleand}" --control-socket "${DOCKERCLEAN_SOCKET:-/run/dockerclean/control.socket}" --release "$(cat "$state")"
rm -f "$state"
