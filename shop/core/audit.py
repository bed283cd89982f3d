"""The audit log: who did what to which object, and when. Every package writes through record()."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.core.time import utcnow
from shop.extensions import db


class AuditEvent(db.Model):
    """Who did what to which object, and when (staff and coordinator actions)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    # The unit the event concerns, so the unit can see what was decided about its work.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


def record(session: Session, actor_user_id: int | None, action: str, object_type: str, object_id: int,
           detail: str = "", *, unit_id: int | None = None, now: datetime | None = None) -> AuditEvent:
    """Add an audit event to the session; it is written with the change it describes."""
    event = AuditEvent(actor_user_id=actor_user_id, action=action, object_type=object_type, object_id=object_id,
                       detail=detail, unit_id=unit_id, **({"created_at": now} if now is not None else {}))
    session.add(event)
    return event
