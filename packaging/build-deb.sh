#!/usr/bin/env bash
# Builds dist-pkg/callvault_<version>_<arch>.deb from a built checkout (`make package` runs
# `make build` first). Production node_modules come from the local npm cache (npm ci
# --omit=dev --offline), staged once per package-lock.json in .pkg-cache/. Owners are root
# (dpkg-deb --root-owner-group); the callvault account owns its directories at postinst.
# CALLVAULT_PKG_VERSION overrides the version (an upgrade test builds a "newer" package).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
version=${CALLVAULT_PKG_VERSION:-$(node -p "require('./package.json').version")}
arch=$(dpkg --print-architecture)
out=${CALLVAULT_PKG_OUT:-$src/dist-pkg}
for f in dist/main.js native/build/rtp-reader.node native/build/fs-sync.node native/build/sd-notify.node; do
  [ -e "$f" ] || { echo "build-deb: $f missing: run make build" >&2; exit 1; }
done

# Production dependencies, reused while package-lock.json is unchanged.
lock=$(sha256sum package-lock.json | cut -c1-16)
cache="$src/.pkg-cache/node_modules-$lock"
if [ ! -d "$cache/node_modules" ]; then
  rm -rf "$src/.pkg-cache" && mkdir -p "$cache.tmp"
  cp package.json package-lock.json "$cache.tmp/"
  (cd "$cache.tmp" && npm ci --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
  mv "$cache.tmp" "$cache"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
app="$root/opt/callvault"
install -d -m 0755 "$app/bin" "$app/native/build" "$root/usr/bin" "$root/usr/lib/systemd/system" \
  "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d" "$root/usr/share/callvault/examples" \
  "$root/usr/share/doc/callvault" "$root/etc/callvault" "$root/DEBIAN"
# Compiled JavaScript without source maps; bin/ as in the checkout; the native addons.
cp -r dist "$app/dist"
find "$app/dist" -type f ! -name '*.js' -delete
install -m 0755 bin/callvault.js bin/callvaultctl.js "$app/bin/"
install -m 0644 native/build/*.node "$app/native/build/"
install -m 0644 README.md "$app/"
# The web console (static HTML, JS modules, CSS): api/console-static.ts finds it at
# dist/../agent/console, as in the checkout.
install -d -m 0755 "$app/agent"
cp -r agent/console "$app/agent/console"
# --version answers the package's version (the same unless CALLVAULT_PKG_VERSION is set).
node -e 'const p = require("./package.json"); p.version = process.argv[1]; process.stdout.write(JSON.stringify(p, null, 2) + "\n")' \
  "$version" > "$app/package.json"
chmod 0644 "$app/package.json"
cp -a "$cache/node_modules" "$app/node_modules"
install -m 0755 packaging/callvault packaging/callvaultctl "$root/usr/bin/"
install -m 0644 systemd/callvault.service "$root/usr/lib/systemd/system/callvault.service"
install -m 0644 systemd/callvault.sysusers.conf "$root/usr/lib/sysusers.d/callvault.conf"
install -m 0644 systemd/callvault.tmpfiles.conf "$root/usr/lib/tmpfiles.d/callvault.conf"
install -m 0644 firmware-config/*.yaml "$root/usr/share/callvault/examples/"
install -m 0644 README.md "$root/usr/share/doc/callvault/README.md"
install -m 0644 packaging/callvault.yaml "$root/etc/callvault/callvault.yaml"
# Modes are the package's, whatever the umask of the build: directories 0755, files 0644,
# programs 0755 (owners come from --root-owner-group).
find "$root" -type d -exec chmod 0755 {} +
# a+X: a file its owner may run (some npm packages ship 0744 scripts) is 0755, the rest 0644.
find "$root" -type f -exec chmod go-w,a+rX {} +
chmod 0750 "$root/etc/callvault"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" packaging/debian/control.in \
  > "$root/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"

mkdir -p "$out"
deb="$out/callvault_${version}_${arch}.deb"
# zstd is dpkg-deb's default on newer releases; xz keeps the package installable on any Debian.
dpkg-deb -Zxz -z1 --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
