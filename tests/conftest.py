"""Test fixtures: an app on SQLite (or PostgreSQL when TEST_DATABASE_URL is set), a client, logins, localstripe."""
from __future__ import annotations

import os
import shutil
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select, text

from factories import NOW, make_product, make_unit, next_serial
from shop import create_app
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Fulfilment

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)


def pytest_collection_modifyitems(config, items):
    """Mark what makes the suite slow, so `make quick` (pytest -m "not slow") can leave it out: the browser
    tests, the tests that talk to localstripe, and the property-based test of every route."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "localstripe_url" in fixtures:
            item.add_marker(pytest.mark.stripe)
        if item.get_closest_marker("browser") or item.get_closest_marker("stripe") \
                or item.module.__name__ == "test_hostile_input":
            item.add_marker(pytest.mark.slow)


def _config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EHF_OUTBOX": str(tmp_path / "ehf-outbox"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "verkstedbutikken.test",
        # Tests change data between requests; the page cache has tests of its own (the page_cache fixture).
        "PAGE_CACHE_SECONDS": 0,
        "FRAGMENT_CACHE_SECONDS": 0,
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
def page_cache(app):
    """The page and fragment caches on, in this process's memory, kept an hour: only invalidation clears them."""
    store = app.extensions["page_store"]
    app.config.update(PAGE_CACHE_SECONDS=3600, FRAGMENT_CACHE_SECONDS=3600, PAGE_CACHE_LOCAL_SECONDS=3600)
    store.clear()
    yield store
    store.clear()


@pytest.fixture
def session(app):
    """The Flask-SQLAlchemy session, for calling services directly."""
    return db.session


@pytest.fixture
def login_as(app, client):
    """Log the test client in as a new user with this role (staff get a unit); return the user."""

    def login(role: str, unit=None, **fields):
        from shop.accounts.services import create_user

        if role == "staff" and unit is None:
            unit = make_unit(db.session)
        user = create_user(
            db.session, email=fields.pop("email", f"{role}{next_serial()}@example.no"), password="passord123",
            role=role, unit_id=unit.id if unit else None, **fields,
        )
        db.session.commit()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = user.session_id
            cookie["_fresh"] = True
        return user

    return login


# Payments: localstripe (the real stripe library against a local fake), started once per session.

@pytest.fixture(scope="session")
def localstripe_url():
    import importlib.util

    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -e '.[test]')")
    from shop.demo import localstripe as devstripe

    port = devstripe.free_port()
    process = devstripe.start(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_app(app, localstripe_url):
    """The app talking to a freshly emptied localstripe."""
    from shop.demo import localstripe as devstripe

    devstripe.reset(localstripe_url)
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_verkstedbutikken", STRIPE_PUBLISHABLE_KEY="pk_test_verkstedbutikken",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe_url,
        STRIPE_JS_URL=f"{localstripe_url}/js.stripe.com/v3/", STRIPE_DEMO=True,
    )
    return app


# Orders to pack: one with parts from two units, and a maker of one-unit orders.

@pytest.fixture
def split_order(session):
    """An invoice order with goods from Bergen and from Halden: two fulfilments."""
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    bench = make_product(session, unit=bergen, title="Benk i eik", stock=3)
    apron = make_product(session, unit=halden, title="Forkle i lin", stock=3)
    session.commit()
    order = orders.place_order(
        session, {bench.id: 1, apron.id: 2},
        orders.Details(email="innkjop@example.no", name="Innkjøper", delivery_method="shipping", payment_method="invoice",
                       address_line="Rådhusgata 1", postcode="0151", city="Oslo", organisation_name="Oslo kommune",
                       org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
    )
    session.commit()
    by_unit = {f.unit_id: f for f in session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id))}
    return {"order": order, "bergen": bergen, "halden": halden, "bergen_part": by_unit[bergen.id], "halden_part": by_unit[halden.id]}


@pytest.fixture
def one_unit_order(session):
    """Make an invoice order from one workshop, for shipping or pickup; return (order, its fulfilment, the unit)."""

    def make(delivery_method: str):
        unit = make_unit(session, name="Ila fengsel", postal_address="Ila fengsel, Postboks 100, 1332 Østerås",
                         contact_email="verksted@ila.example.no")
        product = make_product(session, unit=unit, title="Skjærefjøl i bjørk", stock=3)
        session.commit()
        address = {"address_line": "Storgata 1", "postcode": "0155", "city": "Oslo"} if delivery_method == "shipping" else {}
        order = orders.place_order(
            session, {product.id: 1},
            orders.Details(email="kunde@example.no", name="Kari Nordmann", delivery_method=delivery_method,
                           payment_method="invoice", organisation_name="Oslo kommune", org_number="974760673",
                           buyer_reference="PO-9", **address),
            now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
        )
        session.commit()
        return order, session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).one(), unit

    return make


# Image storage: a real S3 API served locally by moto in server mode, started once per session.

@pytest.fixture(scope="session")
def moto_s3_url():
    """The address of a moto server (a local S3 API) on a free port of 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_s3_url, monkeypatch):
    """A new, empty bucket on the moto server, with fake credentials in the environment; return its name."""
    import boto3

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    # Never read a developer's ~/.aws: only the fake keys below.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    bucket = f"verkstedbutikken-media-{next_serial()}-{os.getpid()}"
    boto3.session.Session().client("s3", endpoint_url=moto_s3_url, region_name="eu-north-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"},
    )
    return bucket
