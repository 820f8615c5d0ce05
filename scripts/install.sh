#!/usr/bin/env bash
# Installs callvault on an appliance from a built checkout (run `make build` first), as root.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dest=/opt/callvault
# ffmpeg serves ?format=mp3|opus; without it those answer 503 and only WAV plays.
if ! command -v ffmpeg >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg
fi
install -d -m 0755 "$dest"
cp -a "$src/bin" "$src/dist" "$src/native" "$src/node_modules" "$src/package.json" "$src/README.md" "$src/firmware-config" "$dest/"
install -m 0644 "$src/systemd/callvault.service" /etc/systemd/system/callvault.service
install -m 0644 "$src/systemd/callvault.sysusers.conf" /usr/lib/sysusers.d/callvault.conf
install -m 0644 "$src/systemd/callvault.tmpfiles.conf" /usr/lib/tmpfiles.d/callvault.conf
systemd-sysusers /usr/lib/sysusers.d/callvault.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/callvault.conf
if [ ! -f /etc/callvault/master.key ]; then
  # A fresh master key, readable by root only; systemd hands it to the daemon as a credential.
  umask 077
  printf '1 %s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" > /etc/callvault/master.key
fi
[ -f /etc/callvault/callvault.yaml ] || echo "now write /etc/callvault/callvault.yaml (see $dest/firmware-config/) and run: callvaultctl --config /etc/callvault/callvault.yaml config check"
systemctl daemon-reload
echo "installed; start with: systemctl enable --now callvault"
