"""Selling to the state and to the public in real Chromium: an agency buys by invoice and the coordinator issues,
sends and downloads its invoice (PDF and EHF, checked by the official rules); a private customer withdraws from a
card order, the workshop records the goods back and the coordinator refunds through localstripe. axe-core on the
new pages."""
from __future__ import annotations

import re

import pytest

from browser_support import CHROMIUM, blocking, describe_violations

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install -e '.[test]')")
pytest.importorskip("axe_playwright_python", reason="browser tests need axe-playwright-python (pip install -e '.[test]')")

import test_browser_buying as buying
from sqlalchemy import select
from test_browser_buying import (
    INVOICE_CHOICE,
    TOKEN_IN_URL,
    add_to_cart,
    continue_to_review,
    expect_paid_confirmation,
    fill_contact_and_address,
    go_to_checkout,
    open_cart,
    pay_by_card,
    to_card_payment,
)

from payment_support import stripe_client
from shop.accounts.services import create_user
from shop.core.actor import Actor
from shop.extensions import db
from shop.orders import fulfilment, peppol
from shop.orders.models import Fulfilment, Invoice, Order, OrderReturn

# The buying journeys' browser, live shop and pages, as fixtures here too.
browser, shop, open_page, page = buying.browser, buying.shop, buying.open_page, buying.page

pytestmark = pytest.mark.browser
expect = sync_api.expect
PHONE = {"width": 390, "height": 844}
PASSWORD = "koordinator-passord"


def no_blocking_axe(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    found = blocking(Axe().run(page).response["violations"])
    assert not found, f"{name}: {describe_violations(found)}"


def coordinator_page(open_page):
    create_user(db.session, email="koord@example.no", password=PASSWORD, role="coordinator", name="Koordinator")
    db.session.commit()
    page = open_page()
    page.goto("/logg-inn")
    page.get_by_label("E-post").fill("koord@example.no")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page).not_to_have_url(re.compile(r"/logg-inn"))
    return page


def test_an_agency_buys_by_invoice_and_the_coordinator_sends_the_invoice_and_downloads_pdf_and_ehf(
        page, open_page, shop, tmp_path):
    _, catalogue = shop
    add_to_cart(page, catalogue.bench, "Benk i eik")
    open_cart(page)
    go_to_checkout(page)
    fill_contact_and_address(page, name="Ola Innkjøper", email="ola@oslo.kommune.example")
    page.get_by_label(INVOICE_CHOICE).check()
    page.get_by_label("Navn på virksomheten").fill("Oslo kommune")
    page.get_by_label("Organisasjonsnummer").fill("974760673")
    page.get_by_label("Deres referanse eller innkjøpsordrenummer").fill("PO-4471")
    continue_to_review(page)
    terms = page.locator(".order-terms")
    expect(terms.get_by_role("link", name="salgsbetingelsene")).to_have_attribute("href", "/salgsbetingelser")
    expect(terms.get_by_role("link", name="angreretten")).to_have_attribute("href", "/angrerett")
    expect(terms).to_contain_text("angreretten for forbrukere gjelder ikke")
    no_blocking_axe(page, "review")
    page.get_by_role("button", name="Bestill med betalingsplikt").click()
    expect(page).to_have_url(re.compile(r"/ordre/[^/]+\?ny=1$"))
    token = TOKEN_IN_URL.search(page.url).group(1)

    coordinator = coordinator_page(open_page)
    coordinator.get_by_role("navigation", name="Koordinator").get_by_role("link", name="Fakturaer").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Fakturaer")
    no_blocking_axe(coordinator, "invoices")
    coordinator.get_by_role("button", name=re.compile("^Utsted faktura")).click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Faktura \d+$"))
    expect(coordinator.get_by_text("EHF-filen følger de offisielle reglene")).to_be_visible()
    no_blocking_axe(coordinator, "invoice")
    coordinator.get_by_role("button", name="Merk som sendt").click()
    expect(coordinator.get_by_role("status").or_(coordinator.locator(".flashes"))).to_contain_text("Merket som sendt")

    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="EHF-fil (XML)").click()
    xml = download.value.path().read_bytes()
    assert b"PO-4471" in xml and b"974760673" in xml
    assert peppol.fatal(peppol.validate(xml)) == []
    pdf_href = coordinator.get_by_role("link", name=re.compile("^PDF")).get_attribute("href")
    pdf = coordinator.request.get(pdf_href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice))
    assert invoice.status == "sent"
    page.goto(f"/ordre/{token}")
    expect(page.get_by_role("link", name=f"Faktura {invoice.number} (PDF)")).to_be_visible()
    expect(page.locator("main")).to_contain_text(invoice.kid)


def test_a_private_customer_withdraws_from_a_card_order_and_is_refunded(page, open_page, shop, stripe_app):
    _, catalogue = shop
    token = to_card_payment(page, catalogue.cutting_board, "Skjærebrett i bjørk", quantity=2)
    pay_by_card(page, "4242424242424242")
    expect_paid_confirmation(page)
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.public_token == token))
    part = db.session.scalar(select(Fulfilment).where(Fulfilment.order_id == order.id))
    staff = Actor(user_id=None, role="staff", unit_id=part.unit_id)
    for step in ("packed", "shipped"):
        fulfilment.advance(db.session, staff, part.id, step, now=part.updated_at)
    db.session.commit()

    page.set_viewport_size(PHONE)
    page.goto(f"/ordre/{token}")
    page.get_by_role("link", name="Gå fra kjøpet (angrerett)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Angre ordre {order.number}")
    no_blocking_axe(page, "withdrawal")
    page.get_by_label(re.compile("^Skjærebrett i bjørk: hvor mange")).fill("2")
    page.get_by_label(re.compile("^Hvorfor")).fill("Passet ikke på kjøkkenet")
    page.get_by_role("button", name="Gå fra kjøpet (angrerett)").click()
    expect(page.locator(".flashes")).to_contain_text("Vi har mottatt angremeldingen")
    expect(page.locator("main")).to_contain_text("Angremelding mottatt – send varene tilbake")

    db.session.expire_all()
    order_return = db.session.scalar(select(OrderReturn))
    from shop.orders import returns

    returns.receive(db.session, staff, order_return.lines[0].id, "returned", now=part.updated_at)
    db.session.commit()

    coordinator = coordinator_page(open_page)
    coordinator.goto("/coordinator/returer")
    no_blocking_axe(coordinator, "returns")
    coordinator.get_by_role("button", name=re.compile("^Refunder til kortet")).click()
    expect(coordinator.locator(".flashes")).to_contain_text("Returen er refundert")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.refunded_ore == order.total_ore
    refunds = stripe_client(stripe_app).v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert [r.amount for r in refunds.data] == [order.total_ore]
    page.goto(f"/ordre/{token}")
    expect(page.locator("main")).to_contain_text("Refundert")


@pytest.mark.parametrize("path", ["/salgsbetingelser", "/angrerett", "/personvern", "/tilgjengelighet", "/kontakt",
                                  "/om-oss"])
def test_the_legal_pages_pass_axe_on_a_phone_and_are_linked_from_the_footer(open_page, path):
    page = open_page(PHONE)
    page.goto("/")
    page.get_by_role("contentinfo").locator(f'a[href="{path}"]').click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    no_blocking_axe(page, path)
    assert page.watcher.problems == []


def test_the_coordinator_edits_a_legal_page_and_the_editor_passes_axe(open_page):
    coordinator = coordinator_page(open_page)
    coordinator.goto("/coordinator/sider")
    no_blocking_axe(coordinator, "pages")
    coordinator.get_by_role("link", name="Rediger Kontakt oss på norsk bokmål").click()
    no_blocking_axe(coordinator, "page editor")
    coordinator.get_by_label("Tekst").fill("## Ring oss\n\nPå {phone}, hverdager 9–15.")
    coordinator.get_by_role("button", name="Lagre og publiser").click()
    expect(coordinator.locator(".page-preview")).to_contain_text("Ring oss")
    coordinator.goto("/kontakt")
    expect(coordinator.get_by_role("heading", name="Ring oss")).to_be_visible()
