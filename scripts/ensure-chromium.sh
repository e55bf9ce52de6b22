#!/bin/sh
# Make Debian's Chromium available for the browser test (tests/test_app_browser.py, driven by
# the playwright Python package; Playwright's own browser download does not work everywhere).
# When $CHROMIUM (default /usr/bin/chromium) is missing and this runs as root with apt-get, it
# installs Debian's `chromium` package; otherwise it says why not. It never fails: without a
# browser the browser test skips and says the same.
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "crowdsim: $CHROMIUM is missing and there is no apt-get to install Debian's chromium;" \
         "the browser test will skip" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "crowdsim: $CHROMIUM is missing and installing it needs root" \
         "(sudo apt-get install -y chromium); the browser test will skip" >&2
    exit 0
fi
echo "crowdsim: installing Debian's chromium for the browser test (apt-get) ..."
log="${TMPDIR:-/tmp}/crowdsim-apt-chromium.log"
if { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
        >"$log" 2>&1 && [ -x "$CHROMIUM" ]; then
    echo "crowdsim: installed $("$CHROMIUM" --version 2>/dev/null)"
else
    echo "crowdsim: apt-get could not install chromium (log: $log); the browser test will" \
         "skip" >&2
    tail -n 5 "$log" >&2
fi
exit 0
