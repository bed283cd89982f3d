"""Accounts and roles: creating users, checking passwords and guarding views by role."""
from __future__ import annotations

import hmac
import secrets
from functools import cache, wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.extensions import db, login_manager
from shop.models import ROLES, User


class NotPermitted(Exception):
    """The actor may not do this to that object."""


def normalise_email(email: str) -> str:
    """Return the canonical (trimmed, lower-cased) form of an e-mail address."""
    return email.strip().lower()


def create_user(
    session: Session, *, email: str, password: str, name: str = "", role: str = "customer", unit_id: int | None = None
) -> User:
    """Add a user with a hashed password.

    Raises:
        ValueError: for an unknown role, or staff without a unit.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "staff" and unit_id is None:
        raise ValueError("staff must belong to a unit")
    user = User(
        email=normalise_email(email),
        password_hash=generate_password_hash(password),
        name=name,
        role=role,
        unit_id=unit_id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with this e-mail and password, or None."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        # Hash anyway, so the answer takes as long as for a real account: the time it takes must
        # not tell which e-mail addresses have an account.
        check_password_hash(_unknown_user_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@cache
def _unknown_user_hash() -> str:
    """A hash made the way real passwords are hashed, compared against when the e-mail is unknown."""
    return generate_password_hash(secrets.token_urlsafe(16))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session names, if that session is still valid (see User.session_id)."""
    user_id, _, _digest = session_id.partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not hmac.compare_digest(user.session_id, session_id):
        return None  # unknown, or the password changed since this session was made
    # A deactivated account loses its sessions at once, not only at the next login.
    return user if user.active else None


def role_required(*roles: str):
    """Allow the view only to logged-in users with one of these roles (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
