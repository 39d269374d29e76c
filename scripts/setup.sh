#!/usr/bin/env bash
# Installs the system tools the test suite uses, from Debian's packages, so a fresh clone
# (and CI) needs nothing installed by hand: Debian's chromium (the real-browser test, driven by
# playwright-core), kcat (the Kafka-protocol tests) and etcd-server + etcd-client (cluster mode:
# libs/cluster's tests start real etcd processes). Idempotent: does nothing when they are
# present, which is why `npm test` can run it first. Uses sudo when not run as root. apt waits up
# to 10 minutes for the dpkg lock, since other jobs on the machine may be installing too.
set -euo pipefail
PACKAGES=(chromium kcat etcd-server etcd-client)
missing=()
for pkg in "${PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: the tests need these Debian packages: ${missing[*]} (no apt-get here: install them by hand)" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: run as root (or install sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "setup: installing ${missing[*]} from Debian's packages"
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
