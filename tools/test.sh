#!/usr/bin/env bash
# The whole test suite: lint, types, firmware checks, pytest. Used by .ci/run and the README.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m ruff check .
python3 -m mypy
python3 -m pytest -n 2
