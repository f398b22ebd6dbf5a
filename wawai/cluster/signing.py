"""Node-to-node trust: a web node calls another node's API on behalf of a signed-in user.

The calling node signs the request with the cluster's shared secret (``cluster.secret``): HMAC-SHA256 over
the method, the path with its query, a timestamp, a one-time nonce, the calling node, the acting user and
the SHA-256 of the body. The receiving node accepts such a request in place of a session when the
signature matches, the timestamp is within ``MAX_SKEW_SECONDS`` of its own clock (node clocks are kept by
NTP) and the nonce was not seen before inside that window (a captured request cannot be replayed).

The secret never appears in a header, a log line or an error: only the signature travels.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

NODE_HEADER = "x-wawai-node"
USER_HEADER = "x-wawai-acting-user"
TIME_HEADER = "x-wawai-timestamp"
NONCE_HEADER = "x-wawai-nonce"
SIGNATURE_HEADER = "x-wawai-signature"
SIGNED_HEADERS = (NODE_HEADER, USER_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

MAX_SKEW_SECONDS = 30.0  # older (or further ahead) requests are refused; nonces are kept this long


class SignatureRefused(Exception):
    """A signed request that must not be believed; the message is one line, safe to answer."""


@dataclass(frozen=True)
class SignedCaller:
    node: str  # the node that forwarded the request
    user: str  # the signed-in user it acts for


def _message(method: str, target: str, timestamp: str, nonce: str, node: str, user: str,
             body: bytes) -> bytes:
    parts = [method.upper(), target, timestamp, nonce, node, user, hashlib.sha256(body).hexdigest()]
    return "\n".join(parts).encode()


def sign(secret: str, method: str, target: str, body: bytes, node: str, user: str,
         now: float | None = None) -> dict[str, str]:
    """The headers that make ``method target`` with ``body`` a request from ``node`` acting as ``user``.
    ``target`` is the path with its query string, exactly as the receiver will see it."""
    timestamp = f"{time.time() if now is None else now:.3f}"
    nonce = secrets.token_hex(16)
    digest = hmac.new(secret.encode(), _message(method, target, timestamp, nonce, node, user, body),
                      hashlib.sha256).hexdigest()
    return {NODE_HEADER: node, USER_HEADER: user, TIME_HEADER: timestamp, NONCE_HEADER: nonce,
            SIGNATURE_HEADER: digest}


class NonceCache:
    """Nonces seen in the last ``MAX_SKEW_SECONDS`` x 2 (a request is valid that long around now)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, nonce: str) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {n: at for n, at in self._seen.items() if now - at < 2 * MAX_SKEW_SECONDS}
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def verify(secret: str, method: str, target: str, body: bytes, headers: Mapping[str, str],
           nonces: NonceCache, now: float | None = None) -> SignedCaller:
    """The caller of a signed request, or SignatureRefused. ``headers`` keys are lower case."""
    values = {name: headers.get(name, "") for name in SIGNED_HEADERS}
    if not all(values.values()):
        raise SignatureRefused("incomplete node signature headers")
    try:
        sent = float(values[TIME_HEADER])
    except ValueError:
        raise SignatureRefused("bad node signature timestamp") from None
    moment = time.time() if now is None else now
    if not abs(moment - sent) <= MAX_SKEW_SECONDS:  # "not <=" also refuses NaN
        raise SignatureRefused(f"node signature timestamp is more than {MAX_SKEW_SECONDS:g} s off "
                               f"this node's clock")
    expected = hmac.new(secret.encode(), _message(method, target, values[TIME_HEADER], values[NONCE_HEADER],
                                                  values[NODE_HEADER], values[USER_HEADER], body),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, values[SIGNATURE_HEADER]):
        raise SignatureRefused("bad node signature")
    if not nonces.first_use(values[NONCE_HEADER]):
        raise SignatureRefused("node signature already used (replay refused)")
    return SignedCaller(values[NODE_HEADER], values[USER_HEADER])
