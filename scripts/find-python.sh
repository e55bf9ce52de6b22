#!/bin/sh
# Print the path of a Python >= 3.12 interpreter, or explain what to install and fail.
# Order: $1 (the PYTHON make variable) if given, python3.13, python3.12, python3, then pyenv.
ok() {
    "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}
if [ -n "$1" ]; then
    if ok "$1"; then command -v "$1" || echo "$1"; exit 0; fi
    echo "crowdsim: PYTHON=$1 is not a Python >= 3.12 with venv; unset it or point it at one." >&2
    exit 1
fi
for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && ok "$candidate"; then
        # pyenv shims exist for every installed version but fail unless that version is active
        path="$("$candidate" -c 'import sys; print(sys.executable)')"
        echo "$path"; exit 0
    fi
done
# pyenv-installed versions, newest first, even when the pyenv command is not on PATH
roots="${PYENV_ROOT:-}"
if command -v pyenv >/dev/null 2>&1; then roots="$roots $(pyenv root 2>/dev/null)"; fi
roots="$roots $HOME/.pyenv"
for root in $roots; do
    [ -d "$root/versions" ] || continue
    for version in $(ls "$root/versions" | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -t. -k2,2nr -k3,3nr); do
        candidate="$root/versions/$version/bin/python3"
        if ok "$candidate"; then echo "$candidate"; exit 0; fi
    done
done
echo "crowdsim: no Python >= 3.12 found (tried \$PYTHON, python3.13, python3.12, python3, pyenv)." >&2
echo "crowdsim: install Python 3.12 or newer (e.g. 'apt-get install python3.12-venv', 'pyenv install 3.12'), or run 'make PYTHON=/path/to/python3.12'." >&2
exit 1
