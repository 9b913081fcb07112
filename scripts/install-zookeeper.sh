#!/usr/bin/env bash
# Install Debian's zookeeper (the real Apache ZooKeeper) for tests/reference/zab, which run
# every kazoo-level behaviour test against it as well as against reference/zab
# (docs/reference-zab.md). Nothing to do when it is there; as root (CI: a fresh Debian
# machine), apt-get it; otherwise say how. MODELCHECK_SKIP_ZOOKEEPER=1 skips those runs.
set -euo pipefail
if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "${MODELCHECK_SKIP_ZOOKEEPER:-}" = "1" ]; then
  echo "install-zookeeper: zookeeper missing; MODELCHECK_SKIP_ZOOKEEPER=1, so the runs against it are skipped" >&2
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-zookeeper: installing Debian's zookeeper (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq zookeeper >/dev/null
  exit 0
fi
echo "install-zookeeper: zookeeper is missing and cannot be installed here (not root or no apt-get)." >&2
echo "  install it (Debian: sudo apt-get install zookeeper), or set MODELCHECK_SKIP_ZOOKEEPER=1" >&2
exit 1
