"""H.264 bitstream conversion for the packetizer, and the ICE host address choice."""

from __future__ import annotations

import av

from webui.live import ice
from webui.live.annexb import AnnexBWriter, parameter_sets, split_annexb


def nal_types(data: bytes) -> list[int]:
    return [unit[0] & 0x1F for unit in split_annexb(data)]


def test_mp4_packets_become_annexb_with_parameter_sets_before_each_keyframe(h264_clip):
    writer = AnnexBWriter()
    with av.open(str(h264_clip)) as container:
        stream = container.streams.video[0]
        extradata = stream.codec_context.extradata
        # The MP4 holds an avcC record and its packets are AVCC (length-prefixed), not Annex-B.
        assert extradata is not None and not extradata.startswith(b"\x00\x00")
        types = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            converted = writer(bytes(packet), packet.is_keyframe, extradata)
            types.append((packet.is_keyframe, nal_types(converted)))
            if len(types) == 25:
                break
    keyframes = [t for key, t in types if key]
    assert keyframes and all(t[:2] == [7, 8] and 5 in t for t in keyframes)
    assert all(t == [1] for key, t in types if not key)


def test_annexb_keyframe_without_parameter_sets_gets_them_from_annexb_extradata():
    sps, pps = b"\x67\x42\xc0\x1f\xaa", b"\x68\xce\x3c\x80"
    extradata = b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps
    assert parameter_sets(extradata) == ([sps, pps], 4)
    writer = AnnexBWriter()
    idr = b"\x00\x00\x00\x01\x65\x88\x84\x00"
    assert nal_types(writer(idr, True, extradata)) == [7, 8, 5]
    delta = b"\x00\x00\x01\x41\x9a\x00"
    assert writer(delta, False, extradata) == delta  # untouched
    # A keyframe that carries its own SPS/PPS is not given a second copy.
    assert nal_types(writer(extradata + idr, True, extradata)) == [7, 8, 5]


def test_ice_offers_loopback_besides_local_addresses_or_only_the_configured_ones():
    assert "127.0.0.1" in ice.host_addresses([], use_ipv4=True, use_ipv6=False)
    assert ice.host_addresses(["10.1.2.3", "fd00::5"], use_ipv4=True, use_ipv6=False) == ["10.1.2.3"]
    both = ice.host_addresses(["10.1.2.3", "fd00::5"], use_ipv4=True, use_ipv6=True)
    assert both == ["10.1.2.3", "fd00::5"]


def test_stun_and_turn_settings_reach_the_rtc_configuration():
    from wawai.config.schema import WebSection

    assert ice.rtc_configuration(WebSection()).iceServers == []  # never aiortc's default Google STUN
    web = WebSection(stun_urls=["stun:stun.example.org:3478"], turn_urls=["turn:turn.example.org:3478"],
                     turn_username="wawai", turn_password="secret")
    stun, turn = ice.rtc_configuration(web).iceServers or []
    assert stun.urls == ["stun:stun.example.org:3478"]
    assert (turn.urls, turn.username, turn.credential) == (["turn:turn.example.org:3478"], "wawai", "secret")
