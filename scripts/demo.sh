#!/usr/bin/env bash
# Set up, then run the demo (`wawai demo`): sample cameras from recorded footage, live walls, incidents.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/wawai demo "$@"
