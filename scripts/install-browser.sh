#!/usr/bin/env bash
# Install Debian's Chromium for tests/render/test_browser.py (docs/rendering.md).
# Nothing to do when it is there; as root (CI: a fresh Debian machine), apt-get it;
# otherwise say how. The test fails without a browser unless MODELCHECK_SKIP_BROWSER=1.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
exec bash "$(dirname "$0")/apt-install.sh" install-browser chromium MODELCHECK_SKIP_BROWSER "the browser test"
