"""A packet the muxer refuses (a timestamp going backwards) stops one segment, not the camera's recording.

Ingest never hands out such a packet, so no real source can make one on demand: a stand-in hub with a
real DropQueue feeds the shared clip's real packets, paced, with one picture repeated.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from recorder.camera_recorder import CameraRecorder
from recorder.index import SegmentIndex
from recorder.service import RecordingsService
from tests.recorder.clips import clip, frame_hashes, media_packets
from wawai.media import MediaPacket
from wawai.queues import DropQueue
from wawai.status import CameraState, CameraStatus

START = 1_764_000_000.0


class StandInHub:
    """The part of wawai.hub.StreamHub a CameraRecorder uses."""

    def __init__(self) -> None:
        self.queue: DropQueue[MediaPacket] = DropQueue(4096)
        self.name = "recorder"

    def subscribe_packets(self, camera_id: str, stream: str = "main", **_: object) -> StandInHub:
        return self

    def close(self) -> None:
        self.queue.close()

    def status(self, camera_id: str) -> CameraStatus:
        return CameraStatus(camera_id=camera_id, state=CameraState.ONLINE, streams={})


def test_refused_packet_is_a_stream_error_logged_once_and_recording_resumes(storage: Path, recorder_db,
                                                                             caplog) -> None:
    caplog.set_level(logging.INFO)
    hub = StandInHub()
    states: list[str] = []
    recorder = CameraRecorder("cam", hub, storage, 10, SegmentIndex(storage, recorder_db),  # type: ignore[arg-type]
                              on_disk_full=lambda: None, on_state=lambda state, error: states.append(state))
    recorder.start()
    packets = list(media_packets(clip(), START))
    feed = [*packets[:50], packets[45], *packets[50:]]  # picture 45 again: its timestamp goes backwards
    done = threading.Event()

    def paced() -> None:  # 5x real time: the 2 s retry falls inside the clip
        for packet in feed:
            hub.queue.put(packet)
            time.sleep(0.02)
        done.set()

    feeder = threading.Thread(target=paced)
    feeder.start()
    try:
        assert done.wait(30)
        time.sleep(0.5)
    finally:
        feeder.join()
        recorder.stop()
    assert states == ["recording", "stream_error", "recording", "stopped"]
    lines = [r.getMessage() for r in caplog.records if "recording stopped by" in r.getMessage()]
    assert len(lines) == 1 and "an error writing the stream" in lines[0]
    overview = RecordingsService(storage, recorder_db).overview("cam", START, START + 30)
    assert [gap.reason for gap in overview.gaps] == ["stream_error"]
    # The segment cut by the error was kept up to its last fragment; recording went on at a keyframe.
    source = frame_hashes(clip())
    for segment in overview.segments:
        recorded = frame_hashes(storage / segment.path)
        first = round((segment.start - START) * 10)
        assert recorded == source[first:first + len(recorded)]
    assert overview.segments[-1].end == START + 30
