"""Named wall layouts, saved per user: a grid size and the camera shown in each tile."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wawai.db.base import Base, UTCDateTime, utcnow

GRID_SIZES = (1, 2, 3, 4)  # tiles per side: 1, 2x2, 3x3, 4x4


class WallLayout(Base):
    __tablename__ = "wall_layouts"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    grid: Mapped[int] = mapped_column(Integer, default=2)
    # JSON list, one entry per tile in reading order: a camera id or null for an empty tile.
    tiles_json: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def tiles(self) -> list[str | None]:
        return [None if tile is None else str(tile) for tile in json.loads(self.tiles_json or "[]")]

    @tiles.setter
    def tiles(self, tiles: list[str | None]) -> None:
        self.tiles_json = json.dumps(tiles)
