#!/usr/bin/env bash
# The Debian packages the test suite drives as real programs: gettext (msgfmt, compiled catalogues),
# chromium (the Playwright browser tests; Playwright never downloads a browser here) and coturn (the TURN
# test). Installed when missing and when this user may (root, or sudo without a password).
set -euo pipefail
missing=()
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  echo "system_packages: missing ${missing[*]} and no root to install them" >&2; exit 0
fi
echo "system_packages: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "system_packages: could not install ${missing[*]}" >&2
# coturn's package starts nothing here (no systemd); the tests run their own turnserver on free ports.
