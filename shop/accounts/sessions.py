"""Logged-in sessions: which user a request belongs to, starting a session at login and ending it."""
from __future__ import annotations

from flask import session
from flask_login import login_user, logout_user

from shop.accounts import services
from shop.accounts.models import User
from shop.cart import services as cart
from shop.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session names, if that session is still valid (see User.session_id)."""
    return services.user_for_session(db.session, session_id)


def start_session(user: User) -> None:
    """Log the user in on a fresh session, bringing the guest's cart into the account's cart."""
    cart.merge(db.session, user.id, cart.clean(session.get("cart")))
    # A new identity gets a new session: nothing set before the login (a planted value, the old
    # CSRF token, the guest cart just merged) carries over. The language is a cookie of its own.
    session.clear()
    login_user(user)


def end_session(user: User | None) -> None:
    """Log out here, and make every copy of this session's cookie useless (the caller commits)."""
    if user is not None and user.is_authenticated:
        services.end_sessions(db.session, user.id)
    logout_user()
    # Nothing of the account's session stays behind on a shared computer.
    session.clear()
