#!/usr/bin/env bash
# Set up, then run the checks CI runs: ruff, mypy, pytest. Extra arguments go to pytest
# (e.g. ./scripts/test.sh tests/foundation -k auth). As root, pytest runs in a private network
# namespace with only loopback up, so RTSP, WebRTC and browser traffic stay on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

echo "== ruff" >&2
.venv/bin/ruff check .
echo "== mypy" >&2
.venv/bin/mypy .
echo "== pytest" >&2
status=0
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null && unshare -n -- true 2>/dev/null; then
  unshare -n -- bash -c 'ip link set lo up && exec .venv/bin/python -m pytest "$@"' pytest "$@" || status=$?
else
  .venv/bin/python -m pytest "$@" || status=$?
fi
if [[ $status -eq 5 ]]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
fi
exit "$status"
