"""The contract between ingest and its consumers (recorder, live relay, analytics).

Ingest implements ``StreamHub``; consumers receive one through the runtime wiring and never import
``camera_ingest``. Each subscription is a ``DropQueue``: bounded, never blocking the camera.
"""

from __future__ import annotations

from typing import Protocol

from wawai.config.schema import CameraConfig
from wawai.media import MediaPacket, StreamFacts, VideoFrame
from wawai.queues import DropQueue
from wawai.status import CameraStatus


class PacketSubscription(Protocol):
    queue: DropQueue[MediaPacket]
    name: str

    def close(self) -> None: ...


class FrameSubscription(Protocol):
    queue: DropQueue[VideoFrame]
    name: str

    def close(self) -> None: ...

    def set_keyframes_only(self, enabled: bool) -> None:
        """Keyframes only (a quiet scene: the decoder skips the other pictures) or every due picture."""
        ...


class StreamHub(Protocol):
    def start(self) -> None:
        """Open every configured stream; returns at once (readers run in their own threads)."""
        ...

    def stop(self) -> None:
        """Close every stream and join the readers."""
        ...

    def add_camera(self, camera: CameraConfig) -> None:
        """Open the camera's streams (sharing a session with any camera that reads the same URL).

        Started at once when the hub runs. Raises ValueError when the id is already in the hub.
        """
        ...

    def remove_camera(self, camera_id: str) -> None:
        """Close the camera's streams, unless another camera reads the same URL, and join their
        readers; its subscribers see their queues closed. Other cameras are untouched."""
        ...

    def camera_ids(self) -> list[str]: ...

    def stream_names(self, camera_id: str) -> list[str]:
        """The configured streams of a camera, "main" first ("main", "sub")."""
        ...

    def subscribe_packets(
        self,
        camera_id: str,
        stream: str = "main",
        *,
        name: str,
        maxsize: int = 512,
        with_current_gop: bool = False,
        drop_gops: bool = False,
    ) -> PacketSubscription:
        """Packets of one stream, starting at a keyframe.

        ``with_current_gop`` first replays the GOP in progress (from its keyframe) so a new live
        viewer has a picture at once. ``drop_gops`` makes an overflow drop up to the next keyframe.
        Raises KeyError for an unknown camera or stream.
        """
        ...

    def subscribe_frames(
        self, camera_id: str, *, name: str, fps: float, max_width: int = 1280, maxsize: int = 2
    ) -> FrameSubscription:
        """Decoded BGR frames at ``fps`` from the analytics stream (sub if configured, else main)."""
        ...

    def facts(self, camera_id: str, stream: str = "main") -> StreamFacts | None:
        """What is known of the stream now; None before it first connected."""
        ...

    def status(self, camera_id: str) -> CameraStatus: ...
