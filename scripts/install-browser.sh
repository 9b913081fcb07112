#!/usr/bin/env bash
# Install Debian's Chromium for tests/render/test_browser.py (docs/rendering.md).
# Nothing to do when it is there; as root (CI: a fresh Debian machine), apt-get it;
# otherwise say how. The test fails without a browser unless MODELCHECK_SKIP_BROWSER=1.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "${MODELCHECK_SKIP_BROWSER:-}" = "1" ]; then
  echo "install-browser: chromium missing; MODELCHECK_SKIP_BROWSER=1, so the browser test will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: installing Debian's chromium (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "install-browser: chromium is missing and cannot be installed here (not root or no apt-get)." >&2
echo "  install it (Debian: sudo apt-get install chromium), or set MODELCHECK_SKIP_BROWSER=1 to skip the browser test" >&2
exit 1
