"""Which node serves a recording's files, on a real app on a real PostgreSQL: the node named on the
segment row, unless the site has shared storage (then every node reads the file itself); a holder that is
down is a one-line 503, and a camera without a live owner answers WHEP with 503 and Retry-After."""

from __future__ import annotations

import time

import pytest

from tests.cluster.signed_site import SECRET_ENV, build_client, make_users
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.recordings import RecordingSegment

CONTENT = b"\x00\x00\x00\x18ftypiso6" + bytes(range(256)) * 4


def add_segment(url: str, storage, node: str) -> int:
    path = "recordings/north-gate/2026-12-01/00/00.00.mp4"
    (storage / path).parent.mkdir(parents=True, exist_ok=True)
    (storage / path).write_bytes(CONTENT)
    sessions = make_sessionmaker(url)
    with sessions() as db:
        row = RecordingSegment(camera_id="north-gate", start=time.time() - 20, end=time.time() - 10,
                               duration=10, bytes=len(CONTENT), path=path, codec="h264", init_bytes=24,
                               node=node)
        db.add(row)
        db.commit()
        segment_id = row.id
    sessions.kw["bind"].dispose()
    return segment_id


@pytest.fixture
def prepared(postgres_url, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "s" * 40)
    upgrade(postgres_url)
    return postgres_url, make_users(postgres_url)


@pytest.mark.parametrize("shared", [True, False])
def test_a_segment_another_node_wrote(tmp_path, prepared, shared):
    url, token = prepared
    extra = "  shared_storage: true\n" if shared else ""
    with build_client(tmp_path, url, extra=extra) as client:
        segment_id = add_segment(url, tmp_path / "data", "node-x")
        headers = {"Authorization": f"Bearer {token}", "Range": "bytes=0-99"}
        answer = client.get(f"/api/recordings/north-gate/segments/{segment_id}.mp4", headers=headers)
        if shared:  # read here, from the storage every node mounts
            assert answer.status_code == 206 and answer.content == CONTENT[:100]
        else:  # node-x holds it, and node-x is not running
            assert answer.status_code == 503
            assert answer.json()["detail"] == ("node 'node-x', which holds this recording, is not running; "
                                               "try again later")
            assert answer.headers["retry-after"] == "5"


def test_a_segment_this_node_wrote_is_read_here(tmp_path, prepared):
    url, token = prepared
    with build_client(tmp_path, url) as client:
        segment_id = add_segment(url, tmp_path / "data", "node-b")
        answer = client.get(f"/api/recordings/north-gate/segments/{segment_id}.mp4",
                            headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.content == CONTENT


def test_whep_for_a_camera_without_a_live_owner(tmp_path, prepared):
    url, token = prepared
    with build_client(tmp_path, url) as client:
        answer = client.post("/api/live/north-gate/whep", content=b"v=0\r\n",
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"})
    assert answer.status_code == 503
    detail = "camera 'north-gate' has no live owner in the cluster right now; try again"
    assert answer.json()["detail"] == detail
    assert answer.headers["retry-after"] == "5"
