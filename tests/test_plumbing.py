"""What the plumbing gives every route: ids that fit, no control characters, absolute links from SITE_URL,
sessions that end at logout, and rate limits from the environment. (The property-based test of all routes
is tests/test_hostile_input.py; these are the cases a reader can follow one by one.)"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from factories import make_product, make_unit
from shop import create_app
from shop.accounts.models import User
from shop.cart.models import CartItem
from shop.config import RATE_LIMITS
from shop.extensions import db

# Numbers out of range

@pytest.mark.parametrize("order_id", [2**31, 2**31 + 7, 2**63, 2**64, 10**30])
def test_an_id_beyond_the_database_integer_is_simply_not_found(client, login_as, order_id):
    login_as("coordinator")

    assert client.get(f"/coordinator/ordre/{order_id}").status_code == 404
    assert client.post(f"/coordinator/ordre/{order_id}/kanseller", data={"reason": "x"}).status_code == 404


def test_the_largest_database_integer_is_still_looked_up(client, login_as):
    login_as("coordinator")

    response = client.get(f"/coordinator/ordre/{2**31 - 1}")

    assert response.status_code == 404
    assert 'class="error-page"' in response.get_data(as_text=True)


@pytest.mark.parametrize("product_id", [str(2**31), str(2**63), "9" * 40, "-" + str(2**63)])
def test_a_form_number_beyond_the_database_integer_gets_the_forms_message(client, session, product_id):
    response = client.post("/handlekurv/legg-til", data={"product_id": product_id, "quantity": "1"})

    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(CartItem)) == 0
    with client.session_transaction() as cookie:
        assert not cookie.get("cart")
        assert cookie["_flashes"][-1][0] == "error"


# NUL and other control characters

@pytest.mark.parametrize("path", [
    "/produkt/benk%00", "/enhet/a%01b", "/kategori/%7f", "/ordre/abc%00def", "/kasse/betal/%00",
    "/nytt-passord/x%00y", "/sok?q=eik%00", "/produkter?sort=%00", "/coordinator/ordre?q=%00",
    "/media/a%00.jpg", "/sprak/nb?next=/%00",
])
def test_control_characters_in_the_address_get_400_with_a_message(client, login_as, path):
    login_as("coordinator")

    response = client.get(path)

    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True) or "kontrolltegn" in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "form"), [
    ("/logg-inn", {"email": "kunde@example.no\x00", "password": "x"}),
    ("/registrer", {"name": "Kari\x00", "email": "k@example.no", "password": "passord1234", "confirm": "passord1234"}),
    ("/glemt-passord", {"email": "a\x00@example.no"}),
    ("/kasse/", {"name": "Kari", "email": "k@example.no", "address_line": "Gate\x1b1"}),
    ("/handlekurv/endre", {"product_id": "1", "quantity": "1", "x\x00": "y"}),
])
def test_control_characters_in_a_form_get_400_and_change_nothing(client, session, path, form):
    users = session.scalar(select(func.count()).select_from(User))

    response = client.post(path, data=form)

    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == users


def test_tabs_and_line_breaks_in_a_form_are_ordinary_text(client, session):
    unit = make_unit(session)
    product = make_product(session, unit=unit)
    session.commit()
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1})

    response = client.post("/kasse/", data={"name": "Kari\tNordmann", "email": "k@example.no",
                                             "delivery_method": "pickup", "payment_method": "card",
                                             "address_line": "Linje 1\r\nLinje 2"})

    assert response.status_code == 303


def test_a_cookie_with_control_characters_is_ignored_not_an_error(client):
    client.set_cookie("lang", "en\x00")

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="nb"' in response.get_data(as_text=True)


# Absolute links

def test_canonical_and_open_graph_links_come_from_site_url_not_the_host_header(tmp_path, migrated_database):
    import shutil

    from conftest import ON_POSTGRES, TEST_DATABASE_URL

    url = TEST_DATABASE_URL if ON_POSTGRES else f"sqlite:///{tmp_path / 'db.sqlite'}"
    if not ON_POSTGRES:
        shutil.copy(migrated_database, tmp_path / "db.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "PAGE_CACHE_SECONDS": 0,
                      "SITE_URL": "https://verkstedbutikken.no", "MEDIA_ROOT": str(tmp_path)})

    page = app.test_client().get("/enheter", headers={"Host": "angriper.example"},
                                 environ_base={"wsgi.url_scheme": "http"}).get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()  # this second app's connections must not outlive the test

    assert '<link rel="canonical" href="https://verkstedbutikken.no/enheter">' in page
    assert '<meta property="og:url" content="https://verkstedbutikken.no/enheter">' in page
    assert "angriper" not in page


# Sessions end at logout

HOST = "verkstedbutikken.test"  # SERVER_NAME in the test config


def _copy_of_session_cookie(client) -> str:
    return client.get_cookie("session", domain=HOST).value


def test_a_session_cookie_copied_before_logging_out_does_not_work_after(app, client, login_as):
    login_as("customer")
    assert client.get("/konto").status_code == 200
    stolen = _copy_of_session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain=HOST)
    assert thief.get("/konto").status_code == 200  # the copy works while the session lives

    client.post("/logg-ut")

    assert thief.get("/konto").status_code == 302  # sent to log in


def test_a_session_cookie_stops_working_when_the_account_is_deactivated(app, client, session, login_as):
    user = login_as("staff")
    assert client.get("/workshop/ordre").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", _copy_of_session_cookie(client), domain=HOST)
    assert thief.get("/workshop/ordre").status_code == 200

    user.active = False
    session.commit()

    assert thief.get("/workshop/ordre").status_code == 302


def test_logging_in_again_after_logout_works(client, session, login_as):
    login_as("customer", email="igjen@example.no")
    client.post("/logg-ut")

    response = client.post("/logg-inn", data={"email": "igjen@example.no", "password": "passord123"})

    assert response.status_code == 302
    assert client.get("/konto").status_code == 200


# Rate limits are settings

def test_every_rate_limit_can_be_set_from_the_environment(monkeypatch, tmp_path):
    assert set(RATE_LIMITS) == {"LOGIN_RATE_LIMIT", "PASSWORD_RESET_RATE_LIMIT", "REGISTER_RATE_LIMIT",
                                "CARD_ATTEMPT_RATE_LIMIT", "ORDER_RATE_LIMIT"}
    for name in RATE_LIMITS:
        monkeypatch.setenv(name, "1000 per hour")

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})

    assert {name: app.config[name] for name in RATE_LIMITS} == dict.fromkeys(RATE_LIMITS, "1000 per hour")


def test_a_rate_limit_setting_applies_to_its_route(app, client):
    app.config["ORDER_RATE_LIMIT"] = "2 per hour"

    answers = [client.post("/kasse/oppsummering").status_code for _ in range(3)]

    assert answers[-1] == 429


def test_a_rate_limit_that_cannot_be_read_stops_the_app_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("ORDER_RATE_LIMIT", "mange")

    with pytest.raises(ValueError, match="ORDER_RATE_LIMIT"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
