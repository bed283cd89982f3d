"""The coordinator in real Chromium: a staff member sends a listing for review, the coordinator approves it and
sees it in the shop, opens the national overview and a report with its chart and table, makes a collection,
and visits every coordinator page; axe-core on each, on a desktop and on a phone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from browser_support import PageWatcher, blocking, describe_violations, launch_chromium, live_server

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install -e '.[test]')")
pytest.importorskip("axe_playwright_python", reason="browser tests need axe-playwright-python (pip install -e '.[test]')")

from sqlalchemy import select  # noqa: E402

from catalogue.models import Product  # noqa: E402
from factories import NOW, make_product, make_unit  # noqa: E402
from shop.accounts.services import create_user  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.orders import services as orders  # noqa: E402

pytestmark = pytest.mark.browser
expect = sync_api.expect
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def country(app):
    """Two units, a draft listing at one of them, an invoice order, a staff member and a coordinator, served live."""
    session = db.session
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel", region="ost")
    bench = make_product(session, unit=bergen, title="Benk i eik", stock=5)
    draft = make_product(session, unit=halden, title="Fuglekasse i gran", status="draft", stock=4)
    orders.place_order(session, {bench.id: 2}, orders.Details(
        email="innkjop@example.no", name="Ola Innkjøper", delivery_method="shipping", payment_method="invoice",
        address_line="Rådhusgata 1", postcode="0151", city="Oslo", organisation_name="Oslo kommune",
        org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    create_user(session, email="verksted@example.no", password="passord-verksted", role="staff", unit_id=halden.id)
    create_user(session, email="koord@example.no", password="passord-koord", role="coordinator")
    session.commit()
    with live_server(app) as base_url:
        yield base_url, {"draft": draft.id, "draft_slug": draft.slug, "bench_sku": bench.sku}


@pytest.fixture
def browser(country):
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def open_page(browser, base_url: str, viewport=DESKTOP):
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="nb-NO")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.watcher = PageWatcher(page)
    return page


def log_in(page, email: str, password: str) -> None:
    page.goto("/logg-inn")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()


def axe_problems(page, name: str, width: int) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = blocking(Axe().run(page).response["violations"])
    problems = [f"{name}: axe-core:\n{describe_violations(found)}"] if found else []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{name}: the page is {scroll}px wide in a {width}px window")
    return problems


COORDINATOR_PAGES = [
    ("/coordinator", "start page"),
    ("/coordinator/varer", "review queue"),
    ("/coordinator/ordre", "orders"),
    ("/coordinator/oversikt", "national overview"),
    ("/coordinator/oversikt/varer", "national list"),
    ("/coordinator/rapporter", "reports"),
    ("/coordinator/samlinger", "collections"),
    ("/coordinator/samlinger/ny", "new collection"),
    ("/coordinator/utvikling", "product development"),
    ("/coordinator/enheter", "units"),
    ("/coordinator/enheter/ny", "new unit"),
    ("/coordinator/personer", "people"),
    ("/coordinator/personer/inviter", "invite"),
    ("/coordinator/logg", "audit log"),
]


def test_a_listing_sent_by_staff_is_approved_by_the_coordinator_and_is_in_the_shop(browser, country, tmp_path):
    base_url, facts = country
    problems: list[str] = []

    staff = open_page(browser, base_url)
    log_in(staff, "verksted@example.no", "passord-verksted")
    staff.goto(f"/workshop/varer/{facts['draft']}")
    staff.get_by_role("button", name="Lagre og send til godkjenning").click()
    expect(staff.locator(".flashes")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Product, facts["draft"]).status == "submitted"

    page = open_page(browser, base_url)
    log_in(page, "koord@example.no", "passord-koord")
    expect(page).to_have_url(re.compile(r"/coordinator$"))
    expect(page.get_by_role("heading", name=re.compile("1 vare venter på godkjenning"))).to_be_visible()
    page.get_by_role("navigation", name="Koordinator").get_by_role("link", name="Godkjenning").click()
    page.get_by_role("link", name="Fuglekasse i gran").click()
    problems += axe_problems(page, "review of a new listing", DESKTOP["width"])
    page.get_by_role("button", name="Godkjenn").click()
    expect(page.locator(".field-error, .ds-validation-message").first).to_be_visible()  # the two checks first
    page.get_by_label("Jeg har sjekket at ingen person kan kjennes igjen").check()
    page.get_by_label("Jeg har sjekket produktsikkerhetsmerking der det er relevant").check()
    page.get_by_role("button", name="Godkjenn").click()
    expect(page.locator(".flashes")).to_contain_text("publisert")
    page.goto(f"/produkt/{facts['draft_slug']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fuglekasse i gran")

    page.goto("/coordinator/oversikt")
    expect(page.get_by_role("cell", name="Bergen fengsel").or_(page.get_by_role("link", name="Bergen fengsel")).first
           ).to_be_visible()
    page.goto("/coordinator/rapporter")
    chart = page.locator("svg[role='img']").first
    expect(chart).to_be_visible()
    assert page.locator("table").count() >= 1
    page.screenshot(path=str(tmp_path / "reports.png"), full_page=True)

    page.goto("/coordinator/samlinger/ny")
    page.get_by_label("Tittel", exact=True).fill("Julegaver")
    page.get_by_role("button", name="Lag samlingen").click()
    page.get_by_label("Varenummer (SKU) for varen som skal legges til").fill(facts["bench_sku"])
    page.get_by_role("button", name="Legg til varen").click()
    expect(page.locator(".collection-items")).to_contain_text("Benk i eik")
    page.goto("/")
    expect(page.get_by_role("heading", name="Julegaver")).to_be_visible()

    for path, name in COORDINATOR_PAGES:
        response = page.goto(path)
        assert response.status == 200, f"{name}: {response.status}"
        problems += axe_problems(page, name, DESKTOP["width"])
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)

    phone = open_page(browser, base_url, PHONE)
    log_in(phone, "koord@example.no", "passord-koord")
    for path, name in COORDINATOR_PAGES:
        phone.goto(path)
        problems += axe_problems(phone, f"{name} (phone)", PHONE["width"])

    db.session.expire_all()
    assert db.session.scalar(select(Product.status).where(Product.id == facts["draft"])) == "published"
    assert not problems, "\n".join(problems)
    assert not page.watcher.problems, page.watcher.problems
