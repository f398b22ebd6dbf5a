"""Users, sign-in, the caller's own settings, API tokens, and the site facts pages need."""

from __future__ import annotations

from pydantic import BaseModel

from webui.models.common import OpenModel


class SiteInfo(BaseModel):
    name: str
    timezone: str  # site.timezone: pages show times in it


class UserInfo(OpenModel):
    name: str
    role: str
    groups: list[str]
    language: str = "en"
    site: SiteInfo | None = None  # GET /api/auth/me and /api/me; not in the sign-in answer


class LoginAnswer(OpenModel):
    user: UserInfo
    csrf: str


class UserAccount(BaseModel):
    """A user as admins see them (GET /api/users): never a password or a token."""

    name: str
    role: str
    groups: list[str]
    disabled: bool
    created_at: str
    tokens: int  # how many API tokens the user has


class TokenInfo(BaseModel):
    id: int
    user: str
    label: str
    created_at: str
    last_used_at: str | None


class NewTokenAnswer(TokenInfo):
    token: str  # shown in this one answer only
