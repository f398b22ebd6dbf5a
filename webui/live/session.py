"""One viewer: a peer connection, its passthrough track and the subscription feeding it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from aiortc import RTCPeerConnection

from webui.live.track import PacketTrack

Mode = Literal["passthrough", "transcoded"]


@dataclass(eq=False)
class ViewerSession:
    camera_id: str
    stream: str
    mode: Mode
    user_name: str
    pc: RTCPeerConnection
    track: PacketTrack
    answer_sdp: str = ""
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    opened_at: float = field(default_factory=time.time)

    async def close(self) -> None:
        self.track.stop()  # closes the subscription: the hub or transcoder forgets this viewer
        await self.pc.close()
