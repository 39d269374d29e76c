#!/usr/bin/env bash
# Installs the system tools the test suite uses, from Debian's packages, so a fresh clone
# (and CI) needs nothing installed by hand. Idempotent: skips what is already present.
# Runs as root (CI and the dev machines do); add packages to PACKAGES as tests come to need them.
set -euo pipefail
PACKAGES=(chromium kcat)
missing=()
for pkg in "${PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
