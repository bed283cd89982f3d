"""The page cache: every visitor gets cached pages with their own parts filled in, and no change is ever hidden.

Pages are kept an hour here (the page_cache fixture), so only invalidation can make a test see a change.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from factories import NOW, make_product
from shop.core.time import utcnow
from shop.extensions import db


def _text(response) -> str:
    return response.get_data(as_text=True)


def _menu(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.DOTALL).group(0)


def test_anonymous_visitors_get_the_cached_page(page_cache, client, session):
    product = make_product(session, title="Benk i eik")
    session.commit()

    first = client.get(f"/produkt/{product.slug}")
    second = client.get(f"/produkt/{product.slug}")

    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert _text(first) == _text(second)
    assert "Benk i eik" in _text(second) and "hole:" not in _text(second)
    assert "Content-Security-Policy" in second.headers
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers


def test_a_shopper_with_a_cart_gets_the_cached_page_with_their_own_cart_count(page_cache, app, session):
    product = make_product(session, title="Benk i eik", stock=5)
    session.commit()
    shopper, other = app.test_client(), app.test_client()
    shopper.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 2})
    shopper.get("/")  # takes the "added to the cart" message

    mine = shopper.get(f"/produkt/{product.slug}")
    theirs = other.get(f"/produkt/{product.slug}")
    mine_again = shopper.get(f"/produkt/{product.slug}")

    assert {mine.headers["X-Cache"], theirs.headers["X-Cache"], mine_again.headers["X-Cache"]} <= {"miss", "hit"}
    assert theirs.headers["X-Cache"] == "hit" and mine_again.headers["X-Cache"] == "hit"
    assert "cart-count" in _menu(_text(mine)) and "(2" in _menu(_text(mine_again))
    assert "cart-count" not in _menu(_text(theirs))


def test_two_visitors_alternating_on_the_same_pages_never_see_each_others_parts(page_cache, app, session, login_as,
                                                                                client):
    """A logged-in customer with a cart and a message, and a guest, take turns on the same pages."""
    product = make_product(session, title="Benk i eik", stock=5)
    unit = product.unit
    session.commit()
    customer = login_as("customer", name="Kari Nordmann")  # logs `client` in
    guest = app.test_client()
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 3})
    pages = ["/", "/produkter", f"/produkt/{product.slug}", "/sok?q=benk", f"/enhet/{unit.slug}", "/enheter"]

    seen = {"customer": [], "guest": []}
    for round_ in range(2):
        for path in pages:
            for who, visitor in (("customer", client), ("guest", guest)) if round_ == 0 else (
                    ("guest", guest), ("customer", client)):
                response = visitor.get(path)
                assert response.status_code == 200, path
                seen[who].append((path, response.headers.get("X-Cache"), _text(response)))

    for path, _, html in seen["guest"]:
        menu = _menu(html)
        assert "Logg ut" not in html and "csrf_token" not in html, path
        assert "Min konto" not in menu and "cart-count" not in menu and "Logg inn" in menu, path
        assert customer.email not in html and "Kari" not in html, path
        assert "Lagt i handlekurven" not in html, path
    tokens = set()
    for path, _, html in seen["customer"]:
        menu = _menu(html)
        assert "Min konto" in menu and "Logg ut" in menu and "(3" in menu, path
        assert "Logg inn" not in menu, path
        # The token signed afresh for this answer (the part before the first dot is the session's own).
        tokens.update(token.split(".")[0] for token in re.findall(r'name="csrf_token" value="([^"]+)"', html))
    assert len(tokens) == 1  # the customer's own token on every page
    hits = [cached for who in seen for _, cached, _ in seen[who] if cached == "hit"]
    assert len(hits) >= len(pages) * 2, "both visitors were served from the cache"
    # What is kept holds nobody's parts at all.
    store = page_cache
    kept = [value for value in getattr(store, "_entries", {}).values()]
    assert kept and all(b"csrf_token" not in body and b"cart-count" not in body for _, body, _ in kept)


def test_messages_are_shown_once_to_their_visitor_on_a_cached_page(page_cache, app, session):
    product = make_product(session, stock=5)
    session.commit()
    shopper, other = app.test_client(), app.test_client()
    other.get("/")  # the page is kept
    shopper.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1})

    first, second, theirs = shopper.get("/"), shopper.get("/"), other.get("/")

    assert "ds-alert" in _text(first) and 'class="flashes"' in _text(first)
    assert 'class="flashes"' not in _text(second) and 'class="flashes"' not in _text(theirs)
    assert first.headers["X-Cache"] == "hit"


def test_staff_get_their_own_menu_on_a_cached_storefront_page(page_cache, app, client, session, login_as):
    product = make_product(session)
    session.commit()
    app.test_client().get(f"/produkt/{product.slug}")
    login_as("staff")

    page = client.get(f"/produkt/{product.slug}")

    assert page.headers["X-Cache"] == "hit"
    menu = _menu(_text(page))
    assert "Lager" in menu and "Handlekurv" not in menu


def test_the_cache_keeps_languages_and_query_strings_apart(page_cache, client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    norwegian = _text(client.get("/produkter?sort=name"))
    client.set_cookie("lang", "en", domain="verkstedbutikken.test")
    english = client.get("/produkter?sort=name")
    other_query = client.get("/produkter?sort=price_asc")

    assert "Alle produkter" in norwegian
    assert english.headers["X-Cache"] == "miss" and "All products" in _text(english)
    assert other_query.headers["X-Cache"] == "miss"


def test_error_pages_and_bad_requests_are_not_cached(page_cache, client):
    client.get("/produkt/finnes-ikke")
    assert "X-Cache" not in client.get("/produkt/finnes-ikke").headers
    client.get("/produkter?page=0")
    assert "X-Cache" not in client.get("/produkter?page=0").headers


def test_add_to_cart_from_a_cached_page_works_without_a_token_but_not_from_another_site(app, page_cache, client, session):
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


def test_a_forged_host_header_cannot_poison_the_cache_for_others(page_cache, client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    client.get("/enheter", headers={"Host": "evil.example"})
    page = client.get("/enheter")

    assert page.headers["X-Cache"] == "miss"
    assert "evil.example" not in _text(page)


# Invalidation: what the pages show changes, and the kept pages go with it.

def _availability(html: str, slug: str | None = None) -> str:
    """The availability the page shows (of the product with this slug, on a list)."""
    if slug:
        card = re.search(rf'<article class="ds-card product-card">(?:(?!</article>).)*?/produkt/{slug}".*?</article>',
                         html, re.DOTALL).group(0)
        html = card
    return re.search(r'class="ds-tag availability"[^>]*>([^<]+)<', html).group(1)


def test_a_sale_invalidates_every_page_that_shows_the_product(page_cache, client, session):
    product = make_product(session, title="Benk i eik", stock=1, featured=True)
    session.commit()
    pages = ["/", "/produkter", f"/kategori/{product.category.slug}", f"/produkt/{product.slug}", "/sok?q=benk",
             f"/enhet/{product.unit.slug}"]
    for path in pages:
        assert _availability(_text(client.get(path)), None if "produkt/" in path else product.slug) == "Få igjen"
        assert client.get(path).headers["X-Cache"] == "hit"

    place(session, product, now=utcnow())

    for path in pages:
        page = client.get(path)
        assert page.headers["X-Cache"] == "miss", path
        assert _availability(_text(page), None if "produkt/" in path else product.slug) == "Utsolgt", path


def place(session, product, *, now):
    """A card order for one of the product, holding its stock while the customer pays."""
    from shop.orders import services as orders

    order = orders.place_order(
        session, {product.id: 1},
        orders.Details(email="kari@example.no", name="Kari Nordmann", delivery_method="shipping", payment_method="card",
                       address_line="Storgata 1", postcode="0155", city="Oslo"),
        now=now, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    return order


def test_a_staff_stock_update_invalidates_the_product_and_the_lists(page_cache, client, session):
    from inventory import services as stock
    from inventory.models import StockRecord

    product = make_product(session, title="Benk i eik", stock=0)
    session.commit()
    assert "Utsolgt" in _text(client.get(f"/produkt/{product.slug}"))
    assert "Utsolgt" in _availability(_text(client.get("/produkter")), product.slug)
    record = session.query(StockRecord).filter_by(product_id=product.id).one()

    stock.adjust(session, record.id, 10, reason="produced", now=NOW)
    session.commit()

    assert _availability(_text(client.get(f"/produkt/{product.slug}"))) == "På lager"
    assert _availability(_text(client.get("/produkter")), product.slug) == "På lager"


def test_a_rolled_back_change_invalidates_nothing(page_cache, client, session):
    from inventory import services as stock
    from inventory.models import StockRecord

    product = make_product(session, stock=3)
    session.commit()
    client.get(f"/produkt/{product.slug}")
    record = session.query(StockRecord).filter_by(product_id=product.id).one()

    stock.adjust(session, record.id, 5, reason="produced", now=NOW)
    session.rollback()

    assert client.get(f"/produkt/{product.slug}").headers["X-Cache"] == "hit"


def test_a_listing_change_reaches_the_lists_and_its_own_page(page_cache, client, session):
    product = make_product(session, title="Benk i eik")
    other = make_product(session, title="Krakk i bjørk", category=product.category)
    session.commit()
    for path in ("/produkter", f"/produkt/{product.slug}", f"/produkt/{other.slug}", "/sok?q=benk"):
        client.get(path)

    product.title = "Sittebenk i eik"
    session.commit()

    assert "Sittebenk i eik" in _text(client.get("/produkter"))
    assert "Sittebenk i eik" in _text(client.get(f"/produkt/{product.slug}"))
    assert "Sittebenk i eik" in _text(client.get(f"/produkt/{other.slug}"))  # "more from the category"
    assert "Sittebenk i eik" in _text(client.get("/sok?q=benk"))


def test_renaming_the_unit_of_a_card_reaches_every_page_that_shows_the_card(page_cache, client, session):
    from factories import make_unit

    product = make_product(session, title="Benk i eik")
    other = make_product(session, title="Krakk i bjørk", category=product.category,
                         unit=make_unit(session, name="Bergen fengsel"))
    session.commit()
    client.get(f"/produkt/{product.slug}")  # shows the krakk as "more from the category"
    assert client.get(f"/produkt/{product.slug}").headers["X-Cache"] == "hit"

    other.unit.name = "Bjørgvin fengsel"
    session.commit()

    page = client.get(f"/produkt/{product.slug}")
    assert page.headers["X-Cache"] == "miss" and "Bjørgvin fengsel" in _text(page)


def test_withdrawing_a_product_takes_it_off_the_cached_lists(page_cache, client, session):
    product = make_product(session, title="Benk i eik")
    session.commit()
    assert "Benk i eik" in _text(client.get("/produkter"))

    product.status = "archived"
    session.commit()

    assert "Benk i eik" not in _text(client.get("/produkter"))
    assert client.get(f"/produkt/{product.slug}").status_code == 404


def test_closing_a_unit_and_renaming_a_category_reach_the_pages(page_cache, client, session):
    product = make_product(session, title="Benk i eik")
    session.commit()
    client.get(f"/produkt/{product.slug}")
    client.get("/produkter")

    product.category.name = "Sittemøbler"
    session.commit()
    assert "Sittemøbler" in _text(client.get(f"/produkt/{product.slug}"))

    product.unit.active = False
    session.commit()
    assert client.get(f"/produkt/{product.slug}").status_code == 404
    assert "Benk i eik" not in _text(client.get("/produkter"))


def test_a_page_is_not_kept_past_the_moment_a_hold_on_its_stock_expires(page_cache, app, client, session):
    product = make_product(session, title="Benk i eik", stock=1)
    session.commit()
    place(session, product, now=utcnow() - timedelta(minutes=14, seconds=58))  # its hold ends in 2 s

    page = client.get(f"/produkt/{product.slug}")
    assert "Utsolgt" in _text(page)
    store = page_cache
    kept = [until for key, (until, _, _) in store._entries.items() if product.slug in key]
    assert kept, "the page was kept"
    import time

    assert kept[0] - time.monotonic() <= 3, "kept no longer than the hold lasts"


def test_a_render_that_read_stock_before_a_change_is_not_kept(page_cache, app, session):
    """A change committed while a page is being made keeps that page out of the cache."""
    from flask import g

    from shop.pagecache import since

    product = make_product(session, stock=2)
    session.commit()
    store = page_cache
    with app.test_request_context(f"/produkt/{product.slug}"):
        started = since()
        assert g.page_since == started
    store.invalidate({f"product:{product.id}"})  # a sale, committed meanwhile

    assert not store.put("page:x", b"old", tags={f"product:{product.id}"}, seconds=60, since=started)
    assert store.put("page:y", b"other", tags={"product:999999"}, seconds=60, since=started)


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


def _web_nodes(app, monkeypatch, redis_url: str) -> tuple[str, tuple]:
    """Two web nodes (two apps) on the same database and the same Redis, as behind a load balancer."""
    from uuid import uuid4

    from shop import create_app

    prefix = f"test-{uuid4().hex}-"
    monkeypatch.setenv("REDIS_URL", redis_url)
    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MEDIA_ROOT",
                                               "SERVER_NAME", "SESSION_COOKIE_SECURE", "WTF_CSRF_ENABLED")}
    config.update(PAGE_CACHE_SECONDS=3600, FRAGMENT_CACHE_SECONDS=3600, PAGE_CACHE_PREFIX=prefix,
                  RATELIMIT_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT="2 per 5 minutes")
    return prefix, (create_app(config), create_app(config))


def _close(nodes) -> None:
    for node in nodes:
        with node.app_context():
            db.engine.dispose()


@pytest.fixture
def two_nodes(app, monkeypatch, redis_client):
    prefix, nodes = _web_nodes(app, monkeypatch, REDIS_TEST_URL)
    yield nodes
    for key in redis_client.scan_iter(prefix + "*"):
        redis_client.delete(key)
    _close(nodes)


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, which it may pause without touching anyone else's."""
    import shutil
    import socket
    import subprocess
    import time

    redis = pytest.importorskip("redis")
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server to start")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def test_redis_url_makes_every_web_node_share_the_pages_and_the_login_limits(two_nodes, session, redis_client):
    from shop.pagecache.store import RedisStore

    node_a, node_b = two_nodes
    make_product(session, title="Benk i eik")
    session.commit()
    assert isinstance(node_a.extensions["page_store"], RedisStore)
    assert node_a.config["RATELIMIT_STORAGE_URI"] == REDIS_TEST_URL

    assert node_a.test_client().get("/").headers["X-Cache"] == "miss"
    assert node_b.test_client().get("/").headers["X-Cache"] == "hit"

    # Two failed logins on one node use up the allowance on the other as well.
    login = {"email": "ukjent@example.no", "password": "feil-passord"}
    for node in (node_a, node_b):
        assert node.test_client().post("/logg-inn", data=login).status_code == 400  # wrong password
    assert node_a.test_client().post("/logg-inn", data=login).status_code == 429


def test_a_stock_change_on_one_node_reaches_the_pages_of_the_other_within_a_second(two_nodes, session):
    """The issue's promise: after any stock change no page shows the old availability for more than 1 s."""
    import time

    from inventory import services as stock
    from inventory.models import StockRecord

    node_a, node_b = two_nodes
    product = make_product(session, title="Benk i eik", stock=0)
    session.commit()
    pages = ["/produkter", f"/produkt/{product.slug}", "/sok?q=benk", f"/enhet/{product.unit.slug}"]
    reader = node_b.test_client()
    for path in pages:
        reader.get(path)
        assert reader.get(path).headers["X-Cache"] == "hit"
    record_id = session.query(StockRecord.id).filter_by(product_id=product.id).scalar()

    with node_a.app_context():  # a staff member on node A counts ten more
        stock.adjust(db.session, record_id, 10, reason="produced", now=NOW)
        db.session.commit()
        changed = time.monotonic()

    # Node B may serve its near copy of a page (PAGE_CACHE_NEAR_SECONDS) until the change reaches it; node A
    # sees its own change at once.
    seen = {}
    while len(seen) < len(pages) and time.monotonic() - changed < 2:
        for path in pages:
            if path not in seen:
                html = _text(reader.get(path))
                if _availability(html, None if "produkt/" in path else product.slug) == "På lager":
                    seen[path] = time.monotonic() - changed
        time.sleep(0.02)
    assert set(seen) == set(pages)
    assert max(seen.values()) < 1.0, seen
    writer = node_a.test_client()
    assert all(_availability(_text(writer.get(path)), None if "produkt/" in path else product.slug) == "På lager"
               for path in pages)


def test_a_node_serves_a_hot_page_from_its_near_copy_for_half_a_second_at_most(two_nodes, session):
    import time

    node_a, node_b = two_nodes
    store = node_b.extensions["page_store"]
    assert store.near_seconds == node_b.config["PAGE_CACHE_NEAR_SECONDS"] == 0.5
    make_product(session, title="Benk i eik")
    session.commit()
    reader = node_b.test_client()
    reader.get("/produkter")
    assert reader.get("/produkter").headers["X-Cache"] == "hit"
    kept = [key for key in store._near if key.endswith(":/produkter?")]
    assert kept, "kept near"

    node_a.extensions["page_store"].invalidate({"listings"})  # another node's change
    taken = time.monotonic()
    assert store.redis.get(store.prefix + kept[0]) is None, "gone from Redis"
    while reader.get("/produkter").headers["X-Cache"] == "hit":
        assert time.monotonic() - taken < 0.6, "the near copy outlived its half second"
        time.sleep(0.01)

    reader.get("/produkter")
    assert reader.get("/produkter").headers["X-Cache"] == "hit"
    store.invalidate({"listings"})  # this node's own change: its near copies go at once
    assert not store._near
    assert reader.get("/produkter").headers["X-Cache"] == "miss"


def test_a_page_made_from_near_copies_older_than_a_change_is_not_kept(two_nodes, session):
    """Node B makes a page from its near copies of the cards after node A changed one of them: the page may
    show the old card for the near copy's half second, but is never kept (or it would show it for hours)."""
    import time

    from inventory import services as stock
    from inventory.models import StockRecord

    node_a, node_b = two_nodes
    product = make_product(session, title="Benk i eik", stock=0)
    session.commit()
    reader = node_b.test_client()
    assert _availability(_text(reader.get("/produkter")), product.slug) == "Utsolgt"  # the card made and kept
    reader.get("/sok?q=benk")  # another list reads the kept card from Redis: now near on B
    store = node_b.extensions["page_store"]
    assert any(key.startswith("card:") for key in store._near_parts)
    record_id = session.query(StockRecord.id).filter_by(product_id=product.id).scalar()
    with node_a.app_context():
        stock.adjust(db.session, record_id, 10, reason="produced", now=NOW)
        db.session.commit()
    changed = time.monotonic()

    # B renders the products page again (A's change deleted it) from its near copy of the card, if that is
    # still younger than half a second; whatever it shows, Redis must not keep a page showing "Utsolgt".
    reader.get("/produkter?sort=newest")
    kept = [store.redis.get(key) for key in store.redis.scan_iter(store.prefix + "page:*")]
    assert all(b"Utsolgt" not in page for page in kept if page)
    while time.monotonic() - changed < 0.6:
        time.sleep(0.05)
    assert _availability(_text(reader.get("/produkter?sort=newest")), product.slug) == "På lager"


def test_an_invalidation_redis_does_not_take_is_retried_and_its_node_serves_nothing_kept_meanwhile(
        app, monkeypatch, own_redis, session):
    """Redis stops taking writes (paused longer than the socket timeout) just as a stock change commits: the
    node that made the change shows it at once, and once Redis takes writes again, within a second no node
    shows the old availability (the kept pages would otherwise live for hours)."""
    import time

    from inventory import services as stock
    from inventory.models import StockRecord

    url, redis_client = own_redis
    _, (node_a, node_b) = _web_nodes(app, monkeypatch, url)
    try:
        product = make_product(session, title="Benk i eik", stock=0)
        session.commit()
        path = f"/produkt/{product.slug}"
        writer, reader = node_a.test_client(), node_b.test_client()
        for visitor in (writer, reader):
            visitor.get(path)
            assert visitor.get(path).headers["X-Cache"] == "hit"
        record_id = session.query(StockRecord.id).filter_by(product_id=product.id).scalar()
        time.sleep(0.6)  # past the near copies

        pause = 1.5
        redis_client.execute_command("CLIENT", "PAUSE", int(pause * 1000), "WRITE")
        paused = time.monotonic()
        with node_a.app_context():
            stock.adjust(db.session, record_id, 10, reason="produced", now=NOW)
            db.session.commit()  # the invalidation times out; the change stands
        store = node_a.extensions["page_store"]
        assert store.owed >= {f"product:{product.id}"}

        shown = writer.get(path)
        assert time.monotonic() - paused < pause, "still paused"
        assert shown.headers.get("X-Cache") != "hit"
        assert _availability(_text(shown)) == "På lager", "the node that owes the invalidation shows the change"
        assert _availability(_text(reader.get(path))) == "Utsolgt", "the other node still has the old page"

        resumed = paused + pause
        while time.monotonic() < resumed + 2:
            if _availability(_text(reader.get(path))) == "På lager":
                break
            time.sleep(0.02)
        seen = time.monotonic() - resumed
        assert _availability(_text(reader.get(path))) == "På lager"
        assert seen < 1.0, seen
        assert not store.owed
        writer.get(path)
        assert writer.get(path).headers["X-Cache"] == "hit", "kept again once nothing is owed"
    finally:
        _close((node_a, node_b))


def test_redis_keeps_a_render_that_started_before_a_change_out(two_nodes, session):
    node_a, _ = two_nodes
    store = node_a.extensions["page_store"]
    started = store.since()
    store.invalidate({"product:1"})

    assert not store.put("page:old", b"old", tags={"product:1"}, seconds=60, since=started)
    assert store.put("page:new", b"new", tags={"product:1"}, seconds=60, since=store.since())
    assert store.get("page:new") == b"new"
    store.invalidate({"product:1"})
    assert store.get("page:new") is None


def test_without_redis_each_process_keeps_pages_only_a_second(app):
    from shop.pagecache import lifetime

    assert lifetime(app, "PAGE_CACHE_SECONDS") == 0  # the tests turn it off
    app.config.update(PAGE_CACHE_SECONDS=6 * 3600, PAGE_CACHE_LOCAL_SECONDS=1)
    assert lifetime(app, "PAGE_CACHE_SECONDS") == 1


def test_a_new_release_does_not_serve_the_old_pages(app):
    from shop.pagecache import version

    before = version(app)
    app.config["SITE_NAME"] = "Another shop"
    assert version(app) != before


def test_a_card_is_rendered_once_and_reused_by_every_list(page_cache, client, session):
    product = make_product(session, title="Benk i eik")
    session.commit()
    client.get("/produkter")
    cards = [key for key in page_cache._entries if key.startswith("card:")]

    client.get("/sok?q=benk")

    assert len(cards) == 1
    assert [key for key in page_cache._entries if key.startswith("card:")] == cards
    product.price_ore = 99900
    session.commit()
    assert not [key for key in page_cache._entries if key.startswith("card:")]
    assert "999,00" in _text(client.get("/sok?q=benk"))


def _statements(app):
    """The SQL statements run while the block runs (a list filled in as they run)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        seen: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting()


def test_a_list_page_that_is_not_kept_reads_its_cards_and_ids_from_the_store_until_the_lists_change(
        page_cache, app, client, session):
    category = make_product(session, title="Benk i eik").category
    session.commit()
    app.config.update(PAGE_CACHE_SECONDS=0)  # whole pages are not kept: every request renders
    path = f"/kategori/{category.slug}"
    assert "Benk i eik" in _text(client.get(path))

    with _statements(app) as run:
        again = _text(client.get(path))
    assert "Benk i eik" in again
    assert run == [], "the page's ids, count, filters and cards were all kept"

    make_product(session, title="Krakk i bjørk", category=category)
    session.commit()
    shown = _text(client.get(path))
    assert "Krakk i bjørk" in shown and "Benk i eik" in shown
    assert "2 produkter" in shown


@pytest.mark.parametrize("path", ["/kategori/{category}", "/kategori/{category}?page=2&sort=price_asc",
                                  "/sok?q=benk", "/sok?q=benk&in_stock=y&page=2", "/produkter?kind=goods"])
def test_a_list_page_made_from_its_kept_parts_is_the_page_made_from_its_filters(page_cache, app, client, session,
                                                                                 path):
    first = make_product(session, title="Benk i eik", price_ore=150000)
    make_product(session, title="Benk i furu", category=first.category, price_ore=90000)
    session.commit()
    app.config.update(PAGE_CACHE_SECONDS=0, PRODUCTS_PER_PAGE=1)
    path = path.format(category=first.category.slug)

    with _statements(app) as made:
        from_filters = client.get(path)
    with _statements(app) as run:
        from_kept = client.get(path)

    assert made, "the first render read the database"
    # (a list filtered on stock asks when the first hold expires: it changes then by itself)
    assert [sql for sql in run if "min(reservation.expires_at)" not in sql] == [], "the second came from the kept parts"
    assert from_kept.status_code == from_filters.status_code == 200
    assert from_kept.get_data() == from_filters.get_data()


def test_a_list_with_bad_filters_is_never_kept(page_cache, app, client, session):
    make_product(session, title="Benk i eik")
    session.commit()
    app.config.update(PAGE_CACHE_SECONDS=0)
    for _ in range(2):
        page = client.get("/produkter?min_price=-5")
        assert page.status_code == 400
        assert 'aria-invalid="true"' in _text(page)
    assert not [key for key in page_cache._entries if ":ids:" in key or ":filters:" in key and "min_price" in key]


def test_a_list_filtered_on_stock_is_kept_no_longer_than_the_first_hold_on_stock(page_cache, app, client, session):
    import time

    product = make_product(session, title="Benk i eik", stock=1)
    session.commit()
    place(session, product, now=utcnow() - timedelta(minutes=14, seconds=58))  # its hold ends in 2 s
    app.config.update(PAGE_CACHE_SECONDS=0)

    page = _text(client.get("/produkter?in_stock=y"))
    assert "Benk i eik" not in page, "held: not in stock"
    kept = [until for key, (until, _, _) in page_cache._entries.items() if key.startswith(("part:", "count:"))
            and not key.endswith(("shelves-and-makers",)) and "filters:" not in key]
    assert kept, "the page of ids and the count were kept"
    assert all(until - time.monotonic() <= 3 for until in kept), "kept no longer than the hold lasts"


def test_a_product_page_is_invalidated_when_a_product_it_recommends_changes(page_cache, app, client, session):
    from inventory import services as stock
    from inventory.models import StockRecord

    product = make_product(session, title="Benk i eik")
    other = make_product(session, title="Krakk i bjørk", category=product.category, stock=0)
    session.commit()
    app.config.update(PAGE_CACHE_SECONDS=0)  # only the product's kept parts, with its "more from" cards
    assert _availability(_text(client.get(f"/produkt/{product.slug}")), other.slug) == "Utsolgt"
    with _statements(app) as run:
        client.get(f"/produkt/{product.slug}")
    assert run == []

    record = session.query(StockRecord).filter_by(product_id=other.id).one()
    stock.adjust(session, record.id, 10, reason="produced", now=NOW)
    session.commit()

    assert _availability(_text(client.get(f"/produkt/{product.slug}")), other.slug) == "På lager"


def test_page_cache_clear_drops_every_kept_page(page_cache, app, client, session):
    product = make_product(session)
    session.commit()
    client.get(f"/produkt/{product.slug}")

    result = app.test_cli_runner().invoke(args=["page-cache-clear"])

    assert result.exit_code == 0, result.output
    assert client.get(f"/produkt/{product.slug}").headers["X-Cache"] == "miss"


def test_the_shop_goes_on_when_redis_is_away(app, session):
    """Redis down: every page is rendered, nothing is kept, and a change still commits."""
    from shop import create_app
    from shop.pagecache.store import RedisStore

    product = make_product(session, title="Benk i eik", stock=2)
    session.commit()
    product_id, slug = product.id, product.slug
    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "MEDIA_ROOT",
                                               "SERVER_NAME", "SESSION_COOKIE_SECURE", "WTF_CSRF_ENABLED")}
    config.update(CACHE_REDIS_URL="redis://127.0.0.1:1/0", PAGE_CACHE_SECONDS=3600, FRAGMENT_CACHE_SECONDS=3600)
    node = create_app(config)
    try:
        assert isinstance(node.extensions["page_store"], RedisStore)
        client = node.test_client()
        for path in ("/", "/produkter", f"/produkt/{slug}", "/sok?q=benk"):
            page = client.get(path)
            assert page.status_code == 200 and "X-Cache" not in page.headers, path
        with node.app_context():
            from catalogue.models import Product

            db.session.get(Product, product_id).title = "Sittebenk i eik"
            db.session.commit()  # the invalidation fails, and says so in the log; the change stands
        assert "Sittebenk i eik" in _text(client.get(f"/produkt/{slug}"))
    finally:
        with node.app_context():
            db.engine.dispose()


def test_a_guest_hit_answered_in_front_of_flask_is_the_one_flask_gives(page_cache, app, session):
    """shop/pagecache/edge.py answers guests' hits before Flask; the answer must be Flask's, byte for byte."""
    product = make_product(session, title="Benk i eik", stock=5)
    session.commit()
    guest, shopper = app.test_client(), app.test_client()
    shopper.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 2})
    shopper.get("/")  # the message is read
    for visitor in (guest, shopper):
        path = f"/produkt/{product.slug}"
        assert visitor.get(path).headers["X-Cache"] in ("miss", "hit")
        app.extensions["guest_menus"].clear()  # the edge lacks the menu: Flask answers the hit (and makes it)
        through_flask = visitor.get(path)
        assert app.extensions["guest_menus"], "Flask made the guest menu"
        at_the_edge = visitor.get(path)

        assert through_flask.headers["X-Cache"] == at_the_edge.headers["X-Cache"] == "hit"
        assert through_flask.get_data() == at_the_edge.get_data()
        assert sorted(through_flask.headers.items()) == sorted(at_the_edge.headers.items())
        assert at_the_edge.headers["Content-Security-Policy"] and at_the_edge.headers["Vary"] == "Cookie"
    assert "(2" in _menu(_text(shopper.get(f"/produkt/{product.slug}")))


def test_the_edge_leaves_logged_in_visitors_messages_and_odd_requests_to_flask(page_cache, app, client, session,
                                                                             login_as):
    from shop.pagecache.edge import EdgeCache

    product = make_product(session, title="Benk i eik")
    session.commit()
    path = f"/produkt/{product.slug}"
    client.get(path)
    client.get(path)  # kept, and the guest menu made
    edge = EdgeCache(app, None)

    def answer(test_client, url=path, method="GET"):
        from werkzeug.test import EnvironBuilder

        cookie = test_client.get_cookie("session", domain="verkstedbutikken.test")
        headers = {"Cookie": f"session={cookie.value}"} if cookie else {}
        environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2], method=method,
                                 base_url="http://verkstedbutikken.test", headers=headers).get_environ()
        return edge.kept_answer(environ)

    assert answer(client) is not None  # a guest: answered at the edge
    assert answer(client, method="POST") is None
    assert answer(client, url=path + "?x=%00") is None  # control characters: Flask's 400
    assert answer(client, url="/handlekurv") is None  # not a storefront page
    assert answer(client, url="/produkt/finnes-ikke") is None  # not kept
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("info", "Hei")]
    assert answer(client) is None  # a message waiting
    with client.session_transaction() as cookie:
        cookie.clear()
    login_as("customer")
    assert answer(client) is None  # logged in
    with client.session_transaction() as cookie:
        cookie.clear()
    client.set_cookie("session", "forged.value.here", domain="verkstedbutikken.test")
    assert answer(client) is None  # a cookie that does not verify


def test_the_edge_remembers_a_verified_session_cookie_only_as_it_is_and_only_while_it_is_valid(page_cache, app,
                                                                                              session):
    from werkzeug.test import EnvironBuilder

    from shop.pagecache.edge import EdgeCache

    product = make_product(session, title="Benk i eik")
    session.commit()
    path = f"/produkt/{product.slug}"
    shopper = app.test_client()
    shopper.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 2})
    shopper.get(path)  # the message is read, the page kept
    shopper.get(path)  # the shopper's menu made
    cookie = shopper.get_cookie("session", domain="verkstedbutikken.test").value
    edge = EdgeCache(app, None)

    def answer(value):
        environ = EnvironBuilder(path=path, method="GET", base_url="http://verkstedbutikken.test",
                                 headers={"Cookie": f"session={value}"}).get_environ()
        return edge.kept_answer(environ)

    assert "(2" in _menu(answer(cookie)[0].decode())
    assert cookie in app.extensions["verified_sessions"]
    # (not the last character: its low bits are padding, which base64 ignores)
    tampered = cookie[:-5] + ("A" if cookie[-5] != "A" else "B") + cookie[-4:]
    assert answer(tampered) is None, "one byte changed: verified afresh, and refused"

    count, _ = app.extensions["verified_sessions"][cookie]
    app.extensions["verified_sessions"][cookie] = (count, 0.0)  # its lifetime over
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=0)  # (this test's own app)
    import time

    time.sleep(1.1)
    assert answer(cookie) is None, "an expired cookie is verified again, and refused"
