#!/usr/bin/env bash
# Installs what the test suite needs besides the npm dependencies, so a fresh clone (and CI) needs
# nothing installed by hand:
#   - from Debian's packages: chromium (the real-browser test, driven by playwright-core), kcat and
#     python3-confluent-kafka (Kafka clients on librdkafka 2.0.2), etcd-server + etcd-client (cluster
#     mode: libs/cluster's tests start real etcd processes), redis-server (webhook delivery: BullMQ's
#     queues; the tests start real redis-server processes), openssl (the webhook tests make a
#     self-signed certificate for their HTTPS receiver; the TLS tests their CA and certificates), and the
#     -dev libraries and tools to build @confluentinc/kafka-javascript, python3-kafka (kafka-python's
#     SCRAM client judges libs/security's SCRAM server), and python3-requests + python3-jsonschema (what
#     confluent_kafka's schema_registry module needs: its JSON serializers judge the schema registry),
#     iproute2 (`ip netns`: the network-partition test builds its own namespaces; skipped where not permitted);
#   - test/clients: @confluentinc/kafka-javascript (Confluent's Node client, librdkafka 2.15) and
#     @platformatic/kafka (its Admin and protocol functions judge the client-quota and SCRAM-credential
#     APIs), in their own package directory so that they stay out of the server's dependencies. Its install script
#     downloads a prebuilt binary when it can, and otherwise builds the librdkafka sources it ships;
#     CKJS_LINKING=dynamic makes that build link Debian's zlib, OpenSSL, zstd, lz4, SASL and curl
#     instead of downloading their sources (about 2 minutes on 2 cores).
# Idempotent and quick when everything is there (`npm test` runs it first): packages already
# installed are skipped, and test/clients is rebuilt only when its lockfile or Node's ABI changed.
# Uses sudo when not run as root.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PACKAGES=(chromium kcat python3-confluent-kafka etcd-server etcd-client python3-kafka redis-server openssl python3-requests python3-jsonschema iproute2
  build-essential python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev)

install_packages() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: the tests need these Debian packages: ${missing[*]} (no apt-get here: install them by hand)" >&2
    exit 1
  fi
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: run as root (or install sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  echo "setup: installing ${missing[*]} from Debian's packages"
  # Other jobs on the machine may be installing too: wait up to 10 minutes for the dpkg lock.
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

build_test_clients() {
  local dir="$ROOT/test/clients"
  local binary="$dir/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node"
  local stamp="$dir/node_modules/.spool-setup-stamp"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"
  if [ -f "$binary" ] && [ -f "$dir/node_modules/@platformatic/kafka/package.json" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  echo "setup: installing test/clients (@confluentinc/kafka-javascript, @platformatic/kafka; builds librdkafka when no prebuilt binary can be downloaded)"
  (cd "$dir" && CKJS_LINKING=dynamic npm install --no-audit --no-fund --loglevel=error)
  [ -f "$binary" ] || { echo "setup: @confluentinc/kafka-javascript installed without its binary ($binary)" >&2; exit 1; }
  echo "$want" > "$stamp"
}

install_packages
build_test_clients
