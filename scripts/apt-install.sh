#!/usr/bin/env bash
# Install one Debian package a test needs, the way make test does it for each:
#   scripts/apt-install.sh NAME PACKAGE SKIPVAR WHAT
# where NAME is the caller's name for messages, PACKAGE the Debian package, SKIPVAR the
# environment variable that, set to 1, lets the tests needing it be skipped, and WHAT
# what those tests are. The caller has already found the package missing. As root with
# apt-get (CI: a fresh Debian machine) it installs it; otherwise it says how, and fails
# unless SKIPVAR=1.
set -euo pipefail
name=$1 package=$2 skipvar=$3 what=$4
if [ "${!skipvar:-}" = "1" ]; then
  echo "$name: $package missing; $skipvar=1, so $what will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "$name: installing Debian's $package (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$package" >/dev/null
  exit 0
fi
echo "$name: $package is missing and cannot be installed here (not root or no apt-get)." >&2
echo "  install it (Debian: sudo apt-get install $package), or set $skipvar=1 to skip $what" >&2
exit 1
