"""One recording site for every playback test (recording with a gap costs about a minute of wall time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.playback.recording_site import RecordingSite
from tests.support.rtsp_fixtures import RtspServer, running_server


@pytest.fixture(scope="session")
def recording_site(rtsp_media: dict[str, Path], rtsp_server: RtspServer,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingSite]:
    root = tmp_path_factory.mktemp("playback-site")
    with running_server(rtsp_media, root) as private:
        site = RecordingSite(root, private, rtsp_server)
        site.start()
        try:
            site.record_with_gap()
            yield site
        finally:
            site.stop()
