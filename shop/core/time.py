"""Time: stored in UTC, shown and counted in Europe/Oslo."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")  # promised dates, months in reports and "today" are Norwegian calendar days


def utcnow() -> datetime:
    """Return the current time in UTC (used as a column default, so it is called per row)."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """The same instant with its time zone: SQLite hands back naive datetimes for aware columns; they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def oslo_date(moment: datetime) -> date:
    """The calendar day in Norway at a moment (an invoice's date, its due date)."""
    return aware(moment).astimezone(OSLO).date()
