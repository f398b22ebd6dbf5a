"""WebSocket /api/events: EventBus messages pushed to signed-in browsers as JSON.

Authentication happened in AuthMiddleware (cookie, ``?token=`` or Bearer). A message about a camera
(``camera_id`` key; incidents, camera status) goes only to users who may see that camera; one about
a group without a camera (``group`` key: complaints, by department) only to users of that group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from wawai.bus import Message
from wawai.db.users import Role, User
from wawai.queues import Closed
from wawai.stage import StageContext

log = logging.getLogger(__name__)
router = APIRouter()


def visible_to(user: User, message: Message, ctx: StageContext) -> bool:
    if message.get("audience") == "admin" and not user.has_role(Role.ADMIN):
        return False  # config.reloaded / config.error: file names and errors are for admins
    camera_id = message.get("camera_id")
    if camera_id is None:
        incident: Any = message.get("incident")
        camera_id = incident.get("camera_id") if isinstance(incident, dict) else None
    if camera_id is None:
        group = message.get("group")
        return group is None or user.may_see_group(str(group))
    camera = ctx.config.cameras.get(str(camera_id))
    return camera is not None and user.may_see_group(camera.group)


@router.websocket("/api/events")
async def events(websocket: WebSocket) -> None:
    user: User | None = websocket.scope.get("state", {}).get("user")
    if user is None:  # the middleware refuses first; this is the second lock
        await websocket.close(code=4401)
        return
    ctx: StageContext = websocket.app.state.ctx
    queue = ctx.bus.subscribe(maxsize=500)
    await websocket.accept()
    # Read the socket too, so a closed browser ends the forwarding at once.
    reader = asyncio.create_task(_drain(websocket))
    try:
        while not reader.done():
            getter = asyncio.ensure_future(queue.get_async())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            message = getter.result()
            if visible_to(user, message, ctx):
                # default=str: a stage's datetime or Path must not end the browser's feed
                await websocket.send_text(json.dumps(message, default=str))
    except (WebSocketDisconnect, Closed, RuntimeError):
        pass
    finally:
        ctx.bus.unsubscribe(queue)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _drain(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
