#!/usr/bin/env bash
# Sets up what npm cannot: Jupyter (from the OS packages), the tslab TypeScript kernel, and the native engine
# (a C++ compiler and OpenBLAS from the OS packages, then the addon's build); PyTorch too with GN_WITH_TORCH=1.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${GN_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

has_jupyter() { "$PYTHON" -c 'import nbclient, nbformat, jupyter_client' 2>/dev/null; }

# Debian packages to install: Jupyter if missing, and Chromium (the live-plot and notebook tests drive /usr/bin/chromium headless).
APT_PACKAGES=()
NEED_JUPYTER=""
if ! has_jupyter || ! command -v jupyter-notebook >/dev/null 2>&1; then
  NEED_JUPYTER=1
  APT_PACKAGES+=(jupyter-nbconvert python3-nbclient jupyter-client jupyter-notebook)
fi
[ -x /usr/bin/chromium ] || APT_PACKAGES+=(chromium)
# The native engine's build: a C++ compiler and OpenBLAS (its CBLAS headers and library).
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || APT_PACKAGES+=(g++ make)
compgen -G "/usr/include/*/cblas.h" >/dev/null || [ -f /usr/include/cblas.h ] || APT_PACKAGES+=(libopenblas-dev)
# Optional, with GN_WITH_TORCH=1: PyTorch (Debian's python3-torch), for the tests of the road to PyTorch and back
# (gennet export/import --format pytorch, torchrun); without it those tests are skipped and say so.
if [ -n "${GN_WITH_TORCH:-}" ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  APT_PACKAGES+=(python3-torch)
fi

if [ "${#APT_PACKAGES[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing Debian packages: ${APT_PACKAGES[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
    [ -z "$NEED_JUPYTER" ] || PYTHON=/usr/bin/python3
  elif [ -n "$NEED_JUPYTER" ]; then
    echo "setup: Jupyter is missing and this is not a Debian/Ubuntu system." >&2
    echo "       Install Jupyter (e.g. 'pip install \"notebook<7\" nbclient') and run again with GN_PYTHON=<that python>." >&2
    exit 1
  else
    echo "setup: warning: /usr/bin/chromium is missing and this is not a Debian/Ubuntu system; the browser tests" >&2
    echo "       (live plot page, notebooks in Jupyter) will fail until a Chromium binary is installed at /usr/bin/chromium." >&2
  fi
fi
has_jupyter || { echo "setup: $PYTHON still cannot import nbclient; set GN_PYTHON to a Python that has Jupyter." >&2; exit 1; }

echo "setup: registering the tslab kernel with $PYTHON"
node scripts/register-kernel.js "$PYTHON"

echo "setup: building the library"
npx --no-install tsc -p tsconfig.json
if command -v apt-get >/dev/null 2>&1; then
  node scripts/build-native.js            # Debian/Ubuntu: its build dependencies are installed above, so it must build
else
  node scripts/build-native.js --optional # elsewhere: see the README for the compiler and BLAS to install
fi
echo "setup: done (backend check: $(node -e "require('./dist/backend').initBackend().then(()=>console.log(require('./dist/backend').describeBackend()))"))"
