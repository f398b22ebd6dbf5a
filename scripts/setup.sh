#!/usr/bin/env bash
# Set up Wawai on Debian 12 (idempotent: run it as often as you like).
#  - system packages the tests and the demo need: installed with apt when run as root, otherwise listed
#  - .venv with Python 3.11 and `pip install -e '.[dev,postgres]'` (skipped when pyproject.toml did not change)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv ffmpeg
  python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  chromium iproute2 util-linux
  postgresql nats-server  # cluster: tests start throwaway servers on loopback (issue 15)
)

say() { printf 'setup: %s\n' "$*" >&2; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    say "missing system packages: ${missing[*]}"
    say "install them with: sudo apt-get install -y ${missing[*]}  (or run this script as root)"
    if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  fi
fi

python_bin=""
for candidate in /usr/bin/python3.11 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python_bin=$(command -v "$candidate"); break
  fi
done
if [[ -z "$python_bin" ]]; then
  say "Python 3.11 or newer not found (apt-get install python3 python3-venv on Debian 12)"; exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi

# Reinstall only when the dependency list changed (the stamp holds pyproject.toml's checksum).
stamp=.venv/.wawai-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  if .venv/bin/python scripts/requirements_met.py 2>/dev/null; then
    say "Python packages already satisfy pyproject.toml"
  else
    say "installing Python packages (pip install -e '.[dev,postgres]')"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev,postgres]'
  fi
  echo "$want" > "$stamp"
fi
say "ready (.venv: $(.venv/bin/python --version))"
