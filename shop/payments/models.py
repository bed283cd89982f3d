"""Payment models: the provider events already handled (webhook idempotency)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.time import utcnow
from shop.extensions import db


class ProcessedEvent(db.Model):
    """A provider event already handled; the unique id makes webhook handling idempotent."""

    __tablename__ = "processed_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    processed_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
