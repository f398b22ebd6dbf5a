"""Asking another node for something on behalf of the signed-in user: a request signed with
``cluster.secret`` (wawai.cluster.signing), which that node accepts in place of a session.

``send`` (async, whole answer: WHEP offers and answers) and ``stream`` (blocking, the answer streamed
through: segments, thumbnails, clips; ``Range`` passed on, ``Content-Range`` passed back). A node that does
not answer is a one-line 502; the secret never leaves this node (only the signature travels).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping

import httpx
from fastapi import HTTPException
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from wawai.cluster.signing import sign
from wawai.stage import StageContext
from webui.cluster.peers import Peer, this_node

log = logging.getLogger(__name__)

CONNECT_SECONDS = 5.0
READ_SECONDS = 300.0  # a clip export on the owner takes a while before its first byte
# What comes back from the other node; hop-by-hop and framing headers are the server's own business.
PASSED_BACK = ("content-type", "content-length", "content-range", "accept-ranges", "cache-control",
               "etag", "last-modified", "content-disposition", "location", "retry-after",
               "x-content-sha256", "x-clip-start", "x-clip-end", "x-wawai-live-mode", "x-wawai-live-stream")


def _signed_headers(ctx: StageContext, method: str, target: str, body: bytes, user: str,
                    extra: Mapping[str, str]) -> dict[str, str]:
    cluster = ctx.config.site.cluster
    me = this_node(ctx)
    if cluster is None or me is None:
        raise RuntimeError("forwarding needs a cluster section")
    if not cluster.secret:
        raise HTTPException(status_code=503, detail=(
            "this is served by another node of the cluster; set cluster.secret (the same on every node) "
            "so that nodes may forward to each other"))
    return {**sign(cluster.secret, method, target, body, me, user), **extra}


def passed_back(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in PASSED_BACK if name in headers}


def _unreachable(peer: Peer, exc: Exception) -> HTTPException:
    log.warning("cluster: node %s did not answer a forwarded request (%s)", peer.name, exc.__class__.__name__)
    return HTTPException(status_code=502, detail=f"node {peer.name!r} did not answer; try again shortly")


async def send(ctx: StageContext, peer: Peer, method: str, target: str, user: str, body: bytes = b"",
               headers: Mapping[str, str] | None = None) -> httpx.Response:
    """``method target`` on ``peer`` as ``user``; the whole answer, whatever its status."""
    signed = _signed_headers(ctx, method, target, body, user, headers or {})
    timeout = httpx.Timeout(30.0, connect=CONNECT_SECONDS)
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await client.request(method, peer.url + target, content=body, headers=signed)
    except httpx.HTTPError as exc:
        raise _unreachable(peer, exc) from None


def stream(ctx: StageContext, peer: Peer, target: str, user: str, range_header: str | None,
           ) -> StreamingResponse:
    """Blocking: GET ``target`` on ``peer`` as ``user``, its answer streamed through as it arrives."""
    extra = {"range": range_header} if range_header else {}
    signed = _signed_headers(ctx, "GET", target, b"", user, extra)
    client = httpx.Client(timeout=httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS))
    try:
        answer = client.send(client.build_request("GET", peer.url + target, headers=signed), stream=True)
    except httpx.HTTPError as exc:
        client.close()
        raise _unreachable(peer, exc) from None

    def close() -> None:
        answer.close()
        client.close()

    def relayed() -> Iterator[bytes]:
        try:
            yield from answer.iter_raw()
        finally:  # also when the browser went away mid-way (the background task does not run then)
            close()

    body: Iterable[bytes] = relayed()
    return StreamingResponse(body, status_code=answer.status_code, headers=passed_back(answer.headers),
                             background=BackgroundTask(close))
