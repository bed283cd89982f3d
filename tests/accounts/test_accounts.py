"""Customer accounts: registering, logging in (rate-limited), resetting and changing passwords, order history."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from html.parser import HTMLParser
from itertools import count

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from conftest import FreshContextClient
from factories import NOW, make_product
from shop.accounts.models import User
from shop.accounts.services import create_user, make_reset_token
from shop.cart.models import CartItem
from shop.mail import OutboxMessage
from shop.orders.models import Order

HOST = "verkstedbutikken.test"
PASSWORD = "riktig-hest-batteri"
_serial = count(1)


def english(client) -> None:
    """Show the pages in English, so assertions on messages do not depend on the bokmål catalogue."""
    client.set_cookie("lang", "en", domain=HOST)


def make_user(session, email="kunde@example.no", password=PASSWORD, **fields) -> User:
    user = create_user(session, email=email, password=password, **fields)
    session.commit()
    return user


def make_order(session, user: User | None, *, number: str, created_at=NOW, status="paid", total_ore=49900) -> Order:
    order = Order(
        number=number, public_token=f"token-{number}-{next(_serial)}", user_id=user.id if user else None,
        email=user.email if user else "gjest@example.no", name="Kari Kunde", delivery_method="pickup",
        payment_method="card", status=status, subtotal_ore=total_ore, shipping_ore=0, vat_ore=total_ore // 5,
        total_ore=total_ore, created_at=created_at,
    )
    session.add(order)
    session.commit()
    return order


def error_by(page: str, field: str) -> str:
    """Return the validation message shown by a field (empty when there is none)."""
    found = re.search(rf'<p class="ds-validation-message"[^>]*id="{field}-error">([^<]*)</p>', page)
    return found.group(1) if found else ""


def logged_in_user_id(client) -> str | None:
    with client.session_transaction() as cookie:
        return cookie.get("_user_id")


def reset_path_from(message: OutboxMessage) -> str:
    return re.search(rf"http://{re.escape(HOST)}(/nytt-passord/\S+)", message.body).group(1)


# Registering

def test_registering_creates_a_logged_in_customer_with_lowercased_email_and_hashed_password(client, session):
    response = client.post("/registrer", data={
        "name": "Kari Kunde", "email": "  Kari.Kunde@Example.NO ", "password": PASSWORD, "confirm": PASSWORD,
    })

    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "kari.kunde@example.no"))
    assert user is not None
    assert (user.name, user.role, user.active) == ("Kari Kunde", "customer", True)
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    assert check_password_hash(user.password_hash, PASSWORD)
    assert logged_in_user_id(client) == user.session_id


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "kort", "confirm": "kort"}, "password", "Use at least 10 characters."),
        ({"confirm": "et-annet-passord"}, "confirm", "The two passwords are not the same."),
        ({"email": "kari.example.no"}, "email", "Enter an e-mail address like name@example.no."),
        ({"email": "EKSISTERER@example.NO"}, "email", "There is already an account with this e-mail address."),
        ({"name": ""}, "name", "Enter your name."),
    ],
    ids=["short-password", "passwords-differ", "invalid-email", "email-taken-in-other-case", "no-name"],
)
def test_register_refuses_bad_input_with_a_message_by_the_field_and_keeps_what_was_typed(
    client, session, changes, field, message
):
    make_user(session, email="eksisterer@example.no")
    english(client)
    data = {"name": "Kari Kunde", "email": "kari@example.no", "password": PASSWORD, "confirm": PASSWORD, **changes}

    response = client.post("/registrer", data=data)
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert message in error_by(page, field)
    assert f'value="{data["email"]}"' in page
    if data["name"]:
        assert f'value="{data["name"]}"' in page
    assert data["password"] not in page and data["confirm"] not in page
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert logged_in_user_id(client) is None


def test_register_form_without_csrf_token_is_refused(app, client, session):
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/registrer", data={
        "name": "Kari Kunde", "email": "kari@example.no", "password": PASSWORD, "confirm": PASSWORD,
    })

    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == 0


# Logging in

def test_login_starts_a_fresh_session(client, session):
    make_user(session)
    with client.session_transaction() as cookie:
        cookie["planted"] = "by someone else before the login"

    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": PASSWORD})

    assert response.status_code == 302
    with client.session_transaction() as cookie:
        assert "planted" not in cookie
        assert cookie["_user_id"]


def test_login_is_rate_limited_per_email_address_from_any_client_address(app, client, session):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(session)
    make_user(session, email="annen@example.no")

    for n in range(3):
        response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": "gjetning"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"})
        assert response.status_code == 400

    # Even the right password from a fresh address is refused for this account now…
    response = client.post("/logg-inn", data={"email": "KUNDE@example.no", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429
    assert logged_in_user_id(client) is None
    # …while other accounts can still log in.
    response = client.post("/logg-inn", data={"email": "annen@example.no", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 302


def test_login_is_rate_limited_per_client_address_across_email_addresses(app, client, session):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(session)

    for n in range(3):
        response = client.post("/logg-inn", data={"email": f"gjetning{n}@example.no", "password": "gjetning"},
                               environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert response.status_code == 400

    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 429
    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == 302


def test_login_rate_limit_counts_only_posts_and_answers_with_the_shops_error_page(app, client, session):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    english(client)
    for _ in range(2):
        client.post("/logg-inn", data={"email": "kunde@example.no", "password": "gjetning"})

    assert client.get("/logg-inn").status_code == 200
    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": "gjetning"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 'class="error-page"' in page and '<html lang="en"' in page
    assert "Too many attempts to log in. Wait a few minutes and try again." in page


def test_login_page_links_to_register_and_forgotten_password(client):
    page = client.get("/logg-inn").get_data(as_text=True)

    assert 'href="/glemt-passord"' in page and 'href="/registrer' in page


# Guest cart

@pytest.mark.parametrize("how", ["login", "register"])
def test_guest_cart_is_merged_into_the_account_cart(client, session, how):
    product = make_product(session)
    other = make_product(session)
    session.commit()
    if how == "login":
        user = make_user(session)
        session.add(CartItem(user_id=user.id, product_id=other.id, quantity=1))
        session.commit()
    with client.session_transaction() as cookie:
        cookie["cart"] = {str(product.id): 2, str(other.id): 3}

    if how == "login":
        response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": PASSWORD})
    else:
        response = client.post("/registrer", data={
            "name": "Kari", "email": "kunde@example.no", "password": PASSWORD, "confirm": PASSWORD,
        })

    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "kunde@example.no"))
    rows = session.execute(select(CartItem.product_id, CartItem.quantity).where(CartItem.user_id == user.id))
    expected_other = 4 if how == "login" else 3
    assert dict(rows.all()) == {product.id: 2, other.id: expected_other}
    with client.session_transaction() as cookie:
        assert "cart" not in cookie


# Forgotten password

def test_forgot_password_answers_the_same_for_unknown_addresses_and_queues_nothing(client, session):
    make_user(session)
    english(client)

    unknown = client.post("/glemt-passord", data={"email": "ukjent@example.no"}, follow_redirects=True)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    known = client.post("/glemt-passord", data={"email": "kunde@example.no"}, follow_redirects=True)

    def answer(response, email):
        text = re.search(r'<div class="flashes".*?</div>\s*</div>', response.get_data(as_text=True), re.S).group(0)
        return response.status_code, response.request.path, text.replace(email, "EMAIL")

    assert answer(unknown, "ukjent@example.no") == answer(known, "kunde@example.no")
    assert "If there is an account for" in answer(known, "kunde@example.no")[2]


def test_forgot_password_for_a_known_address_queues_one_email_with_a_reset_link(client, session):
    make_user(session, name="Kari")

    response = client.post("/glemt-passord", data={"email": "Kunde@Example.no"})

    assert response.status_code == 302
    messages = session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1
    assert messages[0].to == "kunde@example.no"
    assert reset_path_from(messages[0]).startswith("/nytt-passord/")


def test_a_forged_host_header_cannot_redirect_the_reset_link(app, client, session):
    from shop.config import apply_site_url

    app.config["SERVER_NAME"] = None
    apply_site_url(app.config, "https://butikk.example.no")
    make_user(session)

    client.post("/glemt-passord", data={"email": "kunde@example.no"}, headers={"Host": "evil.example"})

    body = session.scalars(select(OutboxMessage)).one().body
    assert "https://butikk.example.no/nytt-passord/" in body and "evil.example" not in body


def test_forgot_password_for_a_deactivated_account_queues_nothing(client, session):
    user = make_user(session)
    user.active = False
    session.commit()

    assert client.post("/glemt-passord", data={"email": "kunde@example.no"}).status_code == 302
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_forgot_password_is_rate_limited_per_client_address(app, client, session):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "2 per minute"
    for n in range(2):
        assert client.post("/glemt-passord", data={"email": f"x{n}@example.no"}).status_code == 302

    assert client.post("/glemt-passord", data={"email": "x9@example.no"}).status_code == 429


def test_reset_link_sets_the_new_password_and_logs_in(client, session):
    user = make_user(session)
    client.post("/glemt-passord", data={"email": "kunde@example.no"})
    path = reset_path_from(session.scalars(select(OutboxMessage)).one())

    page = client.get(path).get_data(as_text=True)
    assert 'autocomplete="new-password"' in page and 'name="robots" content="noindex"' in page
    response = client.post(path, data={"password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord"})

    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    session.expire_all()
    assert check_password_hash(session.get(User, user.id).password_hash, "et-helt-nytt-passord")
    assert logged_in_user_id(client) == user.session_id


def test_reset_link_refuses_a_mismatched_new_password_and_keeps_the_link_valid(client, session):
    make_user(session)
    client.post("/glemt-passord", data={"email": "kunde@example.no"})
    path = reset_path_from(session.scalars(select(OutboxMessage)).one())
    english(client)

    response = client.post(path, data={"password": "et-helt-nytt-passord", "confirm": "noe-annet-helt"})

    assert response.status_code == 400
    assert "The two passwords are not the same." in error_by(response.get_data(as_text=True), "confirm")
    assert client.get(path).status_code == 200


def test_reset_link_works_only_once(client, session):
    make_user(session)
    client.post("/glemt-passord", data={"email": "kunde@example.no"})
    path = reset_path_from(session.scalars(select(OutboxMessage)).one())
    client.post(path, data={"password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord"})
    client.post("/logg-ut")
    english(client)

    response = client.post(path, data={"password": "angriperens-passord", "confirm": "angriperens-passord"})

    assert response.status_code == 400
    assert "This link does not work." in response.get_data(as_text=True)
    assert 'href="/glemt-passord"' in response.get_data(as_text=True)
    session.expire_all()
    user = session.scalar(select(User))
    assert check_password_hash(user.password_hash, "et-helt-nytt-passord")
    assert logged_in_user_id(client) is None


def test_expired_reset_link_is_refused(app, client, session, monkeypatch):
    user = make_user(session)
    with monkeypatch.context() as past:
        # Issue the token just over an hour ago (the default validity).
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
        token = make_reset_token(user, app.config["SECRET_KEY"])
    english(client)

    response = client.get(f"/nytt-passord/{token}")

    assert response.status_code == 400
    assert "This link does not work." in response.get_data(as_text=True)


def test_reset_link_validity_follows_the_config(app, client, session):
    user = make_user(session)
    token = make_reset_token(user, app.config["SECRET_KEY"])
    assert client.get(f"/nytt-passord/{token}").status_code == 200

    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every token is older than that

    assert client.get(f"/nytt-passord/{token}").status_code == 400


@pytest.mark.parametrize("tamper", ["altered-payload", "other-key", "other-user", "garbage"])
def test_tampered_reset_link_is_refused(app, client, session, tamper):
    user = make_user(session)
    other = make_user(session, email="offer@example.no")
    token = make_reset_token(user, app.config["SECRET_KEY"])
    if tamper == "altered-payload":
        payload, rest = token.split(".", 1)
        token = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + rest
    elif tamper == "other-key":
        token = make_reset_token(other, "not-the-secret-key")
    elif tamper == "other-user":
        # A valid signature on one user's token cannot be moved to another's id.
        payload, rest = make_reset_token(other, app.config["SECRET_KEY"]).split(".", 1)
        token = payload + "." + token.split(".", 1)[1]
    else:
        token = "not-a-token"

    response = client.post(f"/nytt-passord/{token}", data={"password": "angriperens-passord", "confirm": "angriperens-passord"})

    assert response.status_code == 400
    session.expire_all()
    assert not any(check_password_hash(u.password_hash, "angriperens-passord") for u in session.scalars(select(User)))


# My account

@pytest.mark.parametrize("path", ["/konto", "/konto/passord"])
def test_account_pages_send_anonymous_visitors_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/logg-inn?next=")


def test_order_history_lists_only_the_users_own_orders_newest_first(client, session, login_as):
    me = login_as("customer", name="Kari Kunde")
    someone = make_user(session, email="annen@example.no")
    make_order(session, me, number="VB-1001", created_at=NOW - timedelta(days=3), status="completed", total_ore=12300)
    make_order(session, me, number="VB-1003", created_at=NOW, status="paid", total_ore=45600)
    make_order(session, someone, number="VB-1002", created_at=NOW - timedelta(days=1))
    make_order(session, None, number="VB-1004")
    english(client)

    response = client.get("/konto")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'name="robots" content="noindex"' in page
    assert "Kari Kunde" in page and me.email in page
    assert re.findall(r">(VB-\d+)</a>", page) == ["VB-1003", "VB-1001"]
    assert "Completed" in page and "Paid" in page
    assert "NOK\xa0456.00" in page and "NOK\xa0123.00" in page
    assert re.search(r'href="/ordre/token-VB-1003-\d+"', page)


@pytest.mark.parametrize("role", ["customer", "staff", "coordinator"])
def test_empty_order_history_shows_a_friendly_message_and_a_link_to_the_products(client, login_as, role):
    login_as(role)
    english(client)

    page = client.get("/konto").get_data(as_text=True)

    empty = re.search(r'<div class="empty">(.*?)</div>', page, re.S).group(1)
    assert "You have not ordered anything yet." in empty
    assert 'href="/produkter"' in empty


def test_change_password_needs_the_right_current_password(client, session, login_as):
    user = login_as("customer")
    english(client)

    response = client.post("/konto/passord", data={
        "current_password": "feil-passord", "password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord",
    })

    assert response.status_code == 400
    assert "This is not your current password." in error_by(response.get_data(as_text=True), "current_password")
    session.expire_all()
    assert check_password_hash(session.get(User, user.id).password_hash, "passord123")


def test_change_password_with_the_right_current_password_saves_the_new_one(client, session, login_as):
    user = login_as("customer")

    response = client.post("/konto/passord", data={
        "current_password": "passord123", "password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord",
    })

    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    session.expire_all()
    assert check_password_hash(session.get(User, user.id).password_hash, "et-helt-nytt-passord")


def logged_in_client(app, email="kunde@example.no", password=PASSWORD):
    """A test client of its own (another device) that has logged in through the login form."""
    device = FreshContextClient(app, app.response_class, use_cookies=True)
    assert device.post("/logg-inn", data={"email": email, "password": password}).status_code == 302
    assert device.get("/konto").status_code == 200
    return device


def test_changing_the_password_logs_out_other_devices_but_not_this_one(app, session):
    make_user(session)
    laptop, phone = logged_in_client(app), logged_in_client(app)

    response = laptop.post("/konto/passord", data={
        "current_password": PASSWORD, "password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord",
    })

    assert response.status_code == 302
    assert laptop.get("/konto").status_code == 200
    assert phone.get("/konto").status_code == 302  # sent to the login page
    assert logged_in_client(app, password="et-helt-nytt-passord").get("/konto").status_code == 200


def test_a_password_reset_logs_out_every_session_made_with_the_old_password(app, client, session):
    make_user(session)
    thief = logged_in_client(app)
    client.post("/glemt-passord", data={"email": "kunde@example.no"})
    path = reset_path_from(session.scalars(select(OutboxMessage)).one())

    client.post(path, data={"password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord"})

    assert client.get("/konto").status_code == 200
    assert thief.get("/konto").status_code == 302


def test_a_session_naming_a_user_without_the_password_digest_is_not_logged_in(app, client, session):
    user = make_user(session)
    for forged in (str(user.id), f"{user.id}.0000000000000000", f"{user.id}.", "x.y"):
        with client.session_transaction() as cookie:
            cookie["_user_id"] = forged
            cookie["_fresh"] = True
        assert client.get("/konto").status_code == 302, forged


def test_change_password_attempts_are_rate_limited_per_user(app, client, login_as):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    login_as("customer")
    wrong = {"current_password": "gjetning-1", "password": "et-helt-nytt-passord", "confirm": "et-helt-nytt-passord"}
    for _ in range(2):
        assert client.post("/konto/passord", data=wrong).status_code == 400

    response = client.post("/konto/passord", data=wrong)

    assert response.status_code == 429
    assert 'class="error-page"' in response.get_data(as_text=True)


# Markup

class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.label_targets: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") != "hidden" and "hidden" not in attrs:
            self.inputs.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.label_targets.add(attrs["for"])


@pytest.mark.parametrize(
    ("path", "autocomplete"),
    [
        ("/registrer", {"name": "name", "email": "email", "password": "new-password", "confirm": "new-password"}),
        ("/logg-inn", {"email": "email", "password": "current-password"}),
        ("/glemt-passord", {"email": "email"}),
        ("/konto/passord", {"current_password": "current-password", "password": "new-password", "confirm": "new-password"}),
    ],
)
def test_form_pages_label_every_input_and_say_what_to_autocomplete(client, login_as, path, autocomplete):
    if path.startswith("/konto"):
        login_as("customer")
    response = client.get(path)
    parser = _Inputs()
    parser.feed(response.get_data(as_text=True))
    form_inputs = [i for i in parser.inputs if i.get("id") != "site-search-q"]

    assert response.status_code == 200
    assert 'name="robots" content="noindex"' in response.get_data(as_text=True)
    assert {i["name"]: i.get("autocomplete") for i in form_inputs} == autocomplete
    assert all(i["id"] in parser.label_targets for i in form_inputs)


def test_logging_in_with_an_unknown_address_costs_a_password_hash_check_too(session, monkeypatch):
    """The time a failed login takes must not tell whether the address has an account."""
    import shop.accounts.services
    from shop.accounts.services import authenticate

    make_user(session)
    checked = []
    real_check = shop.accounts.services.check_password_hash
    monkeypatch.setattr(shop.accounts.services, "check_password_hash",
                        lambda stored, password: checked.append(stored.split("$")[0]) or real_check(stored, password))

    assert authenticate(session, "ukjent@example.no", PASSWORD) is None
    assert authenticate(session, "kunde@example.no", "feil-passord") is None
    assert authenticate(session, "kunde@example.no", PASSWORD) is not None
    method = session.scalar(select(User.password_hash)).split("$")[0]
    assert checked == [method, method, method]  # the same kind of hash, every time


@pytest.mark.parametrize(("role", "start"), [("customer", "/"), ("coordinator", "/coordinator")])
def test_the_login_page_sends_someone_already_logged_in_on(client, login_as, role, start):
    login_as(role)

    response = client.get("/logg-inn")

    assert response.status_code == 302 and response.headers["Location"] == start
    assert client.get("/logg-inn?next=/handlekurv").headers["Location"] == "/handlekurv"
