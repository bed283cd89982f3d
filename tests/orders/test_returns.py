"""Returns under the right of withdrawal: a consumer withdraws online within the deadline, the unit that sent the
goods records them when they come back (stock back through the ledger exactly once), and the coordinator refunds
(card through Stripe, invoice by credit note). Exempt lines and business buyers cannot withdraw, and the page says why."""
from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta

import pytest
import test_concurrency
from sqlalchemy import func, select

from conftest import ON_POSTGRES
from factories import NOW, make_product, make_unit
from inventory.models import StockMovement, StockRecord
from payment_support import paid_card_order, stripe_client
from shop.core.actor import Actor, NotPermitted
from shop.mail import OutboxMessage
from shop.orders import fulfilment, invoices, returns
from shop.orders import services as orders
from shop.orders.models import Fulfilment, Invoice, Order, OrderReturn, ReturnLine
from shop.payments import services as payments

COORDINATOR = Actor(user_id=None, role="coordinator")
CONSUMER = dict(email="kari@example.no", name="Kari Nordmann", delivery_method="shipping", payment_method="card",
                address_line="Storgata 1", postcode="0155", city="Oslo")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ship(session, order, *, now=NOW, steps=("packed", "shipped")) -> None:
    """Every part of the order moved along these steps by its unit (sent, by default)."""
    session.expire_all()  # what requests changed meanwhile (the payment's webhook)
    for part in session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)):
        staff = Actor(user_id=None, role="staff", unit_id=part.unit_id)
        for step in steps:
            fulfilment.advance(session, staff, part.id, step, now=now)
    session.commit()


def paid_order(session, items, **details) -> Order:
    """A consumer's card order for {product: quantity}, paid (the webhook's booking, without Stripe)."""
    order = orders.place_order(session, {product.id: n for product, n in items.items()},
                               orders.Details(**{**CONSUMER, **details}), now=NOW,
                               payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    order.payment_intent_id = f"pi_test_{order.id}"
    session.commit()
    orders.record_payment_succeeded(session, intent_id=order.payment_intent_id, amount_ore=order.total_ore,
                                    currency="nok", now=NOW)
    session.commit()
    return order


def withdrawal_form(client, order) -> tuple[str, str]:
    text = page(client.get(f"/ordre/{order.public_token}/angre"))
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', text).group(1)
    return text, key


def on_hand(session, product) -> int:
    session.expire_all()
    return session.scalar(select(StockRecord.on_hand).where(StockRecord.product_id == product.id))


@pytest.fixture
def shipped(session):
    unit = make_unit(session, name="Bergen fengsel", postal_address="Bergen fengsel, Postboks 1, 5003 Bergen")
    board = make_product(session, unit=unit, title="Skjærefjøl i bjørk", price_ore=34_900, stock=5)
    session.commit()
    order = paid_order(session, {board: 2})
    ship(session, order)
    return order, board, unit


def test_a_consumer_withdraws_online_and_gets_a_receipt(client, session, shipped):
    order, _board, _unit = shipped
    status = page(client.get(f"/ordre/{order.public_token}"))
    assert f"/ordre/{order.public_token}/angre" in status

    text, key = withdrawal_form(client, order)
    line = order.lines[0]
    assert "Mulig til og med" in text
    response = client.post(f"/ordre/{order.public_token}/angre",
                           data={f"line_{line.id}": "1", "reason": "Feil størrelse", "request_key": key})
    assert response.status_code == 303
    again = client.post(f"/ordre/{order.public_token}/angre", data={f"line_{line.id}": "1", "request_key": key})
    assert again.status_code == 303

    order_return = session.scalars(select(OrderReturn)).one()
    assert order_return.status == "requested" and order_return.reason == "Feil størrelse"
    assert [(r.quantity, r.unit_id) for r in order_return.lines] == [(1, line.unit_id)]
    receipt = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Vi har mottatt"))).one()
    assert "Bergen fengsel, Postboks 1, 5003 Bergen" in receipt.body
    assert "Angremelding mottatt" in page(client.get(f"/ordre/{order.public_token}"))


def test_the_coordinator_registers_a_withdrawal_sent_by_the_form_on_the_customers_page(client, login_as, shipped):
    order, _board, _unit = shipped
    login_as("coordinator")
    detail = page(client.get(f"/coordinator/ordre/{order.id}"))
    assert f'href="/ordre/{order.public_token}/angre"' in detail and "Registrer angremeldingen" in detail


def test_the_unit_records_the_goods_back_and_the_stock_moves_through_the_ledger_once(client, session, login_as,
                                                                                   shipped):
    order, board, unit = shipped
    order_return = returns.withdraw(session, order, {order.lines[0].id: 2}, reason="", request_key=None, now=NOW)
    session.commit()
    line = order_return.lines[0]
    before = on_hand(session, board)

    login_as("staff", unit=make_unit(session, name="Halden fengsel"))
    assert client.post(f"/workshop/returer/linje/{line.id}", data={"condition": "returned"}).status_code == 404
    assert on_hand(session, board) == before, "another unit cannot receive it"

    login_as("staff", unit=unit)
    listing = page(client.get("/workshop/returer"))
    assert "Skjærefjøl i bjørk" in listing and order.number in listing
    assert client.post(f"/workshop/returer/linje/{line.id}", data={"condition": "returned"}).status_code == 303
    assert client.post(f"/workshop/returer/linje/{line.id}", data={"condition": "damaged"}).status_code == 303
    assert on_hand(session, board) == before + 2
    moves = session.scalars(select(StockMovement).where(StockMovement.order_id == order.id,
                                                        StockMovement.reason == "returned")).all()
    assert [m.delta for m in moves] == [2]
    assert session.get(ReturnLine, line.id).condition == "returned"
    assert session.get(OrderReturn, order_return.id).status == "received"
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Returen din"))).one()


def test_damaged_goods_come_back_and_are_written_off_in_the_ledger(session, shipped):
    order, board, unit = shipped
    order_return = returns.withdraw(session, order, {order.lines[0].id: 1}, reason="", request_key=None, now=NOW)
    session.commit()
    before = on_hand(session, board)
    staff = Actor(user_id=None, role="staff", unit_id=unit.id)
    assert returns.receive(session, staff, order_return.lines[0].id, "damaged", now=NOW)
    session.commit()
    assert on_hand(session, board) == before
    reasons = [(m.reason, m.delta) for m in session.scalars(
        select(StockMovement).where(StockMovement.order_id == order.id).order_by(StockMovement.id))][-2:]
    assert reasons == [("returned", 1), ("damaged", -1)]


def test_staff_of_another_unit_may_not_receive_a_return(session, shipped):
    order, _board, _unit = shipped
    order_return = returns.withdraw(session, order, {order.lines[0].id: 1}, reason="", request_key=None, now=NOW)
    session.commit()
    with pytest.raises(NotPermitted):
        returns.receive(session, Actor(user_id=None, role="staff", unit_id=order.lines[0].unit_id + 999),
                        order_return.lines[0].id, "returned", now=NOW)


def test_more_than_was_bought_or_nothing_is_refused_next_to_the_form_and_kept(client, session, shipped):
    order, _board, _unit = shipped
    _text, key = withdrawal_form(client, order)
    line = order.lines[0]
    for typed in ("3", "-1", "99999999999999999999", "en"):
        response = client.post(f"/ordre/{order.public_token}/angre",
                               data={f"line_{line.id}": typed, "reason": "Ombestemt meg", "request_key": key})
        assert response.status_code == 400, typed
        assert "Ombestemt meg" in page(response)
    nothing = client.post(f"/ordre/{order.public_token}/angre", data={f"line_{line.id}": "0", "request_key": key})
    assert nothing.status_code == 400 and "Velg hvor mange" in page(nothing)
    assert session.scalar(select(OrderReturn)) is None


def test_the_deadline_counts_from_the_last_parcel_with_a_week_for_the_post_by_oslo_days(session, shipped):
    order, _board, _unit = shipped
    sent = session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).one().handed_over_at
    from shop.core.time import OSLO, aware

    last_day = aware(sent).astimezone(OSLO).date() + timedelta(days=returns.TRANSIT_DAYS + returns.WITHDRAWAL_DAYS)
    assert returns.deadline(order) == last_day
    late_that_day = datetime.combine(last_day, time(23, 59), tzinfo=OSLO)
    assert returns.withdrawable(session, order, now=late_that_day)[0].why_not is None, "the whole last day counts"
    next_day = late_that_day + timedelta(minutes=2)
    assert returns.withdrawable(session, order, now=next_day)[0].why_not == returns.DEADLINE_PASSED
    with pytest.raises(returns.NotWithdrawable):
        returns.withdraw(session, order, {order.lines[0].id: 1}, reason="", request_key=None, now=next_day)


def test_goods_not_yet_sent_are_cancelled_not_withdrawn_and_the_deadline_waits_for_the_last_parcel(client, session):
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    board = make_product(session, unit=bergen, title="Skjærefjøl", stock=3)
    apron = make_product(session, unit=halden, title="Forkle", stock=3)
    session.commit()
    order = paid_order(session, {board: 1, apron: 1})
    bergen_part = session.scalar(select(Fulfilment).where(Fulfilment.order_id == order.id,
                                                          Fulfilment.unit_id == bergen.id))
    staff = Actor(user_id=None, role="staff", unit_id=bergen.id)
    fulfilment.advance(session, staff, bergen_part.id, "packed", now=NOW)
    fulfilment.advance(session, staff, bergen_part.id, "shipped", now=NOW)
    session.commit()

    entries = {entry.line.title: entry for entry in returns.withdrawable(session, order, now=NOW)}
    assert entries["Forkle"].why_not == returns.NOT_SENT
    assert entries["Skjærefjøl"].why_not is None and entries["Skjærefjøl"].deadline is None, \
        "the 14 days start when the last parcel is on its way"
    assert "Ikke sendt ennå" in page(client.get(f"/ordre/{order.public_token}/angre"))


def test_a_later_step_does_not_move_the_deadline(session, shipped):
    order, _board, unit = shipped
    before = returns.deadline(order)
    part = session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).one()
    fulfilment.advance(session, Actor(user_id=None, role="staff", unit_id=unit.id), part.id, "delivered",
                       now=NOW + timedelta(days=30))
    session.commit()
    session.expire_all()
    assert returns.deadline(session.get(Order, order.id)) == before


def test_a_key_from_another_orders_form_is_refused_not_a_500(client, session, shipped):
    order, board, _unit = shipped
    other = paid_order(session, {board: 1})
    ship(session, other)
    _text, key = withdrawal_form(client, order)
    first = client.post(f"/ordre/{order.public_token}/angre", data={f"line_{order.lines[0].id}": "1",
                                                                    "request_key": key})
    assert first.status_code == 303
    session.expire_all()
    other = session.get(Order, other.id)
    second = client.post(f"/ordre/{other.public_token}/angre", data={f"line_{other.lines[0].id}": "1",
                                                                     "request_key": key})
    assert second.status_code == 400
    assert session.scalar(select(func.count()).select_from(OrderReturn)) == 1


def test_a_performed_service_and_business_buyers_cannot_withdraw_and_the_page_says_why(client, session):
    repair = make_product(session, title="Stolreparasjon", kind="service", price_ore=90_000, stock=None)
    table = make_product(session, title="Bord", price_ore=500_000, stock=None, made_to_order=True, lead_time_days=20)
    session.commit()
    order = paid_order(session, {repair: 1, table: 1})
    ship(session, order, steps=("packed", "shipped", "delivered"))
    text = page(client.get(f"/ordre/{order.public_token}/angre"))
    assert "Tjenesten er levert i sin helhet med ditt samtykke" in text
    service_line = next(line for line in order.lines if line.title == "Stolreparasjon")
    with pytest.raises(returns.NotWithdrawable):
        returns.withdraw(session, order, {service_line.id: 1}, reason="", request_key=None, now=NOW)
    table_line = next(line for line in order.lines if line.title == "Bord")
    assert returns.withdraw(session, order, {table_line.id: 1}, reason="", request_key=None, now=NOW), \
        "a standard item made to order is not made to the customer's specifications: it may be withdrawn from"

    bench = make_product(session, title="Benk", stock=3)
    session.commit()
    agency = orders.place_order(session, {bench.id: 1}, orders.Details(
        email="innkjop@example.no", name="Innkjøper", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    assert "angreretten for forbrukere gjelder ikke" in page(client.get(f"/ordre/{agency.public_token}/angre"))
    assert f"/ordre/{agency.public_token}/angre" not in page(client.get(f"/ordre/{agency.public_token}"))


def test_a_returned_invoice_order_is_refunded_by_a_credit_note(app, session):
    from shop.core.seller import seller
    from shop.core.time import oslo_date

    unit = make_unit(session)
    bench = make_product(session, unit=unit, title="Benk", price_ore=250_000, stock=3)
    session.commit()
    order = orders.place_order(session, {bench.id: 2}, orders.Details(
        email="innkjop@example.no", name="Innkjøper", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    invoice = invoices.issue(session, COORDINATOR, order.id, seller=seller(app.config), today=oslo_date(NOW), now=NOW)
    ship(session, order, steps=("packed", "ready_for_pickup"))
    # A business buyer has no statutory right of withdrawal; the coordinator takes goods back by agreement.
    order_return = OrderReturn(order_id=order.id, status="requested", reason="Etter avtale", created_at=NOW,
                               lines=[ReturnLine(order_line_id=order.lines[0].id, unit_id=unit.id, quantity=1)])
    session.add(order_return)
    session.commit()
    returns.receive(session, Actor(user_id=None, role="staff", unit_id=unit.id), order_return.lines[0].id,
                    "returned", now=NOW)
    session.commit()

    assert payments.refund_return(session, COORDINATOR, session.get(OrderReturn, order_return.id), now=NOW)
    note = session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
    assert note.corrects_id == invoice.id and note.total_ore == 250_000
    assert invoices.fatal(note) == []
    assert session.get(OrderReturn, order_return.id).status == "refunded"
    assert not payments.refund_return(session, COORDINATOR, session.get(OrderReturn, order_return.id), now=NOW)


@pytest.mark.stripe
@pytest.mark.slow
def test_a_withdrawn_card_order_is_refunded_through_stripe_once(stripe_app, client, session, login_as):
    order = paid_card_order(stripe_app, client, session, price_ore=50_000, stock=3, quantity=2)
    ship(session, order)
    order = session.get(Order, order.id)
    order_return = returns.withdraw(session, order, {order.lines[0].id: 2}, reason="", request_key=None, now=NOW)
    session.commit()
    unit_id = order.lines[0].unit_id
    returns.receive(session, Actor(user_id=None, role="staff", unit_id=unit_id), order_return.lines[0].id,
                    "returned", now=NOW)
    session.commit()
    login_as("coordinator")

    listing = page(client.get("/coordinator/returer"))
    assert "Refunder til kortet" in listing and "Skal betales tilbake: " in listing
    assert client.post(f"/coordinator/returer/{order_return.id}/refunder").status_code == 303
    assert client.post(f"/coordinator/returer/{order_return.id}/refunder").status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.refunded_ore == order.total_ore, "the whole order came back: the shipping is refunded too"
    refunds = stripe_client(stripe_app).v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert [r.amount for r in refunds.data] == [order.total_ore]
    assert session.get(OrderReturn, order_return.id).status == "refunded"


@pytest.mark.stripe
@pytest.mark.slow
def test_a_refund_stripe_refused_is_not_booked_and_the_next_click_refunds(stripe_app, client, session, login_as):
    order = paid_card_order(stripe_app, client, session, price_ore=50_000, stock=3, quantity=1)
    ship(session, order)
    order = session.get(Order, order.id)
    order_return = returns.withdraw(session, order, {order.lines[0].id: 1}, reason="", request_key=None, now=NOW)
    session.commit()
    returns.receive(session, Actor(user_id=None, role="staff", unit_id=order.lines[0].unit_id),
                    order_return.lines[0].id, "returned", now=NOW)
    session.commit()
    login_as("coordinator")
    working_base = stripe_app.config["STRIPE_API_BASE"]

    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens: Stripe cannot be reached
    assert client.post(f"/coordinator/returer/{order_return.id}/refunder").status_code == 303
    session.expire_all()
    assert session.get(OrderReturn, order_return.id).status == "received", "nothing was paid back, nothing booked"
    assert session.get(Order, order.id).refunded_ore == 0

    stripe_app.config["STRIPE_API_BASE"] = working_base
    assert client.post(f"/coordinator/returer/{order_return.id}/refunder").status_code == 303
    session.expire_all()
    assert session.get(OrderReturn, order_return.id).status == "refunded"
    order = session.get(Order, order.id)
    refunds = stripe_client(stripe_app).v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert [r.amount for r in refunds.data] == [order.total_ore] == [order.refunded_ore]


# Two units receiving their lines of one return at the same moment, on PostgreSQL.

engine = test_concurrency.engine


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrency guarantees are proven on PostgreSQL; set TEST_DATABASE_URL")
def test_two_units_receiving_one_return_at_once_leave_it_received_and_tell_the_customer_once(app, session, engine):
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    board = make_product(session, unit=bergen, title="Skjærefjøl", stock=3)
    apron = make_product(session, unit=halden, title="Forkle", stock=3)
    session.commit()
    order = paid_order(session, {board: 1, apron: 1})
    ship(session, order)
    order = session.get(Order, order.id)
    order_return = returns.withdraw(session, order, {line.id: 1 for line in order.lines}, reason="",
                                    request_key=None, now=NOW)
    session.commit()
    lines = [(line.id, line.unit_id) for line in order_return.lines]

    def receive(line_id, unit_id):
        return lambda own: returns.receive(own, Actor(user_id=None, role="staff", unit_id=unit_id), line_id,
                                           "returned", now=NOW)

    for _round in range(3):
        outcomes = test_concurrency.run_together(app, engine, [receive(*line) for line in lines])
        assert test_concurrency.errors_of(outcomes) == []
    session.expire_all()
    assert session.get(OrderReturn, order_return.id).status == "received"
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Returen din"))).all()
    assert len(mails) == 1
