#!/usr/bin/env bash
# Installs pinned Python tools into a project-local venv; does nothing when the venv already matches.
#   scripts/python-venv.sh                                         # requirements-dev.txt -> .venv (MiniStack, cfn-lint)
#   scripts/python-venv.sh requirements-checkov.txt .venv-checkov  # checkov, which needs other versions
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements-dev.txt}"
venv="${2:-.venv}"
PYTHON="${PYTHON:-python3}"
stamp="$venv/.installed-$(basename "$requirements")"
if [[ -f "$stamp" ]] && cmp -s "$requirements" "$stamp"; then exit 0; fi
echo "Installing Python tools into $venv (pinned in $requirements)..."
if [[ ! -x "$venv/bin/python" ]] && ! "$PYTHON" -m venv "$venv"; then
  rm -rf "$venv"
  echo "error: '$PYTHON -m venv' failed. On Debian or Ubuntu install the venv module (apt-get install python3-venv); the tools need Python 3.10 or newer." >&2
  exit 1
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
