"""The coordinator's people: invite staff and coordinators, move staff between units, deactivate accounts
(their sessions end at once), and who may do what to whom."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from factories import NOW, make_unit
from shop.accounts import services as accounts
from shop.accounts.models import User
from shop.accounts.services import create_user
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent
from shop.mail import OutboxMessage

HOST = "verkstedbutikken.test"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english(client) -> None:
    client.set_cookie("lang", "en", domain=HOST)


def error_by(text: str, field: str) -> str:
    found = re.search(rf'<p class="ds-validation-message"[^>]*id="{field}-error">([^<]*)</p>', text)
    return found.group(1) if found else ""


def events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def invitation_path(message: OutboxMessage) -> str:
    return re.search(rf"http://{re.escape(HOST)}(/invitasjon/\S+)", message.body).group(1)


def outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_person(session, role: str, *, unit=None, email=None, name="Per Person") -> User:
    user = create_user(session, email=email or f"{role}-{session.scalar(select(func.count(User.id))) + 1}@example.no",
                       password="passord123", name=name, role=role, unit_id=unit.id if unit else None)
    session.commit()
    return user


# Inviting

def test_the_coordinator_invites_staff_of_a_unit_who_get_a_link_and_no_password(client, session, login_as):
    unit = make_unit(session, name="Bastøy fengsel")
    session.commit()
    coordinator = login_as("coordinator", name="Kari Koordinator")

    form = page(client.get(f"/coordinator/personer/inviter?unit={unit.id}"))
    response = client.post("/coordinator/personer/inviter", data={
        "name": "Ola Verksted", "email": " Ola.Verksted@Example.NO ", "role": "staff", "unit_id": str(unit.id)})

    assert f'<option selected value="{unit.id}">' in form
    assert response.status_code == 303
    user = session.scalar(select(User).where(User.email == "ola.verksted@example.no"))
    assert response.headers["Location"] == f"/coordinator/personer/{user.id}"
    assert (user.name, user.role, user.unit_id, user.active) == ("Ola Verksted", "staff", unit.id, True)
    assert not accounts.usable_password(user)
    [message] = outbox(session)
    assert message.to == "ola.verksted@example.no"
    assert "Kari Koordinator" in message.body and "Bastøy fengsel" in message.body
    assert invitation_path(message).startswith("/invitasjon/")
    [event] = events(session, "user.invited")
    assert (event.actor_user_id, event.object_type, event.object_id, event.unit_id) == (
        coordinator.id, "user", user.id, unit.id)
    # Nobody can log in to the account before the link is used, with any password.
    client.post("/logg-ut")
    for guess in ("", "passord123", user.password_hash, user.password_hash.removeprefix(accounts.UNUSABLE_PREFIX)):
        assert accounts.authenticate(session, user.email, guess) is None


def test_staff_must_belong_to_a_unit_and_the_form_keeps_what_was_typed(client, session, login_as):
    login_as("coordinator")
    english(client)

    response = client.post("/coordinator/personer/inviter", data={
        "name": "Uten Enhet", "email": "uten@example.no", "role": "staff", "unit_id": ""})

    assert response.status_code == 400
    assert error_by(page(response), "unit_id") == "Workshop staff always belong to a unit. Choose one."
    assert 'value="Uten Enhet"' in page(response) and 'value="uten@example.no"' in page(response)
    assert session.scalar(select(User).where(User.email == "uten@example.no")) is None
    assert outbox(session) == []


def test_a_coordinator_invites_a_coordinator_but_not_an_admin(client, session, login_as):
    login_as("coordinator")

    form = page(client.get("/coordinator/personer/inviter"))
    coordinator = client.post("/coordinator/personer/inviter", data={
        "name": "Ny Koordinator", "email": "ny.koord@example.no", "role": "coordinator", "unit_id": ""})
    admin = client.post("/coordinator/personer/inviter", data={
        "name": "Ny Admin", "email": "ny.admin@example.no", "role": "admin", "unit_id": ""})

    assert 'value="admin"' not in form and 'value="coordinator"' in form
    assert coordinator.status_code == 303
    assert admin.status_code == 400
    assert session.scalar(select(User.role).where(User.email == "ny.koord@example.no")) == "coordinator"
    assert session.scalar(select(User).where(User.email == "ny.admin@example.no")) is None
    with pytest.raises(NotPermitted):
        accounts.invite(session, Actor(user_id=None, role="coordinator"), email="x@example.no", name="X", role="admin",
                        unit_id=None, now=NOW)


def test_an_admin_invites_an_admin(client, session, login_as):
    login_as("admin")

    response = client.post("/coordinator/personer/inviter", data={
        "name": "Ny Admin", "email": "ny.admin@example.no", "role": "admin", "unit_id": ""})

    assert response.status_code == 303
    assert session.scalar(select(User.role).where(User.email == "ny.admin@example.no")) == "admin"


def test_an_address_that_has_an_account_is_refused(client, session, login_as):
    make_person(session, "customer", email="kunde@example.no")
    login_as("coordinator")
    english(client)

    response = client.post("/coordinator/personer/inviter", data={
        "name": "Kunde", "email": "KUNDE@example.no", "role": "coordinator", "unit_id": ""})

    assert response.status_code == 400
    assert error_by(page(response), "email") == "There is already an account with this e-mail address."
    assert outbox(session) == []


@pytest.mark.parametrize("role", ["staff", "customer"])
def test_only_national_roles_invite_in_the_service(session, role):
    unit = make_unit(session)
    with pytest.raises(NotPermitted):
        accounts.invite(session, Actor(user_id=None, role=role, unit_id=unit.id), email="x@example.no", name="X",
                        role="staff", unit_id=unit.id, now=NOW)
    with pytest.raises(accounts.InvalidPerson):
        accounts.invite(session, Actor(user_id=None, role="admin"), email="y@example.no", name="Y", role="staff",
                        unit_id=None, now=NOW)


# Sending the invitation again

def test_a_new_invitation_replaces_the_old_link(client, session, login_as):
    unit = make_unit(session)
    session.commit()
    login_as("coordinator")
    client.post("/coordinator/personer/inviter", data={
        "name": "Ola", "email": "ola@example.no", "role": "staff", "unit_id": str(unit.id)})
    user_id = session.scalar(select(User.id).where(User.email == "ola@example.no"))

    response = client.post(f"/coordinator/personer/{user_id}/send-invitasjon")

    assert response.status_code == 303
    first, second = outbox(session)
    assert first.to == second.to == "ola@example.no"
    assert len(events(session, "user.invitation_resent")) == 1
    guest = client.application.test_client()
    assert guest.get(invitation_path(first)).status_code == 400
    assert guest.get(invitation_path(second)).status_code == 200


def test_an_accepted_invitation_is_not_sent_again(client, session, login_as):
    staff = make_person(session, "staff", unit=make_unit(session))  # has a password
    login_as("coordinator")
    english(client)

    response = client.post(f"/coordinator/personer/{staff.id}/send-invitasjon")

    assert response.status_code == 409
    assert "has accepted the invitation already" in page(response)
    assert outbox(session) == []


# Deactivating

def test_deactivating_ends_the_persons_sessions_at_once(app, client, session, login_as):
    unit = make_unit(session)
    staff = make_person(session, "staff", unit=unit, email="ansatt@example.no")
    staff_client = app.test_client()
    assert staff_client.post("/logg-inn", data={"email": "ansatt@example.no", "password": "passord123"}).status_code == 302
    assert staff_client.get("/workshop/lager").status_code == 200
    version = staff.session_version
    coordinator = login_as("coordinator")

    response = client.post(f"/coordinator/personer/{staff.id}/deaktiver")

    assert response.status_code == 303
    assert staff_client.get("/workshop/lager").status_code == 302  # sent to log in, on its very next request
    session.expire_all()
    user = session.get(User, staff.id)
    assert user.active is False and user.session_version == version + 1
    [event] = events(session, "user.deactivated")
    assert (event.actor_user_id, event.object_id, event.unit_id) == (coordinator.id, staff.id, unit.id)
    assert staff_client.post("/logg-inn", data={"email": "ansatt@example.no", "password": "passord123"}).status_code == 400

    # Reactivated, the person logs in again, but the sessions made before stay ended.
    assert client.post(f"/coordinator/personer/{staff.id}/aktiver").status_code == 303
    assert staff_client.get("/workshop/lager").status_code == 302
    assert len(events(session, "user.reactivated")) == 1
    assert staff_client.post("/logg-inn", data={"email": "ansatt@example.no", "password": "passord123"}).status_code == 302


def test_nobody_deactivates_their_own_account(client, session, login_as):
    make_person(session, "coordinator")  # so it would not be the last one either
    me = login_as("coordinator")
    english(client)

    assert "This is your own account." in page(client.get(f"/coordinator/personer/{me.id}"))
    response = client.post(f"/coordinator/personer/{me.id}/deaktiver")

    assert response.status_code == 409
    assert "You cannot deactivate your own account." in page(response)
    session.expire_all()
    assert session.get(User, me.id).active is True
    assert events(session, "user.deactivated") == []


def test_the_last_active_coordinator_or_admin_cannot_be_deactivated(session):
    only = make_person(session, "coordinator")
    make_person(session, "admin").active = False
    session.commit()
    someone = Actor(user_id=None, role="admin")  # an admin acting without an account, say a command

    with pytest.raises(accounts.CannotDeactivate) as refused:
        accounts.deactivate(session, someone, only.id, now=NOW)

    assert refused.value.reason == "last_national"
    session.rollback()
    other = make_person(session, "admin")
    assert accounts.deactivate(session, someone, only.id, now=NOW) is True
    session.commit()
    with pytest.raises(accounts.CannotDeactivate):
        accounts.deactivate(session, someone, other.id, now=NOW)


def test_a_coordinator_cannot_change_an_admins_account(client, session, login_as):
    admin = make_person(session, "admin", name="Anne Admin")
    login_as("coordinator")
    english(client)

    shown = page(client.get(f"/coordinator/personer/{admin.id}"))
    answers = [client.post(f"/coordinator/personer/{admin.id}/deaktiver"),
               client.post(f"/coordinator/personer/{admin.id}", data={"name": "Kapret", "unit_id": ""}),
               client.post(f"/coordinator/personer/{admin.id}/send-invitasjon")]

    assert "Only an administrator can change an administrator’s account." in shown
    assert f'action="/coordinator/personer/{admin.id}/deaktiver"' not in shown
    assert [a.status_code for a in answers] == [403, 403, 403]
    session.expire_all()
    assert (session.get(User, admin.id).active, session.get(User, admin.id).name) == (True, "Anne Admin")


def test_an_admin_deactivates_a_coordinator(client, session, login_as):
    coordinator = make_person(session, "coordinator")
    login_as("admin")

    assert client.post(f"/coordinator/personer/{coordinator.id}/deaktiver").status_code == 303
    session.expire_all()
    assert session.get(User, coordinator.id).active is False


# Moving and renaming

def test_moving_staff_to_another_unit_applies_on_their_next_request_and_is_logged(app, client, session, login_as):
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    staff = make_person(session, "staff", unit=bergen, email="flytter@example.no")
    staff_client = app.test_client()
    staff_client.post("/logg-inn", data={"email": "flytter@example.no", "password": "passord123"})
    coordinator = login_as("coordinator")

    response = client.post(f"/coordinator/personer/{staff.id}", data={"name": "Per Flytter", "unit_id": str(halden.id)})

    assert response.status_code == 303
    session.expire_all()
    assert (session.get(User, staff.id).unit_id, session.get(User, staff.id).name) == (halden.id, "Per Flytter")
    [moved] = events(session, "user.moved")
    assert (moved.actor_user_id, moved.unit_id, moved.detail) == (coordinator.id, halden.id,
                                                                   "Bergen fengsel → Halden fengsel")
    assert len(events(session, "user.updated")) == 1
    assert "Halden fengsel" in page(staff_client.get("/workshop"))  # still logged in, now for Halden


def test_staff_cannot_be_left_without_a_unit(client, session, login_as):
    unit = make_unit(session)
    staff = make_person(session, "staff", unit=unit)
    login_as("coordinator")
    english(client)

    response = client.post(f"/coordinator/personer/{staff.id}", data={"name": "Per", "unit_id": ""})
    forged = client.post(f"/coordinator/personer/{staff.id}", data={"name": "Per", "unit_id": "99999"})

    assert response.status_code == 400
    assert error_by(page(response), "unit_id") == "Workshop staff always belong to a unit. Choose one."
    assert forged.status_code == 400
    session.expire_all()
    assert session.get(User, staff.id).unit_id == unit.id
    with pytest.raises(accounts.InvalidPerson):
        accounts.update_person(session, Actor(user_id=None, role="admin"), staff.id, name="Per", unit_id=None, now=NOW)


def test_a_coordinator_may_belong_to_the_operator_unit_or_to_none(client, session, login_as):
    operator = make_unit(session, name="Ila fengsel")
    other = make_person(session, "coordinator")
    login_as("coordinator")

    assert client.post(f"/coordinator/personer/{other.id}", data={"name": "K", "unit_id": str(operator.id)}) \
        .status_code == 303
    session.expire_all()
    assert session.get(User, other.id).unit_id == operator.id
    assert client.post(f"/coordinator/personer/{other.id}", data={"name": "K", "unit_id": ""}).status_code == 303
    session.expire_all()
    assert session.get(User, other.id).unit_id is None


# The list

def test_the_list_shows_staff_coordinators_and_admins_never_customers(client, session, login_as):
    unit = make_unit(session, name="Bastøy fengsel")
    make_person(session, "staff", unit=unit, name="Siri Snekker")
    make_person(session, "customer", name="Kari Kunde")
    gone = make_person(session, "staff", unit=unit, name="Gunnar Gått")
    gone.active = False
    invited = accounts.invite(session, Actor(user_id=None, role="admin"), email="ny@example.no", name="Nina Ny",
                              role="staff", unit_id=unit.id, now=NOW)
    session.commit()
    login_as("coordinator", name="Kari Koordinator")

    def names(query: str = "") -> list[str]:
        return re.findall(r'<a href="/coordinator/personer/\d+">([^<]+)</a>', page(client.get(f"/coordinator/personer{query}")))

    assert names() == ["Gunnar Gått", "Kari Koordinator", "Nina Ny", "Siri Snekker"]
    assert names("?role=staff&status=active") == ["Nina Ny", "Siri Snekker"]
    assert names("?status=invited") == ["Nina Ny"]
    assert names("?status=inactive") == ["Gunnar Gått"]
    assert names(f"?unit={unit.id}&q=SNEKK") == ["Siri Snekker"]
    customer_id = session.scalar(select(User.id).where(User.role == "customer"))
    assert client.get(f"/coordinator/personer/{customer_id}").status_code == 404
    assert client.get("/coordinator/personer?role=customer").status_code == 400
    assert client.get("/coordinator/personer?unit=abc").status_code == 400
    assert client.get(f"/coordinator/personer/{invited.id}").status_code == 200


# Two coordinators at the same moment (PostgreSQL: SQLite runs one writer at a time anyway)

def test_two_coordinators_deactivating_each_other_at_once_leave_one_active(app, session):
    import threading

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from conftest import ON_POSTGRES, TEST_DATABASE_URL

    if not ON_POSTGRES:
        pytest.skip("row locks are proven on PostgreSQL; set TEST_DATABASE_URL")
    engine = create_engine(TEST_DATABASE_URL, pool_size=4, connect_args={"options": "-c lock_timeout=20000"})

    def work(barrier, outcomes, actor_id, target_id):
        with app.app_context(), Session(bind=engine) as own:
            own.connection()
            barrier.wait(timeout=30)
            try:
                accounts.deactivate(own, Actor(user_id=actor_id, role="coordinator"), target_id, now=NOW)
                own.commit()
                outcomes.append("deactivated")
            except accounts.CannotDeactivate as refused:
                own.rollback()
                outcomes.append(refused.reason)

    try:
        for _round in range(5):
            session.execute(User.__table__.update().values(active=False))
            a, b = make_person(session, "coordinator"), make_person(session, "coordinator")
            barrier, outcomes = threading.Barrier(2), []
            threads = [threading.Thread(target=work, args=(barrier, outcomes, *pair))
                       for pair in ((a.id, b.id), (b.id, a.id))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

            session.expire_all()
            assert sorted(outcomes) == ["deactivated", "last_national"]
            assert [session.get(User, a.id).active, session.get(User, b.id).active].count(True) == 1
    finally:
        engine.dispose()


# In Chromium on a phone: every page of units, people and the log, and the invitation, with axe-core

@pytest.mark.browser
def test_units_people_log_and_invitation_pages_work_on_a_phone_without_axe_violations(app, session):
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
    pytest.importorskip("axe_playwright_python", reason="browser tests need axe-playwright-python")
    from browser_support import PageWatcher, axe_violations, blocking, describe_violations, launch_chromium, live_server

    phone = {"width": 390, "height": 844}
    create_user(session, email="koordinator@example.no", password="passord-koord", name="Kari Koordinator",
                role="coordinator")
    session.commit()
    problems: list[str] = []

    def check(page, name: str) -> None:
        found = blocking(axe_violations(page))
        if found:
            problems.append(f"{name}: axe-core:\n{describe_violations(found)}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > phone["width"]:
            problems.append(f"{name}: the page is {width}px wide on a {phone['width']}px phone")

    with live_server(app) as base_url, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base_url, viewport=phone, locale="nb-NO", is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.watcher = PageWatcher(page)
        page.goto("/logg-inn")
        page.get_by_label("E-post").fill("koordinator@example.no")
        page.get_by_label("Passord").fill("passord-koord")
        page.get_by_role("button", name="Logg inn").click()

        page.goto("/coordinator/enheter/ny")
        check(page, "new unit")
        page.locator("#name").fill("Bjørgvin fengsel")
        page.locator("#region").select_option("vest")
        page.locator("#trades").fill("snekker\ntekstil")
        page.locator("#contact_email").fill("ikke-en-adresse")
        page.locator("form.checkout-form button[type=submit]").click()
        check(page, "new unit with an error")
        page.locator("#contact_email").fill("verksted@bjorgvin.example.no")
        page.locator("form.checkout-form button[type=submit]").click()
        sync_api.expect(page).to_have_url(re.compile(r"/coordinator/enheter/\d+$"))
        check(page, "edit unit")
        page.goto("/coordinator/enheter")
        check(page, "units")

        page.goto("/coordinator/personer/inviter")
        check(page, "invite")
        page.locator("#name").fill("Ola Verksted")
        page.locator("#email").fill("ola@example.no")
        page.locator("#role").select_option("staff")
        page.locator("#unit_id").select_option(label="Bjørgvin fengsel")
        page.locator("form.checkout-form button[type=submit]").click()
        sync_api.expect(page).to_have_url(re.compile(r"/coordinator/personer/\d+$"))
        check(page, "person")
        page.goto("/coordinator/personer")
        check(page, "people")
        page.goto("/coordinator/logg")
        check(page, "audit log")
        page.goto("/coordinator/logg?since=2030-01-02&until=2030-01-01")
        check(page, "audit log with an error")

        message = session.scalars(select(OutboxMessage)).one()
        path = re.search(r"https?://[^/\s]+(/invitasjon/\S+)", message.body).group(1)
        page.get_by_role("button", name="Logg ut").click()
        page.goto(path)
        check(page, "invitation")
        page.locator("#password").fill("mitt-eget-passord")
        page.locator("#confirm").fill("mitt-eget-passord")
        page.locator("form button[type=submit]").last.click()
        sync_api.expect(page).to_have_url(re.compile(r"/workshop$"))
        page.goto(path)
        check(page, "used invitation")
        problems += page.watcher.problems
        context.close()
        browser.close()

    assert problems == [], "\n".join(problems)
