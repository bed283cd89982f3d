"""Account models: the user and the roles a user can have."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Unit
from shop.core.time import utcnow
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
    # Raised by every logout: each session cookie names the version it was made under (session_id).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot log in
        return self.active

    @property
    def session_id(self) -> str:
        """What the session cookie names the user by: the id and a digest of the password hash and
        the session version.

        Kept on the server, the two end sessions: a new password (a new hash with a new random salt)
        ends every session made before it, and logging out raises the version, so a copy of the
        cookie taken before the logout no longer works. The cookie is signed but readable, so it
        carries a digest, not a piece of the hash.
        """
        digest = hashlib.sha256(f"{self.password_hash}\x1f{self.session_version or 0}".encode()).hexdigest()[:24]
        return f"{self.id}.{digest}"

    def get_id(self) -> str:  # Flask-Login
        return self.session_id
