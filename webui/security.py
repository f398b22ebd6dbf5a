"""Who is calling: one authentication point for every HTTP request and WebSocket, plus CSRF and headers.

``AuthMiddleware`` runs before routing, so a route someone adds later is protected without anyone
remembering to add a dependency. Only ``PUBLIC_ROUTES`` and the static files pass without credentials.
Credentials, in order: ``Authorization: Bearer TOKEN``; for WebSockets also ``?token=TOKEN``; the
HttpOnly session cookie. Cookie requests that change state must carry ``X-CSRF-Token`` equal to the
session's CSRF token (also in the JS-readable ``wawai_csrf`` cookie); bearer requests are exempt.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wawai import accounts
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


class AuthMiddleware:
    """Puts the signed-in user in ``scope["state"]["user"]``, or answers 401/403 itself."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session]) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
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
