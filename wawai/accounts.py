"""Users, passwords (argon2), API tokens and browser sessions: the rules both the CLI and the web use.

Only hashes are stored: argon2 for passwords (slow on purpose), SHA-256 for API tokens and session ids
(256 random bits each, so a fast hash is safe and lets us look them up).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from wawai.db.base import utcnow
from wawai.db.users import ApiToken, LoginAttempt, Role, User, WebSession

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "wawai_"  # noqa: S105 (a visible prefix so leaked tokens are recognisable)

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the answer time the same (no user probing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user-caused problem (bad name, short password, unknown user); the message says what to do."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def create_user(
    session: Session, name: str, password: str, role: Role | str, groups: list[str] | None = None
) -> User:
    if not USER_NAME.match(name):
        raise AccountError(f"user name {name!r}: use letters, digits and . _ @ - (at most 100)")
    try:
        role = Role(role)
    except ValueError as exc:
        raise AccountError(f"role {role!r}: use one of {', '.join(r.value for r in Role)}") from exc
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
    if find_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, password_hash=hash_password(password), role=role.value)
    user.groups = groups or []
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """New password; every browser session of the user ends (tokens stay: revoke them separately)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    """A disabled user cannot sign in, and their sessions and tokens stop working at once."""
    user.disabled = disabled
    if disabled:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()


GROUP_NAME = re.compile(r"^[^\x00-\x1f\x7f,]{1,100}$")  # a camera group: printable, no comma (CLI lists)


def set_role(session: Session, user: User, role: Role | str) -> None:
    try:
        user.role = Role(role).value
    except ValueError as exc:
        raise AccountError(f"role {role!r}: use one of {', '.join(r.value for r in Role)}") from exc
    session.flush()


def set_groups(session: Session, user: User, groups: list[str]) -> None:
    """Limit the user to these camera groups (empty: every camera)."""
    for group in groups:
        if not GROUP_NAME.match(group.strip()):
            raise AccountError(f"group {group!r}: 1 to 100 printable characters, no comma")
    user.groups = groups
    session.flush()


def authenticate(session: Session, name: str, password: str) -> User | None:
    user = find_user(session, name)
    # End the read before the slow password check: a cluster node's database ends transactions left
    # idle for half a lease (wawai.cluster.database), and argon2 on a busy machine can take that long.
    session.commit()
    if user is None or user.disabled:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


# --- API tokens ----------------------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str = "") -> str:
    """A new token for ``user``; the caller shows it once. Only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=digest(token)))
    session.flush()
    return token


def list_tokens(session: Session, user_name: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).join(User).order_by(User.name, ApiToken.id)
    if user_name is not None:
        query = query.where(User.name == user_name)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int) -> str | None:
    """Delete the token; returns the name of the user it belonged to (None: no such token)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        return None
    owner = row.user.name
    session.delete(row)
    session.flush()
    return owner


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.user.disabled:
        return None
    now = utcnow()
    # Write the last use at most once a minute: a busy client must not turn reads into writes.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        session.commit()
    return row.user


# --- browser sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    cookie: str  # goes in the HttpOnly session cookie; never stored
    csrf: str  # goes in the JS-readable CSRF cookie, and must come back in X-CSRF-Token
    expires_at: datetime


def create_web_session(session: Session, user: User, hours: float) -> NewSession:
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=hours)
    session.add(WebSession(user_id=user.id, session_hash=digest(cookie), csrf_token=csrf, expires_at=expires))
    session.flush()
    return NewSession(cookie=cookie, csrf=csrf, expires_at=expires)


def web_session_for(session: Session, cookie: str) -> WebSession | None:
    row = session.scalar(select(WebSession).where(WebSession.session_hash == digest(cookie)))
    if row is None or row.expires_at <= utcnow() or row.user.disabled:
        return None
    return row


def end_web_session(session: Session, cookie: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.session_hash == digest(cookie)))
    if row is not None:
        session.delete(row)
        session.flush()


# --- failed-login limiting ----------------------------------------------------------------------------


LOGIN_HISTORY = timedelta(days=7)  # attempts older than this are deleted (the limit windows are minutes)


def record_login(session: Session, user_name: str, address: str, success: bool) -> LoginAttempt:
    now = utcnow()
    attempt = LoginAttempt(user_name=user_name[:100], address=address[:64], success=success, at=now)
    session.add(attempt)
    # Housekeeping on the same path, so neither table grows without bound.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_HISTORY))
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return attempt


# Check-and-count is one step: concurrent wrong passwords cannot all pass the check before any is
# counted (40 at once got 16 argon2 checks against a limit of 5). One node process serves sign-ins.
_reserve_lock = threading.Lock()


def reserve_login(
    session: Session, user_name: str, address: str, *, window_seconds: float, max_per_user: int,
    max_per_address: int,
) -> tuple[float, int | None]:
    """``(0, attempt id)`` when this attempt may check a password, else ``(seconds to wait, None)``.

    The attempt is recorded (committed) as a failure *before* the slow password check; a right
    password then marks it a success with ``login_succeeded``.
    """
    with _reserve_lock:
        wait = login_blocked_for(session, user_name, address, window_seconds=window_seconds,
                                 max_per_user=max_per_user, max_per_address=max_per_address)
        if wait > 0:
            session.rollback()
            return wait, None
        attempt_id = record_login(session, user_name, address, success=False).id
        session.commit()
        return 0.0, attempt_id


def login_succeeded(session: Session, attempt_id: int) -> None:
    row = session.get(LoginAttempt, attempt_id)
    if row is not None:
        row.success = True
        session.flush()


def login_blocked_for(
    session: Session, user_name: str, address: str, *, window_seconds: float, max_per_user: int,
    max_per_address: int,
) -> float:
    """Seconds until another attempt is allowed (0: allowed now).

    Counts failures inside the window: per user name *from this address* (since the user's last
    successful sign-in), so a stranger's guesses block the stranger, not the operator at the wall;
    and per address, so one address cannot guess at many names. An attacker with many addresses is
    slowed by both limits times the addresses, which ``web.trusted_proxies`` keeps real.
    """
    now = utcnow()
    since = now - timedelta(seconds=window_seconds)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.user_name == user_name, LoginAttempt.success)
    )
    user_since = max(since, last_ok) if last_ok else since
    checks = (
        ((LoginAttempt.user_name == user_name) & (LoginAttempt.address == address), user_since, max_per_user),
        (LoginAttempt.address == address, since, max_per_address),
    )
    wait = 0.0
    for condition, start, limit in checks:
        failures = session.scalars(
            select(LoginAttempt.at).where(condition, ~LoginAttempt.success, LoginAttempt.at > start)
            .order_by(LoginAttempt.at.desc()).limit(limit)
        ).all()
        if len(failures) >= limit:
            # Blocked until the oldest of the last ``limit`` failures leaves the window.
            oldest = failures[-1]
            wait = max(wait, (oldest + timedelta(seconds=window_seconds) - now).total_seconds())
    return max(wait, 0.0)
