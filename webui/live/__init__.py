"""Live view over WebRTC (WHEP): camera H.264 passed through to browsers, a shared transcoder otherwise."""

from webui.live.relay import LiveRelay, OfferError
from webui.live.session import ViewerSession

__all__ = ["LiveRelay", "OfferError", "ViewerSession"]
