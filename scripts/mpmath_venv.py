"""The virtual environment the reference-value scripts run mpmath in (target/venv-mpmath).

    import mpmath_venv
    mpmath_venv.bootstrap(__file__)   # before importing mpmath

Unless already running inside it, creates the environment (python3 -m venv), installs the pinned
mpmath into it and re-executes the calling script there.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "venv-mpmath")
MPMATH = "mpmath==1.4.1"


def bootstrap(script):
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    if subprocess.call([py, "-c", "import mpmath"], stderr=subprocess.DEVNULL) != 0:
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", MPMATH])
    os.execv(py, [py, os.path.abspath(script)] + sys.argv[1:])
