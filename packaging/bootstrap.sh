#!/bin/sh
# Sets up s3desk on a fresh Debian or Ubuntu machine, then runs the demo or the tests:
#   sh packaging/bootstrap.sh demo [--screenshot FILE.png]
#   sh packaging/bootstrap.sh test [PYTEST ARGS]
# It installs the system libraries Qt needs (and, for the tests, Xvfb and the xcb libraries)
# when they are missing, makes a virtual environment in .venv and installs s3desk into it.
set -eu
cd "$(dirname "$0")/.."

job="${1:-test}"
[ $# -gt 0 ] && shift

# Qt offscreen needs these; a font, or every character is drawn as an empty box.
QT_PACKAGES="libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core"
# A real window (xcb) needs these too; the tests open one once under Xvfb.
XCB_PACKAGES="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
libxcb-shape0 libxkbcommon-x11-0 xvfb xauth"

packages="$QT_PACKAGES $XCB_PACKAGES"
python3 -c "import ensurepip" 2>/dev/null || packages="$packages python3-venv"

missing=""
if command -v dpkg >/dev/null 2>&1; then
    for p in $packages; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
fi
if [ -n "$missing" ]; then
    echo "Installing system packages:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

case "$job" in
    demo) exec .venv/bin/s3desk demo "$@" ;;
    test) exec .venv/bin/python -m pytest -q "$@" ;;
    *) echo "usage: sh packaging/bootstrap.sh demo|test" >&2; exit 2 ;;
esac
