"""Bounded request values shared by the routes: numbers a database column can hold, finite times.

Out-of-range input answers 404 (an id that cannot exist) or 400 with a one-line reason, never a 500
from the database driver (SQLite integers are 64-bit) or from datetime arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException, Query

DB_INT_MAX = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
MAX_PAGE_NUMBER = 1_000_000  # 50 per page: 50 million rows deep is past any real search

PageNumber = Annotated[int, Query(ge=1, description=f"1 to {MAX_PAGE_NUMBER:,}")]


def page_or_400(page: int) -> int:
    if page > MAX_PAGE_NUMBER:
        raise HTTPException(status_code=400, detail=f"page is at most {MAX_PAGE_NUMBER:,}")
    return page


def db_id_exists(value: int) -> bool:
    """Whether ``value`` can be a row id at all (past 64 bits the driver raises instead of finding none)."""
    return 1 <= value <= DB_INT_MAX


def utc_or_400(value: datetime, name: str) -> datetime:
    """``value`` in UTC (no zone: UTC); a time that leaves datetime's range there is a 400."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        detail = f"{name} is out of range (years 1 to 9999, UTC)"
        raise HTTPException(status_code=400, detail=detail) from None
