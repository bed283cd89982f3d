"""Invoices and credit notes for invoice orders: one gap-free number series, KID and due date, the seller as
configured, every document valid EHF by the official rules, sent and paid by the coordinator, overdue ones
shown, credit notes for cancellations and partial credits, and the PDF for the coordinator and the customer."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
import test_concurrency
from sqlalchemy import select

from conftest import ON_POSTGRES
from factories import NOW, make_product, make_unit
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent
from shop.core.norway import kid_number, valid_bank_account, valid_kid
from shop.core.seller import seller
from shop.mail import OutboxMessage
from shop.orders import invoices
from shop.orders import services as orders
from shop.orders.models import Invoice, Order

COORDINATOR = Actor(user_id=None, role="coordinator")
TODAY = date(2026, 11, 20)
AGENCY = dict(delivery_method="shipping", payment_method="invoice", address_line="Rådhusgata 1", postcode="0151",
              city="Oslo", organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def invoice_order(session, items, **details) -> Order:
    """Place an invoice order for {product: quantity}."""
    order = orders.place_order(
        session, {product.id: n for product, n in items.items()},
        orders.Details(email="innkjop@example.no", name="Innkjøper", **{**AGENCY, **details}),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
    )
    session.commit()
    return order


def issue(app, session, order) -> Invoice:
    invoice = invoices.issue(session, COORDINATOR, order.id, seller=seller(app.config), today=TODAY, now=NOW)
    session.commit()
    return invoice


@pytest.mark.parametrize(("kid", "valid"), [("79927398713", True), ("79927398710", False), ("0001000017", True),
                                            ("0001000018", False), ("1", False), ("12a4", False)])
def test_kid_numbers_carry_a_mod_10_check_digit(kid, valid):
    assert valid_kid(kid) is valid


def test_every_kid_made_from_an_invoice_number_passes_its_check():
    assert all(valid_kid(kid_number(n)) and len(kid_number(n)) == 10 for n in range(100001, 101001))
    with pytest.raises(ValueError):
        kid_number(10**9)


@pytest.mark.parametrize(("account", "valid"), [("12345678903", True), ("1234.56.78903", True),
                                                ("12345678904", False), ("1234567890", False)])
def test_bank_accounts_are_checked_with_mod_11(account, valid):
    assert valid_bank_account(account) is valid


@pytest.mark.parametrize("setting", [{"SELLER_ORG_NUMBER": "999999998"}, {"INVOICE_BANK_ACCOUNT": "12345678904"},
                                     {"INVOICE_DUE_DAYS": 0}, {"SELLER_POSTCODE": "12"}])
def test_a_seller_identity_that_would_put_a_wrong_number_on_an_invoice_stops_the_app(tmp_path, setting):
    from shop import create_app

    with pytest.raises(ValueError):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", **setting})


@pytest.fixture
def mixed_order(session):
    """An agency's order from two units: food at 15 %, goods at 25 %, one made to order, prices that round."""
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    jam = make_product(session, unit=bergen, title="Bringebærsyltetøy", price_ore=6_999, vat_rate_bp=1500, stock=20)
    bench = make_product(session, unit=halden, title="Benk i eik", price_ore=3_333, stock=5)
    table = make_product(session, unit=halden, title="Bord etter mål", price_ore=1_234_501, stock=None,
                         made_to_order=True, lead_time_days=30)
    session.commit()
    return invoice_order(session, {jam: 7, bench: 3, table: 1})


def test_an_invoice_bills_every_line_with_kid_due_date_and_the_order_becomes_invoiced(app, session, mixed_order):
    invoice = issue(app, session, mixed_order)

    assert invoice.number == invoices.FIRST_NUMBER
    assert valid_kid(invoice.kid) and invoice.kid.startswith("000100001")
    assert invoice.due_date == TODAY + timedelta(days=14)
    assert invoice.buyer_org_number == "974760673" and invoice.buyer_reference == "PO-1"
    assert [line.quantity for line in invoice.lines] == [line.quantity for line in mixed_order.lines]
    assert invoice.total_ore == mixed_order.total_ore, "the invoice asks for what the order cost, to the øre"
    assert invoice.vat_ore == mixed_order.vat_ore, "and states the MVA the order showed"
    assert invoice.seller["org_number"] == "999999999"
    assert session.get(Order, mixed_order.id).status == "invoiced"
    assert invoice.ehf_errors == [] and invoices.fatal(invoice) == []


def test_an_invoice_issued_after_the_goods_left_states_when_and_where_they_were_delivered(app, session, mixed_order):
    from shop.core.time import OSLO
    from shop.orders import fulfilment
    from shop.orders.models import Fulfilment

    shipped_at = NOW + timedelta(days=2)
    for part in session.scalars(select(Fulfilment).where(Fulfilment.order_id == mixed_order.id)):
        staff = Actor(user_id=None, role="staff", unit_id=part.unit_id)
        fulfilment.advance(session, staff, part.id, "packed", now=shipped_at)
        fulfilment.advance(session, staff, part.id, "shipped", now=shipped_at)
    session.commit()
    invoice = issue(app, session, mixed_order)
    assert invoice.delivery_date == shipped_at.astimezone(OSLO).date()
    xml = invoices.xml(invoice)
    assert f"<cbc:ActualDeliveryDate>{invoice.delivery_date.isoformat()}</cbc:ActualDeliveryDate>".encode() in xml
    assert "Rådhusgata 1".encode() in xml and invoices.fatal(invoice) == []


def test_issuing_twice_gives_the_same_invoice_and_takes_no_number(app, session, mixed_order):
    first = issue(app, session, mixed_order)
    again = issue(app, session, mixed_order)
    assert again.id == first.id
    assert invoices.next_number(session) == first.number + 1


def test_a_card_order_gets_no_invoice(app, session):
    product = make_product(session, stock=3)
    session.commit()
    order = invoice_order(session, {product: 1}, payment_method="card", organisation_name="", org_number=None,
                          buyer_reference=None)
    with pytest.raises(invoices.NotInvoiceOrder):
        invoices.issue(session, COORDINATOR, order.id, seller=seller(app.config), today=TODAY, now=NOW)


def test_only_a_coordinator_issues_invoices(app, session, mixed_order):
    for actor in (Actor(user_id=None, role="staff", unit_id=mixed_order.lines[0].unit_id),
                  Actor(user_id=None, role="customer")):
        with pytest.raises(NotPermitted):
            invoices.issue(session, actor, mixed_order.id, seller=seller(app.config), today=TODAY, now=NOW)


def test_a_number_taken_by_a_transaction_that_rolls_back_is_used_by_the_next_invoice(app, session):
    product = make_product(session, stock=5)
    session.commit()
    first, second = invoice_order(session, {product: 1}), invoice_order(session, {product: 1})
    invoices.issue(session, COORDINATOR, first.id, seller=seller(app.config), today=TODAY, now=NOW)
    session.rollback()
    assert issue(app, session, second).number == invoices.FIRST_NUMBER
    assert issue(app, session, first).number == invoices.FIRST_NUMBER + 1


def test_a_partial_credit_note_references_the_invoice_and_is_valid_ehf(app, session, mixed_order):
    invoice = issue(app, session, mixed_order)
    jam_line = mixed_order.lines[0]
    note = invoices.credit(session, COORDINATOR, invoice.id, {jam_line.id: 2},
                           shipping=False, reason="To glass knust", today=TODAY, now=NOW)
    session.commit()

    assert note.kind == "credit_note" and note.corrects_id == invoice.id and note.number == invoice.number + 1
    assert note.total_ore == 2 * 6_999
    assert session.get(Order, mixed_order.id).refunded_ore == 2 * 6_999
    assert invoices.fatal(note) == []
    assert b"<cac:BillingReference>" in invoices.xml(note) and str(invoice.number).encode() in invoices.xml(note)
    with pytest.raises(invoices.CreditTooLarge):
        invoices.credit(session, COORDINATOR, invoice.id, {jam_line.id: 6}, shipping=False, reason="x",
                        today=TODAY, now=NOW)
    with pytest.raises(invoices.CreditTooLarge):
        invoices.credit(session, COORDINATOR, invoice.id, {}, shipping=False, reason="x", today=TODAY, now=NOW)


def test_cancelling_an_invoiced_order_credits_all_that_is_left(app, client, login_as, session):
    product = make_product(session, price_ore=19_900, stock=5)
    session.commit()
    order = invoice_order(session, {product: 2})
    invoice = issue(app, session, order)
    login_as("coordinator")

    response = client.post(f"/coordinator/ordre/{order.id}/kanseller", data={"reason": "Feilbestilling"})
    assert response.status_code == 303
    notes = session.scalars(select(Invoice).where(Invoice.kind == "credit_note")).all()
    assert len(notes) == 1 and notes[0].corrects_id == invoice.id
    assert notes[0].total_ore == invoice.total_ore and notes[0].shipping_ore == invoice.shipping_ore
    assert invoices.fatal(notes[0]) == []
    session.expire_all()
    assert session.get(Order, order.id).status == "cancelled"


def test_the_coordinator_issues_sends_and_marks_paid_and_the_ehf_goes_to_the_outbox(app, client, login_as, session,
                                                                                   mixed_order, tmp_path):
    login_as("coordinator")
    listing = page(client.get("/coordinator/fakturaer"))
    assert mixed_order.number in listing and "Utsted faktura" in listing

    issued = client.post(f"/coordinator/fakturaer/ordre/{mixed_order.id}")
    assert issued.status_code == 303
    invoice = session.scalar(select(Invoice))
    detail = page(client.get(issued.headers["Location"]))
    assert "EHF-filen følger de offisielle reglene" in detail

    assert client.post(f"/coordinator/fakturaer/{invoice.id}/betalt").status_code == 409, "not sent yet"
    assert client.post(f"/coordinator/fakturaer/{invoice.id}/sendt").status_code == 303
    assert client.post(f"/coordinator/fakturaer/{invoice.id}/sendt").status_code == 303, "a second click: nothing more"
    mailed = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Faktura "))).all()
    assert [m.to for m in mailed] == ["innkjop@example.no"]
    assert invoice.kid in mailed[0].body and f"/faktura-{invoice.number}.pdf" in mailed[0].body
    exported = tmp_path / "ehf-outbox" / f"faktura-{invoice.number}.xml"
    assert exported.read_bytes() == invoices.xml(session.get(Invoice, invoice.id))
    assert client.post(f"/coordinator/fakturaer/{invoice.id}/betalt").status_code == 303
    session.expire_all()
    assert session.get(Invoice, invoice.id).status == "paid"
    assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-3:] == [
        "invoice.issued", "invoice.sent", "invoice.paid"]

    ehf = client.get(f"/coordinator/fakturaer/{invoice.id}/ehf.xml")
    assert ehf.status_code == 200 and ehf.mimetype == "application/xml"
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in ehf.data
    pdf = client.get(f"/coordinator/fakturaer/{invoice.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("typed", ["99", "-1", "99999999999999999999", "tre", "1\x00"])
def test_a_credit_note_form_with_a_bad_quantity_is_refused_next_to_the_field_and_kept(app, client, login_as, session,
                                                                                    mixed_order, typed):
    invoice = issue(app, session, mixed_order)
    line_id = invoice.lines[0].order_line_id
    login_as("coordinator")
    response = client.post(f"/coordinator/fakturaer/{invoice.id}/kreditnota",
                           data={f"line_{line_id}": typed, "reason": "Knust glass – 日本語"})
    assert response.status_code == 400
    if "\x00" not in typed:
        text = page(response)
        assert f'id="line_{line_id}-error"' in text and "Knust glass – 日本語" in text
    assert session.scalar(select(Invoice).where(Invoice.kind == "credit_note")) is None


def test_the_invoice_list_comes_in_pages_newest_first(app, client, login_as, session, monkeypatch):
    from shop.coordinator import invoices as page_module

    monkeypatch.setattr(page_module, "INVOICES_PER_PAGE", 2)
    product = make_product(session, stock=10)
    session.commit()
    numbers = [issue(app, session, invoice_order(session, {product: 1})).number for _ in range(3)]
    login_as("coordinator")
    first, second = page(client.get("/coordinator/fakturaer")), page(client.get("/coordinator/fakturaer?page=2"))
    assert f"Faktura {numbers[2]}" in first and f"Faktura {numbers[1]}" in first and f"Faktura {numbers[0]}" not in first
    assert f"Faktura {numbers[0]}" in second
    assert client.get("/coordinator/fakturaer?page=3").status_code == 404
    assert client.get("/coordinator/fakturaer?page=-1").status_code == 404


def test_an_overdue_invoice_is_listed_as_overdue(app, client, login_as, session, mixed_order):
    invoice = issue(app, session, mixed_order)
    invoice.issue_date, invoice.due_date = date(2020, 1, 1), date(2020, 1, 15)
    session.commit()
    login_as("coordinator")
    overdue = page(client.get("/coordinator/fakturaer?status=overdue"))
    assert f"Faktura {invoice.number}" in overdue and "Forfalt" in overdue
    assert f"Faktura {invoice.number}" not in page(client.get("/coordinator/fakturaer?status=paid"))
    assert client.get("/coordinator/fakturaer?status=bogus").status_code == 400


def test_a_document_that_breaks_a_rule_is_neither_offered_nor_sent_and_the_rules_are_named(app, client, login_as,
                                                                                           session, mixed_order):
    invoice = issue(app, session, mixed_order)
    invoice.buyer_org_number = "974760674"  # a wrong check digit, as if typed into the database by hand
    invoice.ehf_errors = [invoices.failure_record(failure) for failure in invoices.fatal(invoice)]
    session.commit()
    assert invoice.ehf_errors
    login_as("coordinator")

    detail = page(client.get(f"/coordinator/fakturaer/{invoice.id}"))
    assert invoice.ehf_errors[0]["rule_id"] in detail and invoice.ehf_errors[0]["message_nb"] in detail
    assert client.get(f"/coordinator/fakturaer/{invoice.id}/ehf.xml").status_code == 409
    client.post(f"/coordinator/fakturaer/{invoice.id}/sendt")
    session.expire_all()
    assert session.get(Invoice, invoice.id).status == "issued"
    assert invoice.ehf_errors[0]["rule_id"] in page(client.get(f"/coordinator/ordre/{mixed_order.id}"))


def test_the_customer_sees_the_invoice_and_downloads_its_pdf_at_the_order_address(app, client, session, mixed_order):
    invoice = issue(app, session, mixed_order)
    status = page(client.get(f"/ordre/{mixed_order.public_token}"))
    assert f"Faktura {invoice.number} (PDF)" in status and invoice.kid in status and "1234.56.78903" in status

    pdf = client.get(f"/ordre/{mixed_order.public_token}/faktura-{invoice.number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/ordre/{mixed_order.public_token}/kreditnota-{invoice.number}.pdf").status_code == 404
    assert client.get(f"/ordre/{mixed_order.public_token}/faktura-{invoice.number + 1}.pdf").status_code == 404
    assert client.get(f"/ordre/feil-token/faktura-{invoice.number}.pdf").status_code == 404


def test_the_printed_invoice_shows_the_seller_buyer_vat_per_rate_and_how_to_pay(app, session, mixed_order):
    from shop.orders import documents

    invoice = issue(app, session, mixed_order)
    with app.test_request_context():
        text = html.unescape(documents.html(invoice))
    for expected in ("Faktura", str(invoice.number), invoice.kid, "999 999 999 MVA", "Foretaksregisteret",
                     "Oslo kommune", "974", "PO-1", "1234.56.78903", "15", "25", "Demoverdier"):
        assert expected in text, expected


# Under contention, on PostgreSQL: the series has no gaps, whoever rolls back.

engine = test_concurrency.engine  # its engine fixture, here too


class Regret(Exception):
    """A transaction that took a number and then failed."""


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrency guarantees are proven on PostgreSQL; set TEST_DATABASE_URL")
@pytest.mark.parametrize("first_ever", [True, False], ids=["the series' first numbers", "a series under way"])
def test_invoices_issued_at_once_take_numbers_without_gaps_even_when_some_roll_back(app, session, engine, first_ever):
    from shop.orders.models import DocumentSequence

    product = make_product(session, price_ore=10_000, stock=100)
    if not first_ever:  # as the migration leaves it (the PostgreSQL tests empty every table between tests)
        session.add(DocumentSequence(name=invoices.SERIES, next_number=invoices.FIRST_NUMBER))
    session.commit()
    placed = [invoice_order(session, {product: 1}).id for _ in range(24)]
    the_seller = seller(app.config)

    def job(order_id: int, fail: bool):
        def run(own_session):
            invoice = invoices.issue(own_session, COORDINATOR, order_id, seller=the_seller, today=TODAY, now=NOW)
            if fail:
                raise Regret(invoice.number)
            return invoice.number
        return run

    outcomes = test_concurrency.run_together(app, engine, [job(order_id, i % 4 == 0) for i, order_id in
                                                           enumerate(placed)])

    taken = sorted(result for kind, result in outcomes if kind == "ok")
    regrets = [result for kind, result in outcomes if kind == "error"]
    assert all(isinstance(error, Regret) for error in regrets) and len(regrets) == 6, regrets
    assert taken == list(range(invoices.FIRST_NUMBER, invoices.FIRST_NUMBER + 18)), "no gaps, no repeats"
    session.expire_all()
    assert sorted(session.scalars(select(Invoice.number))) == taken
