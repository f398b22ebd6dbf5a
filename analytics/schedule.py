"""Rule schedules: "HH:MM-HH:MM" in the site's local time; a range past midnight wraps."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def in_schedule(schedule: str | None, epoch: float, tz: ZoneInfo) -> bool:
    """Whether ``epoch`` (seconds) falls in the schedule; no schedule means always."""
    if not schedule:
        return True
    start_text, end_text = schedule.split("-")
    start, end = minutes(start_text), minutes(end_text)
    local = datetime.fromtimestamp(epoch, tz)
    now = local.hour * 60 + local.minute
    if start == end:
        return True  # "00:00-00:00": the whole day
    if start < end:
        return start <= now < end
    return now >= start or now < end
