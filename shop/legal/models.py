"""A legal page's text in one language, as the coordinator last saved it (the shipped default when there is no row)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.time import utcnow
from shop.extensions import db


class LegalPage(db.Model):
    """The coordinator's text of one page in one language, in Markdown with {placeholders} for the seller."""

    __tablename__ = "legal_page"
    __table_args__ = (UniqueConstraint("slug", "locale", name="uq_legal_page_slug_locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
