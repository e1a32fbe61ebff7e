# The operator's flow on a host booted with systemd: a minimal Debian 12 root (debootstrap, cached by
# tests/system/debian-root.sh outside the tree) booted with systemd-nspawn, Debian's dockerd running
# as docker.service with /var/lib/docker on a small loop filesystem, node_exporter beside it. Inside:
# install the .deb with apt, `systemctl enable --now dockerclean`, edit /etc/dockerclean.conf in place
# (lower watermarks, a tier that can take the images, the shipped metrics_file example), `systemctl
# reload`: the daemon cleans and node_exporter serves its metrics; a broken edit: reload fails, the
# daemon keeps running; `journalctl -u` has the structured fields, `journalctl -x` the catalog text;
# a restart keeps the usage history; an upgrade keeps the edited conffile and restarts with it; `apt
# remove` stops the service, `apt purge` removes the state. The steps are in
# tests/system/operator-flow.bash (shared with tests/e2e/operator_flow_trixie.sh, Debian 13).
#
# Needs root, debootstrap and systemd-nspawn (scripts/install-deps installs them) and the Debian
# mirror for the first build of the root. Outside CI a missing prerequisite skips (77); with CI=true
# it fails. Everything it starts (the container, its mounts, the loop device) lives in a private mount
# namespace and is torn down at exit.
set -u
. "$(dirname "$0")/common.bash"
suite=bookworm
. "${DOCKERCLEAN_SOURCE_DIR:?}/tests/system/operator-flow.bash"
