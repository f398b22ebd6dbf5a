"""Who is calling: one authentication point for every HTTP request and WebSocket, plus CSRF and headers.

``AuthMiddleware`` runs before routing, so a route someone adds later is protected without anyone
remembering to add a dependency. Only ``PUBLIC_ROUTES`` and the static files pass without credentials.
Credentials, in order: ``Authorization: Bearer TOKEN``; for WebSockets also ``?token=TOKEN``; the
HttpOnly session cookie; on a cluster node with ``cluster.secret``, a request another node signed on behalf
of a user (``wawai.cluster.signing``: accepted as that user, audited as "via node X", never public).
Cookie requests that change state must carry ``X-CSRF-Token`` equal to the session's CSRF token (also
in the JS-readable ``wawai_csrf`` cookie); bearer and node-signed requests are exempt.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wawai import accounts, audit
from wawai.cluster.signing import SIGNATURE_HEADER, NonceCache, SignatureRefused, verify
from wawai.db.users import User

log = logging.getLogger(__name__)

SESSION_COOKIE = "wawai_session"
CSRF_COOKIE = "wawai_csrf"
CSRF_HEADER = "x-csrf-token"

# The complete list of what answers without credentials. Keep it short; tests/foundation walks every
# registered route and expects 401 from all others.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/api/health"),
    ("POST", "/api/auth/login"),
    ("GET", "/"),  # redirects to the sign-in page
})
# The sign-in page and the page assets; Open311, whose callers are the city's apps, not signed-in
# people: every Open311 route checks the app's api_key itself (webui/routes/open311.py).
PUBLIC_PREFIXES: tuple[str, ...] = ("/static/", "/open311/v2/")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_POLICY_REST = [
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def content_security_policy(image_sources: tuple[str, ...] = ()) -> str:
    """The policy; ``image_sources`` adds origins pictures may come from (the site's map tile server)."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts, no eval
        "style-src 'self'",
        " ".join(["img-src 'self' data: blob:", *image_sources]),
        *_POLICY_REST,
    ])


def tile_image_sources(tile_url: str | None) -> tuple[str, ...]:
    """The CSP source of a tile URL template: its origin, ``{s}`` subdomains as a wildcard."""
    if not tile_url:
        return ()
    parts = urlsplit(tile_url.replace("{s}", "tiles-s"))
    host = parts.netloc.replace("tiles-s", "*")
    return (f"{parts.scheme}://{host}",)


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def is_public(method: str, path: str) -> bool:
    if method == "HEAD":
        method = "GET"
    return (method, path) in PUBLIC_ROUTES or path.startswith(PUBLIC_PREFIXES)


@dataclass(frozen=True)
class Credentials:
    bearer: str | None
    cookie: str | None
    csrf_header: str | None
    csrf_cookie: str | None


@dataclass(frozen=True)
class AuthResult:
    user: User | None
    via: str = ""  # "token" or "cookie"
    csrf_ok: bool = True


def credentials_from_scope(scope: Scope) -> Credentials:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    bearer = None
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        bearer = authorization[7:].strip() or None
    if bearer is None and scope["type"] == "websocket":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        bearer = (query.get("token") or [None])[0]
    cookies: dict[str, str] = {}
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # a malformed Cookie header is just "no cookies"
            jar = SimpleCookie()
        cookies = {key: morsel.value for key, morsel in jar.items()}
    return Credentials(
        bearer=bearer,
        cookie=cookies.get(SESSION_COOKIE),
        csrf_header=headers.get(CSRF_HEADER),
        csrf_cookie=cookies.get(CSRF_COOKIE),
    )


def authenticate(sessions: sessionmaker[Session], creds: Credentials, needs_csrf: bool) -> AuthResult:
    """Blocking (database): call from a worker thread."""
    with sessions() as db:
        if creds.bearer:
            user = accounts.user_for_token(db, creds.bearer)
            return AuthResult(user, "token") if user else AuthResult(None)
        if creds.cookie:
            row = accounts.web_session_for(db, creds.cookie)
            if row is None:
                return AuthResult(None)
            csrf_ok = True
            if needs_csrf:
                csrf_ok = bool(
                    creds.csrf_header
                    and creds.csrf_cookie
                    and secrets.compare_digest(creds.csrf_header, creds.csrf_cookie)
                    and secrets.compare_digest(creds.csrf_header, row.csrf_token)
                )
            return AuthResult(row.user, "cookie", csrf_ok)
    return AuthResult(None)


def _same_origin(scope: Scope) -> bool:
    """For cookie WebSockets: the browser's Origin must be this server (no cross-site hijacking)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    origin = headers.get("origin")
    if not origin:
        return True  # not a browser
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


MAX_SIGNED_BODY = 1024 * 1024  # node-to-node requests carry SDP offers and small JSON, never uploads
SIGNED_AUDIT_SECONDS = 60.0  # a forwarded read (a segment, a thumbnail) is audited once a minute per kind


class SignedRequests:
    """Checks requests that another node of the cluster signed; audits them on this node."""

    def __init__(self, secret: str, sessions: sessionmaker[Session]) -> None:
        self.secret = secret
        self.sessions = sessions
        self.nonces = NonceCache()
        self._audited: dict[tuple[str, str, str], float] = {}

    def user_for(self, scope: Scope, body: bytes) -> User:
        """Blocking (database). Raises SignatureRefused with a one-line reason."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        target = scope.get("path", "")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        method = scope.get("method", "GET")
        caller = verify(self.secret, method, target, body, headers, self.nonces)
        with self.sessions() as db:
            user = accounts.find_user(db, caller.user)
            if user is None or user.disabled:
                raise SignatureRefused("the acting user does not exist here or is disabled")
            if self._audit_due(caller.node, caller.user, method, target):
                audit.record(db, user.name, "cluster.forwarded", via_node=caller.node, method=method,
                             path=scope.get("path", "")[:300])
                db.commit()
            db.expunge(user)
            return user

    def _audit_due(self, node: str, user: str, method: str, target: str) -> bool:
        if method not in SAFE_METHODS:
            return True
        kind = "/".join(target.split("?")[0].split("/")[:4])  # /api/recordings/CAMERA
        now = time.monotonic()
        if len(self._audited) > 10_000:  # users x cameras on a big site: forget the old marks
            self._audited = {k: at for k, at in self._audited.items() if now - at < SIGNED_AUDIT_SECONDS}
        key = (node, user, kind)
        if now - self._audited.get(key, -SIGNED_AUDIT_SECONDS) < SIGNED_AUDIT_SECONDS:
            return False
        self._audited[key] = now
        return True


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the connection's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class AuthMiddleware:
    """Puts the signed-in user in ``scope["state"]["user"]``, or answers 401/403 itself."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session],
                 cluster_secret: str | None = None) -> None:
        self.app = app
        self.sessions = sessions
        self.signed = SignedRequests(cluster_secret, sessions) if cluster_secret else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and any(k.lower() == SIGNATURE_HEADER.encode() for k, _ in
                                           scope.get("headers", [])):
            await self._signed(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        path = scope.get("path", "")
        creds = credentials_from_scope(scope)
        needs_csrf = scope["type"] == "http" and method not in SAFE_METHODS
        result = AuthResult(None)
        static = path.startswith(PUBLIC_PREFIXES)  # page assets: no database look-up per file
        if (creds.bearer or creds.cookie) and not static:
            result = await run_in_threadpool(authenticate, self.sessions, creds, needs_csrf)
        scope.setdefault("state", {})
        scope["state"]["user"] = result.user
        scope["state"]["auth_via"] = result.via
        if is_public(method, path):
            await self.app(scope, receive, send)
            return
        if result.user is None:
            await _deny(scope, send, 401, "sign in first (session cookie or Authorization: Bearer TOKEN)")
            return
        if not result.csrf_ok:
            await _deny(scope, send, 403, "missing or wrong X-CSRF-Token header (copy the wawai_csrf cookie)")
            return
        if scope["type"] == "websocket" and result.via == "cookie" and not _same_origin(scope):
            await _deny(scope, send, 403, "cross-origin WebSocket refused")
            return
        await self.app(scope, receive, send)

    async def _signed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request another node signed: believed only with this node's ``cluster.secret``."""
        if self.signed is None:
            await _deny(scope, send, 401, "node-signed request refused: this node has no cluster.secret")
            return
        body = await _read_body(receive, MAX_SIGNED_BODY)
        if body is None:
            await _deny(scope, send, 413, "node-signed request body too large")
            return
        try:
            user = await run_in_threadpool(self.signed.user_for, scope, body)
        except SignatureRefused as exc:
            log.warning("refused a node-signed %s %s: %s", scope.get("method"), scope.get("path", "")[:200],
                        exc)
            await _deny(scope, send, 401, f"node-signed request refused: {exc}")
            return
        scope.setdefault("state", {})
        scope["state"]["user"] = user
        scope["state"]["auth_via"] = "node"
        await self.app(scope, _replay(body, receive), send)


async def _deny(scope: Scope, send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    # WebSocket: answer the handshake with a real HTTP status where the server supports it.
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 4000 + status, "reason": detail[:100]})


class RefusedHandshakeIsNotAnError(logging.Filter):
    """uvicorn's websockets-sansio protocol logs ERROR "ASGI callable returned without completing
    handshake." after every handshake refused with an HTTP status (``_deny``), which anyone can trigger
    without signing in. Logged at DEBUG instead; uvicorn's own INFO line ("WebSocket /api/events" 401)
    still records the refusal. The app's only WebSocket route accepts every handshake that reaches it,
    so this message comes from refusals alone."""

    MESSAGE = "ASGI callable returned without completing handshake."

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.getMessage() == self.MESSAGE:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def quiet_refused_handshakes() -> None:
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RefusedHandshakeIsNotAnError) for f in server_log.filters):
        server_log.addFilter(RefusedHandshakeIsNotAnError())


class SecurityHeadersMiddleware:
    """CSP and friends on every HTTP response; ``Cache-Control: no-store`` on the API."""

    def __init__(self, app: ASGIApp, image_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        policy = content_security_policy(image_sources).encode()
        self.headers = [(b"content-security-policy", policy), *SECURITY_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope.get("path", "").startswith(("/api/", "/open311/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                if is_api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
