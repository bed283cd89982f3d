"""Shop models: user accounts and their roles."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Unit, utcnow
from shop.extensions import db

ROLES = {
    "customer": _l("Customer"),
    "staff": _l("Workshop staff"),
    "coordinator": _l("National coordinator"),
    "admin": _l("Administrator"),
}


class User(UserMixin, db.Model):
    """Someone who logs in: a customer, staff of one unit, a coordinator or an administrator."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'coordinator', 'admin')", name="role"),
        CheckConstraint("role != 'staff' OR unit_id IS NOT NULL", name="staff_has_unit"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(12), default="customer")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot log in
        return self.active
