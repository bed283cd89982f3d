"""Account rules: creating users, checking passwords, registering, password resets and ending sessions.

Plain functions that take a session; they flush and never commit.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts.models import ROLES, User

RESET_SALT = "password-reset"


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


class WrongPassword(Exception):
    """The current password given does not match the account's."""


class InvalidResetToken(Exception):
    """The password-reset link is expired, altered, already used or for an inactive account."""


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


def user_for_session(session: Session, session_id: str) -> User | None:
    """The active user a session cookie names, if that session is still valid (see User.session_id)."""
    user_id, _, _digest = session_id.partition(".")
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 10:
        return None
    user = session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_id.encode(), session_id.encode()):
        return None  # unknown, logged out, or the password changed since this session was made
    # A deactivated account loses its sessions at once, not only at the next login.
    return user if user.active else None


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of the account (logging out): each cookie made before this stops working."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def find_active_user(session: Session, email: str) -> User | None:
    """Return the active user with this e-mail address (in any case), or None."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    return user if user is not None and user.active else None


def register_customer(session: Session, *, name: str, email: str, password: str) -> User:
    """Create a customer account with a hashed password.

    Raises:
        EmailTaken: when the address (in any case) already has an account.
    """
    if session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None:
        raise EmailTaken(email)
    try:
        # A savepoint: someone registering the same address between our check and our insert
        # undoes only this insert, never the caller's other work.
        with session.begin_nested():
            return create_user(session, email=email, password=password, name=name.strip(), role="customer")
    except IntegrityError as error:
        raise EmailTaken(email) from error


def set_password(user: User, password: str) -> None:
    """Store a new hash for this password (which also ends its sessions and outstanding reset links)."""
    user.password_hash = generate_password_hash(password)


def change_password(user: User, *, current: str, new: str) -> None:
    """Replace the password after checking the current one.

    Raises:
        WrongPassword: when `current` is not the account's password.
    """
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword()
    set_password(user, new)


def _serializer(secret_key) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def _hash_fingerprint(user: User) -> str:
    # Binds a token to the current password: every new hash (new random salt) changes this, so a
    # token stops working once it has been used. The token is readable (signed, not encrypted), so
    # it carries a digest of the stored hash rather than a piece of it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key) -> str:
    """Sign a reset token for this user that is bound to their current password hash.

    secret_key may be a list, the signing key last (older keys before it verify during a rotation).
    """
    return _serializer(secret_key).dumps({"user": user.id, "h": _hash_fingerprint(user)})


def user_for_reset_token(session: Session, token: str, secret_key, *, max_age: int) -> User:
    """Return the user a valid reset token was made for.

    Raises:
        InvalidResetToken: when the token is older than max_age seconds, altered, already used
            (the password has changed since) or belongs to an inactive or deleted account.
    """
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except BadData as error:  # also covers SignatureExpired
        raise InvalidResetToken() from error
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("h"), str) \
            or isinstance(data["user"], bool) or not 0 < data["user"] < 2**31:
        raise InvalidResetToken()
    user = session.get(User, data["user"])
    if user is None or not user.active:
        raise InvalidResetToken()
    if not hmac.compare_digest(_hash_fingerprint(user).encode(), data["h"].encode()):
        raise InvalidResetToken()
    return user
