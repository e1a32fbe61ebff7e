# The CI hook examples in docs/hooks/, run the way each runner runs them against the real daemon: the
# GitHub Actions runner's job-started/-completed scripts (bash -e, the workspace as cwd, RUNNER_TEMP),
# the Buildkite agent's environment and pre-exit hooks (sourced by the bootstrap's bash, in the
# checkout directory), GitLab Runner's custom executor prepare/cleanup (CUSTOM_ENV_* variables,
# SYSTEM_FAILURE_EXIT_CODE). Each takes a lease and has the room made; a job that needs more than the
# filesystem holds fails (a non-zero exit, which fails the job); the completing hook ends the lease.
set -u
. "$(dirname "$0")/common.bash"
fx_reset
hooks=$DOCKERCLEAN_SOURCE_DIR/docs/hooks
fx_image hook/img:1 0 || fx_fail "build hook/img"
mkdir -m 755 "$scratch/run"
sock=$scratch/run/control.socket
e2e_config "$scratch/dc.conf" 99 98 '{ type = "unused-images"; min_age = "0s"; }' \
        "control = { socket = \"$sock\"; }; interval = \"1h\";"
"$DOCKERCLEAND" --config "$scratch/dc.conf" --log-target journal &
dpid=$!
for i in $(seq 1 300); do [ -S "$sock" ] && break; sleep 0.1; done
leases() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["leases"]))' "$scratch/state/leases.json" 2>/dev/null || echo 0; }
export DOCKERCLEAND DOCKERCLEAN_SOCKET=$sock

# GitHub Actions: the runner runs a .sh hook as `bash -e {0}` in the workspace.
mkdir -p "$scratch/gh/work" "$scratch/gh/temp"
gh() { (cd "$scratch/gh/work" && env RUNNER_TEMP="$scratch/gh/temp" GITHUB_WORKSPACE="$scratch/gh/work" GITHUB_JOB=build \
        GITHUB_REPOSITORY=acme/app DOCKERCLEAN_LEASE=hook/img:1 "$@"); }
gh env DOCKERCLEAN_NEED=1M bash -e "$hooks/github-actions-job-started.sh"
fx_check "GitHub job-started: exit 0 when the room is there" test $? = 0
fx_check "... a lease taken and kept for the completed hook" eval '[ "$(leases)" = 1 ] && [ -s "$scratch/gh/temp/dockerclean-lease" ]'
gh bash -e "$hooks/github-actions-job-completed.sh"
fx_check "GitHub job-completed: exit 0, lease ended" eval '[ $? = 0 ] && [ "$(leases)" = 0 ]'
gh env DOCKERCLEAN_NEED=1000T bash -e "$hooks/github-actions-job-started.sh" 2>"$scratch/gh.err"
rc=$?
echo "GitHub, too much: rc $rc: $(tail -1 "$scratch/gh.err")"
fx_check "GitHub job-started: a job that can never have its room fails (non-zero)" test "$rc" != 0
fx_check "... and leaves no lease behind" test "$(leases)" = 0

# Buildkite: the bootstrap sources hooks/environment in bash (in the checkout dir), then pre-exit.
mkdir -p "$scratch/bk/checkout"
bk() {
        (cd "$scratch/bk/checkout" && env BUILDKITE_JOB_ID=0190-job BUILDKITE_BUILD_CHECKOUT_PATH="$scratch/bk/checkout" \
                DOCKERCLEAN_LEASE=hook/img:1 DOCKERCLEAN_NEED="$1" \
                bash -c '. "$1" && echo "lease $DOCKERCLEAN_LEASE_ID" && . "$2"' bootstrap "$hooks/buildkite-environment" "$2")
}
out=$(bk 1M "$hooks/buildkite-pre-exit")
rc=$?
fx_check "Buildkite environment: exit 0 and a lease" eval '[ $rc = 0 ] && grep -Eq "^lease [0-9a-f]{16}$" <<<"$out"'
fx_check "... pre-exit ended it" test "$(leases)" = 0
bk 1000T "$hooks/buildkite-pre-exit" >/dev/null 2>&1
fx_check "Buildkite environment: a job that can never have its room fails" test $? != 0
fx_check "... and leaves no lease behind" test "$(leases)" = 0

# GitLab Runner, custom executor: prepare_exec with the job's variables as CUSTOM_ENV_*.
gl() { (cd "$scratch" && env SYSTEM_FAILURE_EXIT_CODE=2 BUILD_FAILURE_EXIT_CODE=1 TMPDIR="$scratch" CUSTOM_ENV_CI_JOB_ID=4711 \
        CUSTOM_ENV_DOCKERCLEAN_LEASE=hook/img:1 "$@"); }
gl env CUSTOM_ENV_DOCKERCLEAN_NEED=1M "$hooks/gitlab-custom-prepare.sh"
fx_check "GitLab prepare: exit 0 and a lease" eval '[ $? = 0 ] && [ "$(leases)" = 1 ]'
gl "$hooks/gitlab-custom-cleanup.sh"
fx_check "GitLab cleanup: lease ended" eval '[ $? = 0 ] && [ "$(leases)" = 0 ]'
gl env CUSTOM_ENV_DOCKERCLEAN_NEED=1000T "$hooks/gitlab-custom-prepare.sh" 2>/dev/null
fx_check "GitLab prepare: never -> SYSTEM_FAILURE_EXIT_CODE" test $? = 2
fx_check "... and leaves no lease behind" test "$(leases)" = 0

kill "$dpid"; wait "$dpid"
fx_done
