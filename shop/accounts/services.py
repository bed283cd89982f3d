"""Account rules: creating users, checking passwords, registering, password resets, ending sessions, and the
coordinator's people: invitations, moving staff between units, deactivating accounts.

Plain functions that take a session; they flush and never commit.

Invitations are built on the password-reset mechanism. An invited account gets an unusable password hash
(UNUSABLE_PREFIX and a random part, which no password matches), and the invitation link is a signed,
time-limited token bound to that hash, as a reset link is: accepting it sets a real password, which
changes the hash, so the link works once. Sending the invitation again draws a new random hash, so
only the newest link works. Invitation tokens are signed with a salt of their own, so a one-hour reset
link cannot be used as a 72-hour invitation, nor the other way round.

Who may do what to whom (the coordinator's people pages):
- coordinators and admins invite staff (always of a unit) and coordinators; only an admin invites an
  admin, and only an admin changes or deactivates an admin's account;
- nobody deactivates their own account, and the last active coordinator or admin cannot be deactivated;
- deactivating ends the account's sessions at once; every change writes an AuditEvent.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from catalogue.models import Unit
from shop.accounts.models import ROLES, User
from shop.core import audit
from shop.core.actor import NATIONAL_ROLES, Actor, NotPermitted
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate

RESET_SALT = "password-reset"
INVITATION_SALT = "invitation"
# No password hash werkzeug makes starts like this (theirs are "method$salt$hash"), so no password matches it.
UNUSABLE_PREFIX = "!unusable:"
# The accounts the coordinator's people pages keep (customers keep their own).
WORK_ROLES = ("staff", "coordinator", "admin")
# Which roles each role may invite.
MAY_INVITE = {"coordinator": ("staff", "coordinator"), "admin": ("staff", "coordinator", "admin")}


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


class WrongPassword(Exception):
    """The current password given does not match the account's."""


class InvalidResetToken(Exception):
    """The password-reset link is expired, altered, already used or for an inactive account."""


class InvalidInvitation(InvalidResetToken):
    """The invitation link is expired, altered, already used, replaced by a newer one, or for an inactive account."""


class PersonNotFound(LookupError):
    """There is no such staff, coordinator or admin account."""


class InvalidPerson(ValueError):
    """The account's data breaks a rule; field names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class CannotDeactivate(Exception):
    """The account may not be deactivated: reason is "self" or "last_national"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotPending(Exception):
    """The invitation was accepted already (the account has a password), so there is nothing to send again."""


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
    if user is None or not usable_password(user):
        # Hash anyway, so the answer takes as long as for a real account: the time it takes must
        # not tell which e-mail addresses have an account (or an invitation not yet accepted).
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


def _serializer(secret_key, salt: str = RESET_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


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
    return _user_for_token(session, token, secret_key, max_age=max_age, salt=RESET_SALT, error=InvalidResetToken)


def _user_for_token(session: Session, token: str, secret_key, *, max_age: int, salt: str, error: type[Exception]):
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age)
    except BadData as bad:  # also covers SignatureExpired
        raise error() from bad
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("h"), str) \
            or isinstance(data["user"], bool) or not 0 < data["user"] < 2**31:
        raise error()
    user = session.get(User, data["user"])
    if user is None or not user.active:
        raise error()
    if not hmac.compare_digest(_hash_fingerprint(user).encode(), data["h"].encode()):
        raise error()
    return user


# Invitations

def unusable_password_hash() -> str:
    """A password hash no password matches, random so that each invitation binds to its own."""
    return UNUSABLE_PREFIX + secrets.token_urlsafe(32)


def usable_password(user: User) -> bool:
    """False while the account waits for its invitation to be accepted (it has no password yet)."""
    return not user.password_hash.startswith(UNUSABLE_PREFIX)


def make_invitation_token(user: User, secret_key) -> str:
    """Sign an invitation token for this user, bound to their current (unusable) password hash."""
    return _serializer(secret_key, INVITATION_SALT).dumps({"user": user.id, "h": _hash_fingerprint(user)})


def user_for_invitation_token(session: Session, token: str, secret_key, *, max_age: int) -> User:
    """Return the invited user a valid invitation token was made for.

    Raises:
        InvalidInvitation: the token is older than max_age seconds, altered, used already (the account
            has a password now), replaced by a newer invitation, or for an inactive or deleted account.
    """
    user = _user_for_token(session, token, secret_key, max_age=max_age, salt=INVITATION_SALT,
                           error=InvalidInvitation)
    if usable_password(user):
        raise InvalidInvitation()
    return user


def accept_invitation(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Set the invited user's own password (which makes the invitation link stop working).

    One conditional UPDATE against the hash the link was checked against: of two uses of one link at the
    same moment (or a use and a new invitation), only the first changes anything.

    Raises:
        InvalidInvitation: the account's hash changed since the link was checked.
    """
    checked, new_hash = user.password_hash, generate_password_hash(password)
    if not checked.startswith(UNUSABLE_PREFIX):
        raise InvalidInvitation()
    done = session.execute(update(User).where(User.id == user.id, User.password_hash == checked)
                           .values(password_hash=new_hash).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise InvalidInvitation()
    session.refresh(user)
    audit.record(session, user.id, "user.invitation_accepted", "user", user.id, user.email, unit_id=user.unit_id,
                 now=now)


def invite(session: Session, actor: Actor, *, email: str, name: str, role: str, unit_id: int | None,
           now: datetime) -> User:
    """Create a staff, coordinator or admin account without a password; the caller sends the invitation.

    Raises:
        NotPermitted: the actor may not invite this role (see MAY_INVITE).
        InvalidPerson: staff without a unit, an unknown unit, or no name.
        EmailTaken: the address (in any case) already has an account.
    """
    if role not in MAY_INVITE.get(actor.role, ()):
        raise NotPermitted(f"{actor.role} may not invite {role}")
    name = name.strip()
    if not name:
        raise InvalidPerson("name", "a name is required")
    _check_unit(session, role, unit_id)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidPerson("email", "not an e-mail address")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(email)
    user = User(email=email, password_hash=unusable_password_hash(), name=name, role=role, unit_id=unit_id)
    try:
        with session.begin_nested():  # the same address invited at the same moment undoes only this insert
            session.add(user)
            session.flush()
    except IntegrityError as error:
        raise EmailTaken(email) from error
    audit.record(session, actor.user_id, "user.invited", "user", user.id, f"{user.email} ({role})", unit_id=unit_id,
                 now=now)
    return user


def renew_invitation(session: Session, actor: Actor, user_id: int, *, now: datetime) -> User:
    """Make a new invitation possible (a new unusable hash: earlier links stop working); the caller sends it.

    Raises:
        PersonNotFound, NotPermitted: see load_person and the admin rule.
        NotPending: the account has accepted its invitation (or set a password) already.
        InvalidPerson: the account is deactivated (reactivate it first).
    """
    user = _changeable(session, actor, user_id)
    if usable_password(user):
        raise NotPending(user_id)
    if not user.active:
        raise InvalidPerson("active", "the account is deactivated")
    user.password_hash = unusable_password_hash()
    session.flush()
    audit.record(session, actor.user_id, "user.invitation_resent", "user", user.id, user.email, unit_id=user.unit_id,
                 now=now)
    return user


# The coordinator's people

@dataclass(frozen=True)
class Person:
    """One row of the people list."""

    id: int
    name: str
    email: str
    role: str
    unit_id: int | None
    unit_name: str
    active: bool
    invited: bool  # waiting for the invitation to be accepted
    created_at: datetime


PERSON_STATUSES = ("active", "invited", "inactive")


def people(session: Session, actor: Actor, *, role: str | None = None, unit_id: int | None = None,
           status: str | None = None, text: str = "", page: int = 1, per_page: int = 50) -> Page[Person]:
    """Staff, coordinators and admins by name, filtered by role, unit, status (PERSON_STATUSES: active,
    invited and not yet accepted, deactivated) and a text in the name or e-mail.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        PageOutOfRange: past the last page.
    """
    _require_national(actor)
    stmt = (select(User, Unit.name).outerjoin(Unit, Unit.id == User.unit_id)
            .where(User.role.in_((role,) if role in WORK_ROLES else WORK_ROLES)))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif status == "invited":
        stmt = stmt.where(User.active.is_(True), User.password_hash.startswith(UNUSABLE_PREFIX, autoescape=True))
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(func.lower(User.name).like(pattern, escape=LIKE_ESCAPE),
                              User.email.like(pattern, escape=LIKE_ESCAPE)))
    result = paginate(session, stmt.order_by(func.lower(User.name), User.id), page=page, per_page=per_page,
                      scalars=False)
    return result.with_items([
        Person(id=user.id, name=user.name, email=user.email, role=user.role, unit_id=user.unit_id,
               unit_name=unit_name or "", active=user.active, invited=not usable_password(user),
               created_at=user.created_at)
        for user, unit_name in result.items])


def person_choices(session: Session) -> list[tuple[int, str]]:
    """(id, "name (e-mail)") of every staff, coordinator and admin account, by name: who can be in the log."""
    return [(user_id, f"{name} ({email})" if name else email) for user_id, name, email in session.execute(
        select(User.id, User.name, User.email).where(User.role.in_(WORK_ROLES)).order_by(func.lower(User.name), User.id))]


def load_person(session: Session, actor: Actor, user_id: int, *, lock: bool = False) -> User:
    """A staff, coordinator or admin account, for the coordinator.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        PersonNotFound: no such account, or a customer's.
    """
    _require_national(actor)
    user = session.get(User, user_id, with_for_update=lock)
    if user is None or user.role not in WORK_ROLES:
        raise PersonNotFound(user_id)
    return user


def may_change(actor: Actor, user: User) -> bool:
    """True when the actor may change this account: an admin's only an admin may."""
    return actor.is_national and (user.role != "admin" or actor.role == "admin")


def update_person(session: Session, actor: Actor, user_id: int, *, name: str, unit_id: int | None,
                  now: datetime) -> list[str]:
    """Rename the account or move it to another unit; return what changed ("name", "unit").

    A staff member moved to another unit acts for the new unit from their next request on.

    Raises:
        PersonNotFound, NotPermitted: see load_person and the admin rule.
        InvalidPerson: no name, staff without a unit, or an unknown unit.
    """
    user = _changeable(session, actor, user_id)
    name = name.strip()
    if not name:
        raise InvalidPerson("name", "a name is required")
    _check_unit(session, user.role, unit_id)
    changed = []
    if name != user.name:
        audit.record(session, actor.user_id, "user.updated", "user", user.id, f"{user.name} → {name}",
                     unit_id=user.unit_id, now=now)
        user.name = name
        changed.append("name")
    if unit_id != user.unit_id:
        names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_({user.unit_id, unit_id} - {None}))).all())
        audit.record(session, actor.user_id, "user.moved", "user", user.id,
                     f"{names.get(user.unit_id, '–')} → {names.get(unit_id, '–')}", unit_id=unit_id, now=now)
        user.unit_id = unit_id
        changed.append("unit")
    session.flush()
    return changed


def deactivate(session: Session, actor: Actor, user_id: int, *, now: datetime) -> bool:
    """Deactivate the account and end its sessions at once; False when it was inactive already.

    Raises:
        PersonNotFound, NotPermitted: see load_person and the admin rule.
        CannotDeactivate: it is the actor's own account, or the last active coordinator or admin.
    """
    user = load_person(session, actor, user_id)
    if not may_change(actor, user):
        raise NotPermitted("only an admin changes an admin's account")
    if user.id == actor.user_id:
        raise CannotDeactivate("self")
    if user.role in NATIONAL_ROLES:
        # Lock every active national account, in id order, before counting: two coordinators
        # deactivating each other at the same moment take the same locks in the same order (no
        # deadlock), count one after the other, and the second sees the first's change, so the shop
        # is never left without one.
        active = session.scalars(select(User.id).where(User.role.in_(NATIONAL_ROLES), User.active.is_(True))
                                 .order_by(User.id).with_for_update()).all()
        if user.id in active and len(active) < 2:
            raise CannotDeactivate("last_national")
    else:
        active = session.scalars(select(User.id).where(User.id == user.id, User.active.is_(True))
                                 .with_for_update()).all()
    if user.id not in active:
        return False
    session.execute(update(User).where(User.id == user.id).values(active=False))
    end_sessions(session, user.id)
    session.refresh(user)
    audit.record(session, actor.user_id, "user.deactivated", "user", user.id, user.email, unit_id=user.unit_id, now=now)
    return True


def reactivate(session: Session, actor: Actor, user_id: int, *, now: datetime) -> bool:
    """Let the account log in again; False when it was active already. Its old sessions stay ended.

    Raises:
        PersonNotFound, NotPermitted: see load_person and the admin rule.
    """
    user = _changeable(session, actor, user_id)
    if user.active:
        return False
    user.active = True
    session.flush()
    audit.record(session, actor.user_id, "user.reactivated", "user", user.id, user.email, unit_id=user.unit_id, now=now)
    return True


def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator keeps the people")


def _changeable(session: Session, actor: Actor, user_id: int) -> User:
    user = load_person(session, actor, user_id, lock=True)
    if not may_change(actor, user):
        raise NotPermitted("only an admin changes an admin's account")
    return user


def _check_unit(session: Session, role: str, unit_id: int | None) -> None:
    if role == "staff" and unit_id is None:
        raise InvalidPerson("unit_id", "staff must belong to a unit")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise InvalidPerson("unit_id", f"no unit {unit_id}")
