"""The page cache: anonymous visitors share cached storefront pages; anyone with a session never does."""
from __future__ import annotations

import pytest

from factories import make_product


@pytest.fixture
def cached(app):
    from shop.extensions import cache

    app.config["PAGE_CACHE_SECONDS"] = 60
    cache.clear()
    yield app
    cache.clear()


def test_anonymous_visitors_get_the_cached_page(cached, client, session):
    product = make_product(session, title="Benk i eik")
    session.commit()

    first = client.get(f"/produkt/{product.slug}")
    product.title = "Endret tittel"
    session.commit()
    second = client.get(f"/produkt/{product.slug}")

    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert "Benk i eik" in second.get_data(as_text=True)
    assert "Content-Security-Policy" in second.headers
    assert "Set-Cookie" not in first.headers


def test_visitors_with_a_session_always_get_a_fresh_page(cached, client, session):
    product = make_product(session, title="Benk i eik", stock=5)
    session.commit()
    client.get(f"/produkt/{product.slug}")
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1})
    product.title = "Endret tittel"
    session.commit()

    response = client.get(f"/produkt/{product.slug}")

    assert "X-Cache" not in response.headers
    assert "Endret tittel" in response.get_data(as_text=True)


def test_the_cache_keeps_languages_and_query_strings_apart(cached, client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    norwegian = client.get("/produkter?sort=name").get_data(as_text=True)
    client.set_cookie("lang", "en", domain="verkstedbutikken.test")
    english = client.get("/produkter?sort=name")
    other_query = client.get("/produkter?sort=price_asc")

    assert "Alle produkter" in norwegian
    assert english.headers["X-Cache"] == "miss" and "All products" in english.get_data(as_text=True)
    assert other_query.headers["X-Cache"] == "miss"


def test_error_pages_and_bad_requests_are_not_cached(cached, client):
    client.get("/produkt/finnes-ikke")
    assert "X-Cache" not in client.get("/produkt/finnes-ikke").headers
    client.get("/produkter?page=0")
    assert "X-Cache" not in client.get("/produkter?page=0").headers


def test_add_to_cart_from_a_cached_page_works_without_a_token_but_not_from_another_site(app, cached, client, session):
    product = make_product(session, stock=5)
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = True

    same_site = client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1},
                            headers={"Origin": "http://verkstedbutikken.test"})
    cross_site = client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1},
                             headers={"Origin": "https://evil.example"})

    assert same_site.status_code == 303
    assert cross_site.status_code == 403
    assert client.post("/handlekurv/endre", data={"product_id": product.id, "quantity": 5}).status_code == 400  # still needs a token


def test_a_forged_host_header_cannot_poison_the_cache_for_others(cached, client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    client.get("/enheter", headers={"Host": "evil.example"})
    page = client.get("/enheter")

    assert page.headers["X-Cache"] == "miss"
    assert "evil.example" not in page.get_data(as_text=True)


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    yield client
    client.close()


def test_redis_url_makes_every_web_node_share_the_page_cache_and_the_login_limits(app, session, monkeypatch,
                                                                                redis_client):
    from uuid import uuid4

    from shop import create_app

    prefix = f"test-{uuid4().hex}-"
    make_product(session, title="Benk i eik")
    session.commit()
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MEDIA_ROOT",
                                               "SERVER_NAME", "SESSION_COOKIE_SECURE",
                                               "WTF_CSRF_ENABLED")}
    config.update(PAGE_CACHE_SECONDS=60, CACHE_KEY_PREFIX=prefix, RATELIMIT_KEY_PREFIX=prefix,
                  LOGIN_RATE_LIMIT="2 per 5 minutes")
    node_a, node_b = create_app(config), create_app(config)
    try:
        assert node_a.config["CACHE_TYPE"] == "RedisCache"
        assert node_a.config["RATELIMIT_STORAGE_URI"] == REDIS_TEST_URL

        assert node_a.test_client().get("/").headers["X-Cache"] == "miss"
        assert redis_client.keys(prefix + "*"), "the page went into Redis"
        assert node_b.test_client().get("/").headers["X-Cache"] == "hit"

        # Two failed logins on one node use up the allowance on the other as well.
        login = {"email": "ukjent@example.no", "password": "feil-passord"}
        for node in (node_a, node_b):
            assert node.test_client().post("/logg-inn", data=login).status_code == 400  # wrong password
        assert node_a.test_client().post("/logg-inn", data=login).status_code == 429
    finally:
        for key in redis_client.scan_iter(prefix + "*"):
            redis_client.delete(key)
        for node in (node_a, node_b):
            with node.app_context():
                from shop.extensions import db

                db.engine.dispose()
