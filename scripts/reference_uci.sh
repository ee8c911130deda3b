#!/usr/bin/env bash
# Reference values of the Python package `lifetimes` (0.11.3, the last release) on the UCI Online
# Retail customer summary: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma fitted in days without a
# penalty, their log-likelihoods, convergence, long runs and predictions for chosen customers (see
# scripts/reference_uci.py and tests/fixtures/uci_online_retail/SOURCE.md). lifetimes lives in the
# virtual environment that scripts/compare_lifetimes.sh makes (and reuses) under
# target/venv-lifetimes; it is never a dependency of the crate.
#
#   scripts/reference_uci.sh [SUMMARY.csv] > tests/fixtures/uci_online_retail/lifetimes.json
#
# SUMMARY.csv defaults to tests/fixtures/uci_online_retail/summary.csv (header customer,x,t_x,T,m_x;
# t_x and T in days). Set LIFETIMES_VENV to use another virtual environment. Takes a few minutes.
set -euo pipefail
if [ $# -gt 1 ]; then
    echo "usage: $0 [SUMMARY.csv]" >&2
    exit 2
fi
data=${1:+$(realpath "$1")}
cd "$(dirname "$0")/.."
data=${data:-$(realpath tests/fixtures/uci_online_retail/summary.csv)}
venv=${LIFETIMES_VENV:-target/venv-lifetimes}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import lifetimes' 2>/dev/null; then
    python3 -m venv "$venv"
    # lifetimes 0.11.3 (2020) needs pkg_resources (setuptools < 70), numpy < 2, pandas < 2 and a
    # scipy of its era; autograd comes in as a dependency.
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "setuptools<70" "numpy<2" "pandas<2" "scipy==1.11.*" "lifetimes==0.11.3" >&2
fi
exec "$venv/bin/python" scripts/reference_uci.py "$data"
