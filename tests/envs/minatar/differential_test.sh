#!/usr/bin/env bash
# The MinAtar port against the reference implementation, step by step
# (differential_test.py). The reference comes from PyPI (minatar 1.0.15,
# pure Python) into a virtual environment under the build directory, over
# Debian's numpy; without PyPI the test is skipped (exit 77), not passed.
#
# usage: differential_test.sh BUILD_DIR MINATAR_TRACE [EPISODES_PER_GAME]
set -euo pipefail
build_dir=$1
trace=$2
episodes=${3:-40}
here=$(cd "$(dirname "$0")" && pwd)
venv="$build_dir/minatar-reference-venv"

if ! "$venv/bin/python" -c "import minatar" 2> /dev/null; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "minatar==1.0.15"; then
    echo "differential_test: could not install the reference (minatar 1.0.15) from PyPI; skipped"
    exit 77
  fi
fi
# The reference warns once that it cannot draw (no matplotlib): not needed here.
exec "$venv/bin/python" "$here/differential_test.py" "$trace" "$episodes" 2> >(grep -v "matplotlib\|seaborn" >&2)
