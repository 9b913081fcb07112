#!/usr/bin/env bash
# Install a C compiler (Debian's gcc) for the C backend (modelcheck.native, docs/native.md).
# Nothing to do when cc, gcc or clang is there; as root (CI: a fresh Debian machine),
# apt-get it; otherwise say how. Without one, `--backend auto` runs Python and the C
# backend's tests are skipped when MODELCHECK_SKIP_CC=1.
set -euo pipefail
if command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1; then
  exit 0
fi
exec bash "$(dirname "$0")/apt-install.sh" install-cc gcc MODELCHECK_SKIP_CC "the C backend"
