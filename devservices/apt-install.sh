#!/usr/bin/env bash
# Installs Debian packages, as root or through sudo, waiting for a package lock another install holds.
set -euo pipefail
echo "Installing Debian's $* (apt-get)…" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq"
$apt update >&2
$apt install -y "$@" >&2
