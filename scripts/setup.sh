#!/usr/bin/env bash
# Set up Wawai on Debian 12 (idempotent: run it as often as you like).
#  - system packages the tests and the demo need: installed with apt when run as root, otherwise listed
#  - .venv with Python 3.11 and `pip install -e '.[dev,postgres]'` (skipped when pyproject.toml did not change)
#  - the demo's footage, made once from Debian's opencv-doc vtest.avi (wawai/demo_footage.py, cached
#    under data/cache/), and the detector weights (`wawai model fetch yolox-nano`: the shared mirror
#    first, else upstream). Neither fails the setup when offline: it says what is missing and how to
#    get it later.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv ffmpeg
  python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  chromium iproute2 util-linux
  opencv-doc
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

# Demo footage from Debian's file. Where dpkg skips /usr/share/doc (path-exclude in minimal images),
# take vtest.avi straight out of the package instead.
vtest=/usr/share/doc/opencv-doc/examples/data/vtest.avi
extracted=data/cache/opencv-doc/vtest.avi
if [[ ! -f "$vtest" && ! -f "$extracted" ]] && command -v apt-get >/dev/null; then
  scratch=$(mktemp -d)
  if (cd "$scratch" && apt-get download -q opencv-doc >/dev/null 2>&1); then
    mkdir -p "$(dirname "$extracted")"
    dpkg-deb --fsys-tarfile "$scratch"/opencv-doc_*.deb | tar -xO ".$vtest" > "$extracted.part" &&
      mv "$extracted.part" "$extracted"
  fi
  rm -rf "$scratch" "$extracted.part"
fi
if ! .venv/bin/python -m wawai.demo_footage; then
  say "demo footage incomplete (see above): install opencv-doc, or put the shared assets beside the checkout"
fi

# Detector weights: without them the node runs motion-only (cameras, walls and recording still work).
if ! .venv/bin/wawai model fetch yolox-nano --timeout 20; then
  say "no detector weights yet: analytics runs motion-only until you run .venv/bin/wawai model fetch yolox-nano"
fi
say "ready (.venv: $(.venv/bin/python --version))"
