"""Workshop staff on a phone (390 × 844) in real Chromium: log in, confirm the stock of 20 products in one visit
changing five of them (one page load, one save), mark a part of an order sent, upload a photo; axe-core on every
staff page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from browser_support import PageWatcher, blocking, describe_violations, draw_jpeg, launch_chromium, live_server

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install -e '.[test]')")
pytest.importorskip("axe_playwright_python", reason="browser tests need axe-playwright-python (pip install -e '.[test]')")

from sqlalchemy import func, select  # noqa: E402

from factories import NOW, make_product, make_unit  # noqa: E402
from catalogue.models import ProductImage  # noqa: E402
from inventory.models import StockMovement, StockRecord  # noqa: E402
from shop.accounts.services import create_user  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.orders import services as orders  # noqa: E402
from shop.orders.models import Fulfilment  # noqa: E402

pytestmark = pytest.mark.browser
expect = sync_api.expect
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def workshop(app):
    """A unit with 20 stocked products and one invoice order to send, served live; yield (base URL, facts)."""
    session = db.session
    unit = make_unit(session, name="Bastøy fengsel", postal_address="Bastøy fengsel, 3190 Horten")
    products = [make_product(session, unit=unit, title=f"Fuglekasse nr. {n:02d}", stock=10) for n in range(20)]
    order = orders.place_order(session, {products[0].id: 1}, orders.Details(
        email="innkjop@example.no", name="Ola Innkjøper", delivery_method="shipping", payment_method="invoice",
        address_line="Rådhusgata 1", postcode="0151", city="Oslo", organisation_name="Oslo kommune",
        org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    create_user(session, email="verksted@example.no", password="passord-verksted", role="staff", unit_id=unit.id)
    session.commit()
    with live_server(app) as base_url:
        yield base_url, {"order": order.number, "products": [p.id for p in products]}


@pytest.fixture
def phone(workshop):
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=workshop[0], viewport=PHONE, locale="nb-NO", is_mobile=True,
                                      has_touch=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.watcher = PageWatcher(page)
        yield page
        context.close()
        browser.close()


def axe_problems(page, name: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = blocking(Axe().run(page).response["violations"])
    width = page.evaluate("document.documentElement.scrollWidth")
    problems = [f"{name}: axe-core:\n{describe_violations(found)}"] if found else []
    if width > PHONE["width"]:
        problems.append(f"{name}: the page is {width}px wide on a {PHONE['width']}px phone")
    return problems


def test_staff_confirm_twenty_rows_changing_five_with_one_load_and_one_save_then_send_and_upload(phone, workshop,
                                                                                                 tmp_path):
    page, problems = phone, []
    page.goto("/logg-inn")
    page.get_by_label("E-post").fill("verksted@example.no")
    page.get_by_label("Passord").fill("passord-verksted")
    page.get_by_role("button", name="Logg inn").click()
    expect(page).to_have_url(re.compile(r"/workshop$"))
    expect(page.get_by_role("heading", name=re.compile("1 ordre å pakke"))).to_be_visible()
    problems += axe_problems(page, "start page")
    page.screenshot(path=str(tmp_path / "start.png"), full_page=True)

    loads, posts = [], []
    page.on("request", lambda r: (loads if r.method == "GET" else posts).append(r.url)
            if r.resource_type == "document" else None)
    page.get_by_role("link", name="Lager", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lager")
    problems += axe_problems(page, "stock page")
    rows = page.locator("li.stock-row")
    expect(rows).to_have_count(20)
    for index, count in ((1, "12"), (3, "9"), (5, "10"), (7, "0"), (9, "15")):
        rows.nth(index).get_by_label("Telt på hylla").fill(count)
    page.screenshot(path=str(tmp_path / "stock.png"), full_page=True)
    page.get_by_role("button", name="Alt stemmer").click()
    expect(page.locator(".flashes")).to_contain_text("bekreftet som riktige")

    assert [u for u in loads if "/workshop/lager" in u and "historikk" not in u] == [f"{workshop[0]}/workshop/lager"] * 2
    assert len([u for u in posts if u.endswith("/workshop/lager")]) == 1  # one save (then the page after it)
    session = db.session
    session.expire_all()
    ids = workshop[1]["products"]
    on_hand = [session.scalar(select(StockRecord.on_hand).where(StockRecord.product_id == pid)) for pid in ids]
    # Product 0 has one sold and not yet packed, so its count of 10 on the shelf means 9 on hand.
    assert on_hand[1:10:2] == [12, 9, 10, 0, 15] and on_hand[0] == 9
    assert session.scalar(select(func.count()).select_from(StockMovement)
                          .where(StockMovement.reason == "counted")) == 4  # 10 counted = 10 on hand: no movement
    assert session.scalar(select(func.count()).select_from(StockRecord)
                          .where(StockRecord.confirmed_at < NOW + timedelta(days=1))) == 0

    page.get_by_role("link", name="Ordre å pakke").first.click()
    problems += axe_problems(page, "packing queue")
    page.get_by_role("button", name=re.compile(r"^Merk som pakket")).click()
    page.get_by_label("Sporingsnummer (valgfritt)").fill("70701234567")
    page.get_by_role("button", name=re.compile(r"^Merk som sendt")).click()
    expect(page.locator(".flashes")).to_contain_text("Statusen er oppdatert")
    session.expire_all()
    assert session.scalar(select(Fulfilment.status)) == "shipped"
    page.goto("/workshop/ordre?vis=sendt")
    page.get_by_role("link", name=re.compile("Pakkseddel")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pakkseddel")
    problems += axe_problems(page, "packing slip")
    page.goto(f"/workshop/lager/{session.scalar(select(StockRecord.id))}/historikk")
    problems += axe_problems(page, "stock history")
    page.goto("/workshop/lager/start")
    problems += axe_problems(page, "start stocking")
    page.goto("/workshop/lager/csv")
    problems += axe_problems(page, "stock CSV")

    # A photo from the phone, on one of the unit's listings.
    photo = tmp_path / "fuglekasse.jpg"
    photo.write_bytes(draw_jpeg((150, 110, 70), size=(1200, 900)))
    page.get_by_role("link", name="Varer og tjenester").first.click()
    problems += axe_problems(page, "listings")
    page.get_by_role("link", name="Fuglekasse nr. 03").click()
    problems += axe_problems(page, "listing")
    page.get_by_label("Bilder (JPEG, PNG, WebP eller HEIC)", exact=True).set_input_files(str(photo))
    page.get_by_label("Alternativ tekst: hva bildet viser").fill("Fuglekasse i furu sett forfra")
    page.get_by_role("button", name="Last opp").click()
    expect(page.locator(".flashes")).to_contain_text("Bildene venter på godkjenning fra koordinatoren")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ProductImage)
                          .where(ProductImage.product_id == workshop[1]["products"][3])) == 1
    page.goto("/workshop/varer/ny")
    problems += axe_problems(page, "new listing")

    assert not problems, "\n".join(problems)
    assert page.watcher.problems == []
