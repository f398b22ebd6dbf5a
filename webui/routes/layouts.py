"""Named wall layouts of the signed-in user: GET /api/layouts, PUT and DELETE /api/layouts/{name}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from wawai.db.layouts import GRID_SIZES, WallLayout
from webui.deps import Ctx, CurrentUser, DbSession, visible_cameras
from webui.models import LayoutInfo

router = APIRouter()

LayoutName = Annotated[str, Path(min_length=1, max_length=100)]


class LayoutBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grid: int = Field(description="tiles per side: 1, 2, 3 or 4")
    tiles: list[str | None] = Field(default_factory=list, description="camera id per tile, reading order")

    @model_validator(mode="after")
    def _fits(self) -> LayoutBody:
        if self.grid not in GRID_SIZES:
            raise ValueError(f"grid must be one of {list(GRID_SIZES)}, not {self.grid}")
        tiles = self.grid * self.grid
        if len(self.tiles) > tiles:
            raise ValueError(f"a {self.grid}x{self.grid} layout has {tiles} tiles, not {len(self.tiles)}")
        return self


def layout_json(layout: WallLayout) -> dict[str, Any]:
    return {"name": layout.name, "grid": layout.grid, "tiles": layout.tiles, "updated_at": layout.updated_at}


@router.get("/api/layouts", response_model=list[LayoutInfo])
def list_layouts(user: CurrentUser, db: DbSession) -> list[dict[str, Any]]:
    rows = db.scalars(select(WallLayout).where(WallLayout.user_id == user.id).order_by(WallLayout.name))
    return [layout_json(row) for row in rows]


@router.put("/api/layouts/{name:path}", response_model=LayoutInfo)
def save_layout(
    name: LayoutName, body: LayoutBody, user: CurrentUser, ctx: Ctx, db: DbSession
) -> dict[str, Any]:
    allowed = {camera.id for camera in visible_cameras(user, ctx)}
    unknown = sorted({tile for tile in body.tiles if tile is not None and tile not in allowed})
    if unknown:
        raise HTTPException(status_code=422, detail=f"no camera you may see called {', '.join(unknown)}")
    layout = db.scalar(select(WallLayout).where(WallLayout.user_id == user.id, WallLayout.name == name))
    if layout is None:
        layout = WallLayout(user_id=user.id, name=name)
        db.add(layout)
    layout.grid = body.grid
    layout.tiles = list(body.tiles)
    db.commit()
    return layout_json(layout)


@router.delete("/api/layouts/{name:path}", status_code=204)
def delete_layout(name: LayoutName, user: CurrentUser, db: DbSession) -> Response:
    layout = db.scalar(select(WallLayout).where(WallLayout.user_id == user.id, WallLayout.name == name))
    if layout is None:
        raise HTTPException(status_code=404, detail=f"you have no layout called {name!r}")
    db.delete(layout)
    db.commit()
    return Response(status_code=204)
