"""Invitations: a one-time link, valid 72 hours, with which an invited person chooses their own password."""
from __future__ import annotations

import html
import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from factories import NOW, make_unit
from shop.accounts import services as accounts
from shop.accounts.models import User
from shop.accounts.services import make_invitation_token, make_reset_token
from shop.core.actor import Actor
from shop.core.audit import AuditEvent
from shop.mail import OutboxMessage

HOST = "verkstedbutikken.test"
PASSWORD = "mitt-eget-passord"
ADMIN = Actor(user_id=None, role="admin")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english(client) -> None:
    client.set_cookie("lang", "en", domain=HOST)


def logged_in_as(client) -> str | None:
    with client.session_transaction() as cookie:
        return cookie.get("_user_id")


def invited(session, role="staff", email="ny@example.no") -> User:
    unit = make_unit(session, name="Bastøy fengsel") if role == "staff" else None
    user = accounts.invite(session, ADMIN, email=email, name="Nina Ny", role=role,
                           unit_id=unit.id if unit else None, now=NOW)
    session.commit()
    return user


def invitation_path(app, user: User) -> str:
    return f"/invitasjon/{make_invitation_token(user, app.config['SECRET_KEY'])}"


def accept(client, path: str, password: str = PASSWORD, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm": confirm if confirm is not None else password})


def test_the_link_from_the_coordinators_email_sets_the_password_and_logs_in(client, session, login_as):
    unit = make_unit(session)
    session.commit()
    login_as("coordinator")
    client.post("/coordinator/personer/inviter", data={"name": "Nina Ny", "email": "ny@example.no", "role": "staff",
                                                      "unit_id": str(unit.id)})
    client.post("/logg-ut")
    message = session.scalars(select(OutboxMessage)).one()
    path = re.search(rf"http://{re.escape(HOST)}(/invitasjon/\S+)", message.body).group(1)

    form = page(client.get(path))
    response = accept(client, path)

    assert "ny@example.no" in form and 'autocomplete="new-password"' in form
    assert 'name="robots" content="noindex"' in form and 'name="referrer" content="no-referrer"' in form
    assert response.status_code == 302 and response.headers["Location"] == "/workshop"
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "ny@example.no"))
    assert check_password_hash(user.password_hash, PASSWORD) and accounts.usable_password(user)
    assert logged_in_as(client) == user.session_id
    assert client.get("/workshop").status_code == 200
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.invitation_accepted"))
    assert (event.actor_user_id, event.object_id, event.unit_id) == (user.id, user.id, unit.id)
    assert PASSWORD not in message.body


def test_a_coordinator_lands_on_the_coordinators_start_page(app, client, session):
    user = invited(session, role="coordinator")

    response = accept(client, invitation_path(app, user))

    assert response.headers["Location"] == "/coordinator"
    assert client.get("/coordinator").status_code == 200


def test_the_link_works_only_once(app, client, session):
    user = invited(session)
    path = invitation_path(app, user)
    accept(client, path)
    client.post("/logg-ut")
    english(client)

    response = accept(client, path, "angriperens-passord")

    assert response.status_code == 400
    assert "This invitation link does not work." in page(response)
    assert logged_in_as(client) is None
    session.expire_all()
    assert check_password_hash(session.get(User, user.id).password_hash, PASSWORD)


def test_the_link_works_for_72_hours_and_no_longer(app, client, session, monkeypatch):
    user = invited(session)
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 72 * 3600 + 60)
        fresh = invitation_path(app, user)
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 72 * 3600 - 1)
        expired = invitation_path(app, user)
    english(client)

    assert client.get(expired).status_code == 400
    assert "This invitation link does not work." in page(client.get(expired))
    assert client.get(fresh).status_code == 200
    assert accept(client, expired).status_code == 400
    session.expire_all()
    assert not accounts.usable_password(session.get(User, user.id))


def test_a_mismatched_password_is_refused_and_the_link_still_works(app, client, session):
    user = invited(session)
    path = invitation_path(app, user)
    english(client)

    response = accept(client, path, PASSWORD, "noe-annet-helt")
    short = accept(client, path, "kort", "kort")

    assert response.status_code == 400 and "The two passwords are not the same." in page(response)
    assert short.status_code == 400 and "Use at least 10 characters." in page(short)
    assert client.get(path).status_code == 200
    assert logged_in_as(client) is None


def test_a_reset_link_is_no_invitation_and_an_invitation_no_reset_link(app, client, session):
    """They are signed apart: a one-hour reset link must not work for 72 hours as an invitation."""
    user = invited(session)
    reset_token = make_reset_token(user, app.config["SECRET_KEY"])
    invitation_token = make_invitation_token(user, app.config["SECRET_KEY"])

    assert client.get(f"/invitasjon/{reset_token}").status_code == 400
    assert client.get(f"/nytt-passord/{invitation_token}").status_code == 400
    assert client.get(f"/invitasjon/{invitation_token}").status_code == 200


def test_a_deactivated_accounts_invitation_does_not_work(app, client, session):
    user = invited(session)
    path = invitation_path(app, user)
    accounts.deactivate(session, ADMIN, user.id, now=NOW)
    session.commit()

    assert client.get(path).status_code == 400
    assert accept(client, path).status_code == 400


def test_an_account_with_a_password_has_no_invitation_to_accept(app, client, session):
    """A token made for an account that set its password (through a reset link, say) does not work."""
    user = accounts.create_user(session, email="har@example.no", password="passord123", role="staff",
                                unit_id=make_unit(session).id)
    session.commit()

    assert client.get(invitation_path(app, user)).status_code == 400


@pytest.mark.parametrize("tamper", ["altered", "garbage", "other-key"])
def test_a_tampered_link_is_refused(app, client, session, tamper):
    user = invited(session)
    token = make_invitation_token(user, app.config["SECRET_KEY"])
    token = {"altered": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), "garbage": "x" * 300,
             "other-key": make_invitation_token(user, "a-different-secret")}[tamper]

    assert client.get(f"/invitasjon/{token}").status_code == 400
    assert accept(client, f"/invitasjon/{token}").status_code == 400


def test_an_invited_account_cannot_log_in_before_accepting_and_costs_a_hash_check(session, monkeypatch):
    user = invited(session)
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real_check(stored, password))

    assert accounts.authenticate(session, user.email, "hva-som-helst") is None
    assert accounts.authenticate(session, "ukjent@example.no", "hva-som-helst") is None
    assert len(checked) == 2 and checked[0] == checked[1]  # the same dummy hash: it takes as long as a real one
    assert not checked[0].startswith(accounts.UNUSABLE_PREFIX)


def test_the_invitation_email_says_who_invited_and_how_long_the_link_works(app, client, session, login_as):
    unit = make_unit(session, name="Bastøy fengsel")
    session.commit()
    login_as("coordinator", name="Kari Koordinator")
    app.config["INVITATION_MAX_AGE"] = 48 * 3600

    client.post("/coordinator/personer/inviter", data={"name": "Nina Ny", "email": "ny@example.no", "role": "staff",
                                                      "unit_id": str(unit.id)})

    message = session.scalars(select(OutboxMessage)).one()
    assert "Kari Koordinator" in message.body and "Bastøy fengsel" in message.body and "48" in message.body
    assert "ny@example.no" in message.body
    assert re.search(rf"http://{re.escape(HOST)}/invitasjon/\S+", message.body)
    assert message.subject.strip()


def test_of_two_uses_of_one_link_at_the_same_moment_only_the_first_counts(app, session):
    """Both requests checked the link before either wrote: the second write finds the hash changed."""
    from sqlalchemy import update
    from werkzeug.security import generate_password_hash

    from shop.extensions import db

    user = invited(session)
    token = make_invitation_token(user, app.config["SECRET_KEY"])
    second = accounts.user_for_invitation_token(session, token, app.config["SECRET_KEY"], max_age=3600)
    # The first request writes its password (on a connection of its own) after the second one checked the link.
    with db.engine.begin() as first:
        first.execute(update(User).where(User.id == user.id).values(password_hash=generate_password_hash(PASSWORD)))

    with pytest.raises(accounts.InvalidInvitation):
        accounts.accept_invitation(session, second, "angriperens-passord", now=NOW)
    session.rollback()
    assert check_password_hash(session.get(User, user.id).password_hash, PASSWORD)
