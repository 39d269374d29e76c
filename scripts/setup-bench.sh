#!/usr/bin/env bash
# Installs the peers the benchmarks compare Spool with, from Debian's packages: redis-server
# (Redis Streams) and nats-server (NATS JetStream). Optional: a bench skips a peer that is not
# installed and says how to install it. Idempotent; uses sudo when not run as root.
set -euo pipefail
PACKAGES=(redis-server nats-server kcat)
missing=()
for pkg in "${PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
