"""Customer self-service for accounts: registering, changing a password and resetting a forgotten one."""
from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts import create_user, normalise_email
from shop.models import User

RESET_SALT = "password-reset"


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


class WrongPassword(Exception):
    """The current password given does not match the account's."""


class InvalidResetToken(Exception):
    """The password-reset link is expired, altered, already used or for an inactive account."""


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
        return create_user(session, email=email, password=password, name=name.strip(), role="customer")
    except IntegrityError as error:
        # Someone registered the same address between our check and our insert. Nothing else is
        # pending in a registration request, so rolling back loses nothing.
        session.rollback()
        raise EmailTaken(email) from error


def set_password(user: User, password: str) -> None:
    """Store a new hash for this password (which also invalidates outstanding reset links)."""
    user.password_hash = generate_password_hash(password)


def change_password(user: User, *, current: str, new: str) -> None:
    """Replace the password after checking the current one.

    Raises:
        WrongPassword: when `current` is not the account's password.
    """
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword()
    set_password(user, new)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def _hash_fingerprint(user: User) -> str:
    # Binds a token to the current password: every new hash (new random salt) changes this, so a
    # token stops working once it has been used. The token is readable (signed, not encrypted), so
    # it carries a digest of the stored hash rather than a piece of it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    """Sign a reset token for this user that is bound to their current password hash."""
    return _serializer(secret_key).dumps({"user": user.id, "h": _hash_fingerprint(user)})


def user_for_reset_token(session: Session, token: str, secret_key: str, *, max_age: int) -> User:
    """Return the user a valid reset token was made for.

    Raises:
        InvalidResetToken: when the token is older than max_age seconds, altered, already used
            (the password has changed since) or belongs to an inactive or deleted account.
    """
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except BadData as error:  # also covers SignatureExpired
        raise InvalidResetToken() from error
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("h"), str):
        raise InvalidResetToken()
    user = session.get(User, data["user"])
    if user is None or not user.active:
        raise InvalidResetToken()
    if not hmac.compare_digest(_hash_fingerprint(user).encode(), data["h"].encode()):
        raise InvalidResetToken()
    return user
