"""Test fixtures: an app on SQLite (or PostgreSQL when TEST_DATABASE_URL is set), a client, logins and factories."""
from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from itertools import count

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from shop import create_app
from shop.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_serial = count(1)


def _config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "verkstedbutikken.test",
        # Tests change data between requests; the page cache has tests of its own.
        "PAGE_CACHE_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,  # the test client speaks plain HTTP
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Run the migrations once per session; tests then start from this schema."""
    tmp = tmp_path_factory.mktemp("template")
    if ON_POSTGRES:
        app = create_app(_config(TEST_DATABASE_URL, tmp))
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            upgrade()
            db.engine.dispose()
        return TEST_DATABASE_URL
    path = tmp / "template.sqlite"
    app = create_app(_config(f"sqlite:///{path}", tmp))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(migrated_database, tmp_path):
    if ON_POSTGRES:
        url = TEST_DATABASE_URL
    else:
        shutil.copy(migrated_database, tmp_path / "test.sqlite")
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app(_config(url, tmp_path))
    with app.app_context():
        if ON_POSTGRES:
            _empty_postgres_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


def _empty_postgres_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables] + ["product_search"]
    quoted = ", ".join(f'"{t}"' for t in tables)
    db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    db.session.commit()


class FreshContextClient(FlaskClient):
    """Run each request in its own app context, as in production.

    Tests hold an app context open to use the database; without this, requests would share its `g`
    (where Flask-Login and Flask-Babel cache the user and the language) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def session(app):
    """The Flask-SQLAlchemy session, for calling services directly."""
    return db.session


@pytest.fixture
def login_as(app, client):
    """Log the test client in as a new user with this role (staff get a unit); return the user."""

    def login(role: str, unit=None, **fields):
        from shop.accounts import create_user

        if role == "staff" and unit is None:
            unit = make_unit(db.session)
        user = create_user(
            db.session, email=fields.pop("email", f"{role}{next(_serial)}@example.no"), password="passord123",
            role=role, unit_id=unit.id if unit else None, **fields,
        )
        db.session.commit()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = user.session_id
            cookie["_fresh"] = True
        return user

    return login


# Factories: small functions that make one valid object with sensible defaults.

def make_unit(session, **fields):
    from catalogue.services import create_unit

    n = next(_serial)
    fields.setdefault("name", f"Testfengsel {n}")
    fields.setdefault("region", "ost")
    fields.setdefault("description", "Snekkerverksted og tekstilverksted.")
    fields.setdefault("trades", ["snekker"])
    return create_unit(session, **fields)


def make_category(session, **fields):
    from catalogue.services import create_category

    fields.setdefault("name", f"Kategori {next(_serial)}")
    return create_category(session, **fields)


def make_product(session, *, unit=None, category=None, stock: int | None = 5, status: str = "published", **fields):
    """Make a product (published by default) with stock at its own unit, through the real services."""
    from catalogue.services import create_product, publish
    from inventory.services import adjust, ensure_stock_record

    unit = unit or make_unit(session)
    category = category or make_category(session)
    fields.setdefault("title", f"Produkt {next(_serial)}")
    fields.setdefault("price_ore", 49900)
    product = create_product(session, unit=unit, category=category, **fields)
    if status == "published":
        publish(session, product, now=fields.get("published_at") or NOW)
    elif status != "draft":
        product.status = status
    if stock is not None and product.kind == "goods":
        record = ensure_stock_record(session, product_id=product.id, unit_id=unit.id)
        if stock:
            adjust(session, record.id, stock, reason="produced", now=NOW)
    session.flush()
    return product


# Payments: localstripe (the real stripe library against a local fake), started once per session.

@pytest.fixture(scope="session")
def localstripe_url():
    import importlib.util

    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -e '.[test]')")
    from shop import devstripe

    port = devstripe.free_port()
    process = devstripe.start(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_app(app, localstripe_url):
    """The app talking to a freshly emptied localstripe."""
    from shop import devstripe

    devstripe.reset(localstripe_url)
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_verkstedbutikken", STRIPE_PUBLISHABLE_KEY="pk_test_verkstedbutikken",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe_url,
        STRIPE_JS_URL=f"{localstripe_url}/js.stripe.com/v3/", STRIPE_DEMO=True,
    )
    return app


def checkout_details(**overrides):
    """Checkout form data that passes validation (card payment, shipping)."""
    data = {
        "name": "Kari Nordmann", "email": "kari@example.no", "phone": "", "delivery_method": "shipping",
        "address_line": "Storgata 1", "postcode": "0155", "city": "Oslo", "payment_method": "card",
        "organisation_name": "", "org_number": "", "buyer_reference": "", "invoice_email": "",
    }
    data.update(overrides)
    return data


INVOICE = {"payment_method": "invoice", "organisation_name": "Oslo kommune", "org_number": "974760673",
           "buyer_reference": "PO-4471", "invoice_email": "faktura@example.no"}
