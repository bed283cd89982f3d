"""The public national overview (/enheter, /enhet/<slug>): every active unit's trades, goods and services for
partners and buyers, published ones only, by region; cacheable, with a fixed number of queries."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import event

from catalogue import browse
from factories import in_bokmal, make_category, make_product, make_unit
from shop.extensions import db


def plural_in_bokmal(singular: str, plural: str, n: int) -> str:
    from flask_babel import force_locale, ngettext

    with force_locale("nb"):
        return ngettext(singular, plural, n)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def country(session):
    """Two active units in two regions with goods and services in several states, and one closed unit."""
    tromso = make_unit(session, name="Tromsø fengsel", region="nord", trades=["metall", "sveis"])
    bergen = make_unit(session, name="Bergen fengsel", region="vest", trades=["trykk"])
    closed = make_unit(session, name="Gamle fengsel", region="vest", trades=["vev"])
    category = make_category(session, name="Tjenester")
    make_product(session, unit=tromso, category=category, title="Grillrist i stål")
    make_product(session, unit=tromso, category=category, title="Sveising på oppdrag", kind="service", stock=None)
    make_product(session, unit=tromso, category=category, title="Hemmelig utkast", kind="service", stock=None,
                 status="draft")
    make_product(session, unit=bergen, category=category, title="Trykk av visittkort", kind="service", stock=None)
    make_product(session, unit=bergen, category=category, title="Brosjyretrykk", kind="service", stock=None)
    make_product(session, unit=bergen, category=category, title="Plakat", stock=0)  # sold out, still for sale
    make_product(session, unit=bergen, category=category, title="Arkivert plakat", status="archived")
    make_product(session, unit=closed, category=category, title="Vevd teppe")
    closed.active = False
    session.commit()
    return {"tromso": tromso, "bergen": bergen, "closed": closed}


def test_every_active_unit_shows_its_trades_counts_and_services(client, session, country):
    response = client.get("/enheter")
    text = page(response)

    assert response.status_code == 200
    assert "metall, sveis" in text and "trykk" in text
    assert "Gamle fengsel" not in text and "Vevd teppe" not in text and "vev" not in text
    assert 'href="/produkter?unit=tromso-fengsel&kind=goods"' in text
    assert 'href="/produkter?unit=bergen-fengsel&kind=service"' in text
    assert "Sveising på oppdrag" in text and "Trykk av visittkort" in text and "Brosjyretrykk" in text
    assert "Hemmelig utkast" not in text and "Arkivert plakat" not in text


def test_the_counts_are_of_published_listings_only(session, country):
    offers = {offer.unit.name: offer for offer in browse.unit_offers(session)}

    assert set(offers) == {"Tromsø fengsel", "Bergen fengsel"}
    assert (offers["Tromsø fengsel"].goods, offers["Tromsø fengsel"].services) == (1, 1)
    assert (offers["Bergen fengsel"].goods, offers["Bergen fengsel"].services) == (1, 2)
    assert [s.title for s in offers["Bergen fengsel"].service_links] == ["Brosjyretrykk", "Trykk av visittkort"]


def test_a_unit_lists_its_first_services_and_links_the_rest(client, session):
    unit = make_unit(session, name="Ila fengsel")
    category = make_category(session)
    for n in range(12):
        make_product(session, unit=unit, category=category, title=f"Tjeneste {n:02d}", kind="service", stock=None)
    session.commit()

    [offer] = browse.unit_offers(session, services_per_unit=10)
    text = page(client.get("/enheter"))

    assert [s.title for s in offer.service_links] == [f"Tjeneste {n:02d}" for n in range(10)]
    assert "Tjeneste 09" in text and "Tjeneste 10" not in text
    assert plural_in_bokmal("See all %(num)s service", "See all %(num)s services", 12) in text
    assert 'href="/produkter?unit=ila-fengsel&kind=service"' in text


def test_the_region_filter_shows_one_region_and_refuses_an_unknown_one(client, session, country):
    north = page(client.get("/enheter?region=nord"))
    refused = client.get("/enheter?region=" + "ж" * 300)

    assert "Tromsø fengsel" in north and "Bergen fengsel" not in north
    assert refused.status_code == 400 and 'id="region-error"' in page(refused)
    assert "Tromsø fengsel" in page(refused) and "Bergen fengsel" in page(refused)  # all regions, with the message


def test_a_region_without_workshops_says_so(client, session, country):
    text = page(client.get("/enheter?region=sor"))

    assert in_bokmal("No workshops in this region.") in text


def test_the_unit_page_shows_its_goods_and_its_services(client, session, country):
    text = page(client.get("/enhet/bergen-fengsel"))

    assert "Plakat" in text and "Trykk av visittkort" in text and "Brosjyretrykk" in text
    assert "Arkivert plakat" not in text and "Sveising på oppdrag" not in text
    assert in_bokmal("Services from %(unit)s", unit="Bergen fengsel") in text
    assert "trykk" in text


def test_the_unit_page_of_a_closed_unit_is_not_found(client, session, country):
    assert client.get("/enhet/gamle-fengsel").status_code == 404


def test_the_overview_pages_stay_cacheable_for_anonymous_visitors(client, session, country, page_cache):
    first = client.get("/enheter?region=nord")
    second = client.get("/enheter?region=nord")
    unit = client.get("/enhet/tromso-fengsel")
    refused = client.get("/enheter?region=atlantis")

    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in unit.headers
    assert unit.headers["X-Cache"] == "miss"
    assert refused.status_code == 400 and "X-Cache" not in refused.headers  # an error page is never kept


def _statements(client, path) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_units_page_runs_the_same_queries_for_two_units_or_eight(client, session):
    category = make_category(session)

    def grow(n):
        for _ in range(n):
            unit = make_unit(session)
            make_product(session, unit=unit, category=category)
            make_product(session, unit=unit, category=category, kind="service", stock=None)
        session.commit()

    grow(2)
    small = _statements(client, "/enheter")
    grow(6)

    assert _statements(client, "/enheter") == small


@pytest.mark.browser
def test_the_public_overview_passes_axe_on_a_phone(app, session, country):
    from browser_support import CHROMIUM, PageWatcher, blocking, describe_violations, launch_chromium, live_server

    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("axe_playwright_python")
    from axe_playwright_python.sync_playwright import Axe

    phone, problems = {"width": 390, "height": 844}, []
    with live_server(app) as base_url, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base_url, viewport=phone, locale="nb-NO", is_mobile=True)
        page = context.new_page()
        watcher = PageWatcher(page)
        for path in ("/enheter", "/enheter?region=vest", "/enheter?region=atlantis", "/enhet/bergen-fengsel",
                     "/enhet/tromso-fengsel"):
            page.goto(path)
            found = blocking(Axe().run(page).response["violations"])
            if found:
                problems.append(f"{path}: axe-core:\n{describe_violations(found)}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > phone["width"]:
                problems.append(f"{path}: the page is {width}px wide on a {phone['width']}px phone")
        # The region filter works by keyboard alone.
        page.goto("/enheter")
        page.get_by_label("Region", exact=True).focus()
        page.keyboard.press("ArrowDown")  # Nord
        page.get_by_role("button", name="Vis").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**region=**")
        shown = page.locator("main h3").all_inner_texts()
        context.close()
        browser.close()

    assert not problems, "\n".join(problems)
    assert watcher.problems == []
    assert shown == ["Tromsø fengsel"]
