# The operator's flow of tests/e2e/operator_flow.sh in a booted Debian 13 (systemd 257, docker.io 26):
# the Debian 12 package does not install there (it depends on libconfig9; Debian 13 has libconfig11),
# so the root also has the build dependencies and the package is built inside it from the tree; built
# against systemd 257 it ships the Type=notify-reload drop-in, and the unit runs with that type.
# Debian 13's systemd does not boot on cgroup v1: the container gets the unified hierarchy.
set -u
. "$(dirname "$0")/common.bash"
suite=trixie
. "${DOCKERCLEAN_SOURCE_DIR:?}/tests/system/operator-flow.bash"
