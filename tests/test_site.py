"""Site-wide behaviour: language, error pages, robots and sitemap, security headers, login and CSRF."""
from __future__ import annotations

import re

import pytest

from factories import make_category, make_product, make_unit


def test_bokmal_is_the_default_and_english_can_be_chosen(client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nb"' in page and "Hopp til hovedinnholdet" in page

    response = client.get("/sprak/en?next=/produkter%3Fsort%3Dname")
    assert response.status_code == 302 and response.headers["Location"] == "/produkter?sort=name"

    page = client.get("/produkter").get_data(as_text=True)
    assert '<html lang="en"' in page and "Skip to main content" in page and "All products" in page
    assert "499.00" in page  # money in English format


def test_the_header_is_shared_per_language_and_keeps_each_searchs_own_words_escaped(client, session):
    """The header's logo and search box are rendered once per process and language; the words in the box are
    each page's own."""
    make_product(session, title="Benk i eik")
    session.commit()

    typed = 'eik "<b>&'
    page = client.get("/sok", query_string={"q": typed}).get_data(as_text=True)
    assert 'name="q" value="eik &#34;&lt;b&gt;&amp;"' in page and "<b>&" not in page
    assert 'placeholder="Søk i butikken"' in page and "\x00" not in page

    home = client.get("/").get_data(as_text=True)
    assert 'name="q" value=""' in home  # not the last search's words
    client.get("/sprak/en")
    english = client.get("/sok", query_string={"q": "oak"}).get_data(as_text=True)
    assert 'name="q" value="oak"' in english and 'placeholder="Search the shop"' in english


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    response = client.get("/sprak/xx?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert client.get("/sprak/en?next=//evil.example").headers["Location"] == "/"


def test_unknown_pages_get_a_404_page_in_the_shops_look(client):
    response = client.get("/finnes/ikke")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Fant ikke siden" in page and 'class="site-header"' in page


def test_a_server_error_gets_a_500_page_without_details(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Noe gikk galt" in page and "secret internals" not in page


def test_405_for_wrong_method(client):
    assert client.post("/").status_code == 405


def test_robots_points_to_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)

    assert "Sitemap: http://verkstedbutikken.test/sitemap.xml" in text


def test_sitemap_lists_published_products_categories_and_units_only(client, session):
    unit = make_unit(session, name="Ila fengsel")
    category = make_category(session, name="Møbler")
    make_product(session, unit=unit, category=category, title="Benk i eik")
    make_product(session, unit=unit, category=category, title="Utkast", status="draft")
    session.commit()

    xml = client.get("/sitemap.xml").get_data(as_text=True)

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    locs = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert "http://verkstedbutikken.test/produkt/benk-i-eik" in locs
    assert "http://verkstedbutikken.test/kategori/mobler" in locs
    assert "http://verkstedbutikken.test/enhet/ila-fengsel" in locs
    assert not any("utkast" in loc for loc in locs)


def test_security_headers_are_sent(client):
    headers = client.get("/").headers

    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_login_and_logout_with_a_real_account(app, client, session):
    from shop.accounts.services import create_user

    create_user(session, email="Kunde@Example.no", password="hemmelig-passord", role="customer")
    session.commit()

    response = client.post("/logg-inn", data={"email": "kunde@example.NO", "password": "hemmelig-passord"})
    assert response.status_code == 302
    assert "Logg ut" in client.get("/").get_data(as_text=True)

    assert client.post("/logg-ut").status_code == 302
    assert "Logg inn" in client.get("/").get_data(as_text=True)


def test_wrong_password_keeps_the_email_and_shows_the_message_by_the_field(client, session):
    from shop.accounts.services import create_user

    create_user(session, email="kunde@example.no", password="hemmelig-passord")
    session.commit()

    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": "feil"})
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert 'value="kunde@example.no"' in page
    assert "Feil e-postadresse eller passord." in page


def test_login_never_redirects_off_site(client, session):
    from shop.accounts.services import create_user

    create_user(session, email="kunde@example.no", password="hemmelig-passord")
    session.commit()

    response = client.post("/logg-inn?next=https://evil.example/", data={"email": "kunde@example.no", "password": "hemmelig-passord"})

    assert response.headers["Location"] == "/"


def test_deactivated_users_cannot_log_in(client, session):
    from shop.accounts.services import create_user

    user = create_user(session, email="borte@example.no", password="hemmelig-passord")
    user.active = False
    session.commit()

    assert client.post("/logg-inn", data={"email": "borte@example.no", "password": "hemmelig-passord"}).status_code == 400


def test_forms_are_protected_against_csrf(app, client, session):
    from shop.accounts.services import create_user

    create_user(session, email="kunde@example.no", password="hemmelig-passord")
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": "hemmelig-passord"})
    assert response.status_code == 400
    assert "Skjemaet var utløpt" in response.get_data(as_text=True)

    page = client.get("/logg-inn").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/logg-inn", data={"email": "kunde@example.no", "password": "hemmelig-passord", "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["customer", "staff", "coordinator", "admin"])
def test_role_required_lets_in_only_the_named_roles_and_admins(app, client, login_as, role):
    from shop.accounts.guards import role_required

    @app.get("/only-coordinators-for-test")
    @role_required("coordinator")
    def only_coordinators():
        return "inne"

    assert client.get("/only-coordinators-for-test").status_code == 302  # anonymous → login page
    login_as(role)
    expected = 200 if role in ("coordinator", "admin") else 403
    assert client.get("/only-coordinators-for-test").status_code == expected


def test_staff_accounts_need_a_unit(session):
    from shop.accounts.services import create_user

    with pytest.raises(ValueError):
        create_user(session, email="ansatt@example.no", password="x" * 12, role="staff")


def test_emails_are_unique_regardless_of_case(session):
    from sqlalchemy.exc import IntegrityError

    from shop.accounts.services import create_user

    create_user(session, email="Ola@Example.no", password="x" * 12)
    with pytest.raises(IntegrityError):
        create_user(session, email="ola@example.NO", password="x" * 12)
    session.rollback()


def test_a_missing_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    from shop import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_ROOT": str(tmp_path)})
    app.instance_path = str(tmp_path / "instance")
    from shop.config import _development_secret_key

    first = _development_secret_key(tmp_path / "instance")
    assert first == _development_secret_key(tmp_path / "instance")
    assert len(first) == 64


def test_database_url_from_the_environment_uses_psycopg3(monkeypatch, tmp_path):
    from shop import create_app

    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.internal:5432/shop")
    app = create_app({"SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path)})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal:5432/shop"


def test_behind_a_proxy_the_client_address_and_scheme_come_from_forwarded_headers(tmp_path):
    from flask import request

    from shop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path), "PROXY_COUNT": 1})

    @app.get("/whoami-for-test")
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    answer = app.test_client().get("/whoami-for-test", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_untrusted_host_names_are_refused(tmp_path):
    from shop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path),
                      "TRUSTED_HOSTS": ["verkstedbutikken.no"]})

    assert app.test_client().get("/robots.txt", headers={"Host": "evil.example"}).status_code == 400
    assert app.test_client().get("/robots.txt", headers={"Host": "verkstedbutikken.no"}).status_code == 200


def test_the_session_cookie_is_httponly_samesite_and_secure_by_default(tmp_path, monkeypatch):
    from shop import create_app

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path)})

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_site_url_from_the_environment_sets_where_absolute_links_point(monkeypatch, tmp_path):
    from shop import create_app

    monkeypatch.setenv("SITE_URL", "https://verkstedbutikken.no/")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path)})

    assert app.config["SITE_URL"] == "https://verkstedbutikken.no"
    with app.app_context():  # no request: a cron job building an e-mail
        from flask import url_for

        assert url_for("orders.status", token="abc", _external=True) == "https://verkstedbutikken.no/ordre/abc"


@pytest.mark.parametrize("bad", ["verkstedbutikken.no", "ftp://verkstedbutikken.no", "https://", "https://a.no/?x=1"])
def test_a_site_url_that_is_not_an_address_stops_the_app_with_a_clear_message(monkeypatch, tmp_path, bad):
    from shop import create_app

    monkeypatch.setenv("SITE_URL", bad)
    with pytest.raises(ValueError, match="SITE_URL must look like"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path)})
