"""A recording process to kill: ``python -m tests.recorder.record_child CONFIG_DIR`` records until killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.recorder.rtsp_support import build, start


def main() -> None:
    ctx, stage = build(Path(sys.argv[1]))
    start(ctx, stage)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
