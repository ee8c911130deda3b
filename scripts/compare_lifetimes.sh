#!/usr/bin/env bash
# Fits the BG/NBD and Gamma-Gamma models with the Python package `lifetimes` (0.11.3, the last
# release) on a customer summary and times its fit and predictions, for comparison with
# `retention`. lifetimes lives in a virtual environment this script makes (and reuses) under
# target/venv-lifetimes; it is never a dependency of the crate.
#
#   scripts/compare_lifetimes.sh DATA.csv     # header customer,x,t_x,T,m_x (t_x, T in weeks)
#
# Environment: LIFETIMES_RUNS (fit repetitions, median reported; default 3),
#              LIFETIMES_T (prediction horizon in weeks for expected purchases; default 39).
# Prints one JSON object on stdout (see scripts/lifetimes_fit.py).
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 DATA.csv" >&2
    exit 2
fi
data=$(realpath "$1")
cd "$(dirname "$0")/.."
venv=target/venv-lifetimes
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import lifetimes' 2>/dev/null; then
    python3 -m venv "$venv"
    # lifetimes 0.11.3 (2020) needs pkg_resources (setuptools < 70), numpy < 2, pandas < 2 and a
    # scipy of its era; autograd comes in as a dependency.
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "setuptools<70" "numpy<2" "pandas<2" "scipy==1.11.*" "lifetimes==0.11.3" >&2
fi
exec "$venv/bin/python" scripts/lifetimes_fit.py "$data"
