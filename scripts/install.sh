#!/usr/bin/env bash
# Installs callvault on this machine from a checkout, as root: builds the Debian package and
# installs it with apt-get (which pulls nodejs and ffmpeg when missing). Upgrades the same way;
# remove with `apt-get remove callvault` (see README, "Install, upgrade, remove").
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >/dev/null
deb=$(packaging/build-deb.sh)
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb"
