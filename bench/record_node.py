"""The node as ``bench/record.py`` runs it: ``python -m wawai.node`` plus OS names for its threads.

Python 3.11 gives its threads no kernel name, so ``/proc/<pid>/task/*/comm`` says ``python`` for all of
them. Before the node starts, this wrapper makes every Python thread name itself (``prctl(PR_SET_NAME)``,
the first 15 bytes of its Python name) so the bench can split the node's CPU by thread from outside,
without touching the process it measures in any other way.

    python bench/record_node.py --config DIR
"""

from __future__ import annotations

import ctypes
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PR_SET_NAME = 15
_libc = ctypes.CDLL(None, use_errno=True)
_original_bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]


def _named_bootstrap(self: threading.Thread, *args: Any) -> None:
    _libc.prctl(PR_SET_NAME, self.name.encode()[:15], 0, 0, 0)
    _original_bootstrap(self, *args)


threading.Thread._bootstrap_inner = _named_bootstrap  # type: ignore[attr-defined]

if __name__ == "__main__":
    from wawai.node import main

    sys.exit(main())
