#!/usr/bin/env bash
# Install Debian's zookeeper (the real Apache ZooKeeper) for tests/reference/zab, which run
# every kazoo-level behaviour test against it as well as against reference/zab
# (docs/reference-zab.md). Nothing to do when it is there; as root (CI: a fresh Debian
# machine), apt-get it; otherwise say how. MODELCHECK_SKIP_ZOOKEEPER=1 skips those runs.
set -euo pipefail
if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1; then
  exit 0
fi
exec bash "$(dirname "$0")/apt-install.sh" install-zookeeper zookeeper MODELCHECK_SKIP_ZOOKEEPER \
  "the runs against the real ZooKeeper"
