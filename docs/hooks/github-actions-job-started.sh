#!/bin/bash
# GitHub Actions runner: ACTIONS_RUNNER_HOOK_JOB_STARTED=/path/to/github-actions-job-started.sh in the
# runner's .env. The runner runs it with bash before the job, in the job's workspace; a failing exit
# fails the job before any step runs.
#   DOCKERCLEAN_NEED          free bytes the job needs (default 20G)
#   DOCKERCLEAN_LEASE         images the job uses, IMAGE[,IMAGE...] (optional): kept while it runs
#   DOCKERCLEAN_LEASE_FOR     the longest a job may run (default 6h: GitHub's own limit)
#   DOCKERCLEAN_SOCKET        the daemon's control socket (default /run/dockerclean/control.socket)
#   DOCKERCLEAND              the program (default dockercleand)
set -euo pipefail
dc=${DOCKERCLEAND:-dockercleand}
sock=${DOCKERCLEAN_SOCKET:-/run/dockerclean/control.socket}
state="${RUNNER_TEMP:?RUNNER_TEMP is set by the runner}/dockerclean-lease"
if [ -n "${DOCKERCLEAN_LEASE:-}" ]; then
        "$dc" --control-socket "$sock" --lease "$DOCKERCLEAN_LEASE" --for "${DOCKERCLEAN_LEASE_FOR:-6h}" >"$state"
fi
echo "dockerclean: job ${GITHUB_JOB:-?} of ${GITHUB_REPOSITORY:-?} needs ${DOCKERCLEAN_NEED:-20G} free"
rc=0
"$dc" --control-socket "$sock" --ensure-free "${DOCKERCLEAN_NEED:-20G}" --timeout "${DOCKERCLEAN_TIMEOUT:-15m}" || rc=$?
# A job that does not start needs no lease (the completed hook may not run).
if [ "$rc" != 0 ] && [ -s "$state" ]; then
        "$dc" --control-socket "$sock" --release "$(cat "$state")" || true
        rm -f "$state"
fi
exit "$rc"
