"""The audit log's hash chain: what a row's SHA-256 covers, and walking the chain to find tampering.

A row's hash covers the previous row's hash and every column of the row (id, time, user, action, camera,
detail as canonical JSON). Editing a row changes its hash; deleting one leaves the next row pointing at a
hash that is no longer there. Deleting the newest rows leaves a shorter but valid chain: compare the head
``wawai audit verify`` prints with one noted earlier (or kept elsewhere) to see that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first row


def canonical(detail: Any) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev_hash: str | None, row_id: int, at: datetime, user_name: str, action: str,
             camera_id: str | None, detail: Any) -> str:
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    body = "\n".join([
        prev_hash or GENESIS, str(row_id), moment.isoformat(timespec="microseconds"), user_name, action,
        camera_id or "", canonical(detail),
    ])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    id: int
    at: datetime
    user_name: str
    action: str
    camera_id: str | None
    detail: Any
    prev_hash: str | None
    hash: str | None


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head: str | None  # the newest row's hash
    problem: str | None  # None: intact
    row_id: int | None = None  # the row where the chain breaks

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(rows: Iterable[ChainRow]) -> ChainReport:
    """Walk rows oldest first; the first row whose hash or link does not hold is named."""
    previous: str | None = None
    count = 0
    for row in rows:
        count += 1
        if row.hash is None:
            return ChainReport(count, previous, f"audit row {row.id} has no hash (written outside the app?)",
                               row.id)
        if (row.prev_hash or None) != previous:
            reason = f"audit row {row.id} does not follow the row before it: a row before it was deleted"
            return ChainReport(count, previous, reason, row.id)
        expected = row_hash(row.prev_hash, row.id, row.at, row.user_name, row.action, row.camera_id,
                            row.detail)
        if expected != row.hash:
            reason = f"audit row {row.id} was changed after it was written"
            return ChainReport(count, previous, reason, row.id)
        previous = row.hash
    return ChainReport(count, previous, None)
