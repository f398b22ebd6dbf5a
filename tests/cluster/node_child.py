"""A record node in a process of its own, for tests that SIGSTOP or kill -9 it: the real coordinator
and cameras that write a fenced index row every WRITE_SECONDS (no media).

    python -m tests.cluster.node_child URL NAME LEASE CAMERA...

Prints one JSON line per event on stdout: {"start": cam, "epoch": n}, {"stop": cam, "reason": r},
{"wrote": cam}, {"refused": cam}.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from wawai.cluster.coordinator import Coordinator, CoordinatorThread
from wawai.cluster.fencing import Fence, StaleOwnership
from wawai.cluster.leases import NodeInfo
from wawai.db.base import make_sessionmaker
from wawai.db.recordings import RecordingSegment, add_index_rows

WRITE_SECONDS = 0.3


_OUT = threading.Lock()


def say(**event: object) -> None:
    # One write per line under a lock: the coordinator's threads and the writer loop all report, and
    # print() writes the text and its newline apart, so two threads' lines could share one.
    with _OUT:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def main(url: str, name: str, lease: float, camera_ids: list[str]) -> None:
    sessions = make_sessionmaker(url)
    lock = threading.Lock()
    running: dict[str, tuple[Fence, float]] = {}  # camera -> fence, start of the segment being written

    def start(fence: Fence) -> None:
        with lock:
            running[fence.camera_id] = (fence, time.time())
        say(start=fence.camera_id, epoch=fence.epoch)

    def stop(camera_id: str, reason: str) -> None:
        with lock:
            running.pop(camera_id, None)
        say(stop=camera_id, reason=reason)

    coordinator = Coordinator(sessions, NodeInfo(name, ("record",), 100), camera_ids, lease_seconds=lease,
                              on_start=start, on_stop=stop)
    CoordinatorThread(coordinator).start()
    sequence = 0
    while True:
        time.sleep(WRITE_SECONDS)
        with lock:
            due = list(running.items())
        for camera_id, (fence, began) in due:
            now = time.time()
            sequence += 1
            path = f"recordings/{camera_id}/{name}/{sequence}.mp4"  # the writing node in the path
            row = RecordingSegment(camera_id=camera_id, start=began, end=now, duration=now - began,
                                   bytes=1, path=path, codec="h264")
            try:
                with sessions() as session:
                    add_index_rows(session, [row], fence)
                    session.commit()
            except StaleOwnership:
                say(refused=camera_id)
                continue
            with lock:
                if camera_id in running:
                    running[camera_id] = (fence, now)
            say(wrote=camera_id)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:])
