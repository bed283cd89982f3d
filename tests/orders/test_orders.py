"""Order rules through the services: reservation, split per unit, allocation, expiry, late payment, cancel."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from factories import NOW, make_product, make_unit
from inventory.models import Reservation, StockMovement, StockRecord
from inventory.services import (
    OutOfStock,
    adjust,
    ensure_stock_record,
    ledger_mismatches,
)
from shop.mail import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Fulfilment, Order, OrderLine, Payment
from shop.payments import services as refunds

WINDOW = timedelta(minutes=15)
RULE = orders.ShippingRule(flat_ore=14900, free_from_ore=150000)


def details(**overrides) -> orders.Details:
    fields = dict(email="kari@example.no", name="Kari Nordmann", delivery_method="shipping", payment_method="card",
                  address_line="Storgata 1", postcode="0155", city="Oslo")
    fields.update(overrides)
    return orders.Details(**fields)


def place(session, items, *, now=NOW, **overrides):
    return orders.place_order(session, items, details(**overrides), now=now, payment_window=WINDOW, shipping=RULE)


def record_of(session, product, unit=None):
    return session.scalar(select(StockRecord).where(StockRecord.product_id == product.id,
                                                    StockRecord.unit_id == (unit or product.unit).id))


def test_placing_a_card_order_reserves_stock_and_holds_it_for_the_payment_window(session):
    product = make_product(session, price_ore=50000, stock=5)
    session.commit()

    order = place(session, {product.id: 2})
    session.commit()

    record = record_of(session, product)
    assert (record.on_hand, record.reserved) == (5, 2)
    reservation = session.scalar(select(Reservation))
    assert reservation.state == "held" and reservation.quantity == 2
    assert reservation.expires_at.replace(tzinfo=None) == (NOW + WINDOW).replace(tzinfo=None)
    assert order.status == "pending_payment" and order.number == f"VB-{order.id:06d}"
    assert len(order.public_token) >= 32


def test_totals_are_computed_on_the_server_in_ore_with_vat_and_shipping(session):
    goods = make_product(session, price_ore=49900, vat_rate_bp=2500, stock=5)
    food = make_product(session, price_ore=10000, vat_rate_bp=1500, stock=5)
    session.commit()

    order = place(session, {goods.id: 2, food.id: 1})

    assert order.subtotal_ore == 109800
    assert order.shipping_ore == 14900
    assert order.total_ore == 124700
    # 25 % of 99 800 gross = 19 960; 15 % of 10 000 gross = 1 304; shipping 14 900 → 2 980.
    assert order.vat_ore == 19960 + 1304 + 2980


def test_shipping_is_free_for_pickup_and_above_the_threshold(session):
    product = make_product(session, price_ore=80000, stock=5)
    session.commit()

    assert place(session, {product.id: 1}, delivery_method="pickup").shipping_ore == 0
    assert place(session, {product.id: 2}).shipping_ore == 0


def test_an_order_for_more_than_is_available_fails_whole_and_changes_nothing(session):
    plenty = make_product(session, stock=10)
    scarce = make_product(session, stock=1)
    session.commit()

    with pytest.raises(OutOfStock):
        place(session, {plenty.id: 1, scarce.id: 2})
    session.rollback()

    assert session.scalar(select(func.count()).select_from(Order)) == 0
    assert session.scalar(select(func.count()).select_from(Reservation)) == 0
    assert record_of(session, plenty).reserved == 0 and record_of(session, scarce).reserved == 0


def test_an_order_is_split_into_one_fulfilment_per_producing_unit(session):
    a, b = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    first = make_product(session, unit=a, stock=3)
    second = make_product(session, unit=b, stock=3)
    third = make_product(session, unit=a, stock=3)
    session.commit()

    order = place(session, {first.id: 1, second.id: 1, third.id: 1})
    session.commit()

    fulfilments = session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).all()
    assert sorted(f.unit_id for f in fulfilments) == sorted([a.id, b.id])
    by_unit = {f.unit_id: sorted(line.product_id for line in f.lines) for f in fulfilments}
    assert by_unit == {a.id: sorted([first.id, third.id]), b.id: [second.id]}


def test_allocation_picks_the_unit_with_most_available_and_breaks_ties_by_unit_id(session):
    owner = make_unit(session, name="Ila fengsel")
    other = make_unit(session, name="Bastøy fengsel")
    product = make_product(session, unit=owner, stock=2)
    record = ensure_stock_record(session, product_id=product.id, unit_id=other.id)
    adjust(session, record.id, 6, reason="produced", now=NOW)
    session.commit()

    assert place(session, {product.id: 1}).lines[0].unit_id == other.id

    tied = make_product(session, unit=other, stock=4)
    record = ensure_stock_record(session, product_id=tied.id, unit_id=owner.id)
    adjust(session, record.id, 4, reason="produced", now=NOW)
    session.commit()
    assert place(session, {tied.id: 1}).lines[0].unit_id == min(owner.id, other.id)


def test_made_to_order_lines_reserve_nothing_and_carry_a_promised_date(session):
    product = make_product(session, stock=0, made_to_order=True, lead_time_days=21)
    session.commit()

    order = place(session, {product.id: 3})
    line = order.lines[0]

    assert line.made_to_order and line.stock_record_id is None
    assert line.promised_date == (NOW + timedelta(days=21)).date()
    assert session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_services_need_no_stock(session):
    service = make_product(session, kind="service", stock=None)
    session.commit()

    order = place(session, {service.id: 1}, delivery_method="pickup")

    assert order.lines[0].stock_record_id is None and order.shipping_ore == 0


def test_unpublished_products_cannot_be_ordered(session):
    draft = make_product(session, status="draft")
    session.commit()

    with pytest.raises(orders.ProductUnavailable):
        place(session, {draft.id: 1})


def test_invoice_orders_commit_stock_at_once_and_queue_a_confirmation(session):
    product = make_product(session, stock=5)
    session.commit()

    order = place(session, {product.id: 2}, payment_method="invoice", organisation_name="Oslo kommune",
                  org_number="974760673", buyer_reference="PO-1")
    session.commit()

    record = record_of(session, product)
    assert order.status == "awaiting_invoice"
    assert (record.on_hand, record.reserved) == (3, 0)
    sold = session.scalar(select(StockMovement).where(StockMovement.reason == "sold"))
    assert sold.delta == -2 and sold.order_id == order.id
    mail = session.scalar(select(OutboxMessage))
    assert mail.to == "kari@example.no" and order.number in mail.subject and order.public_token in mail.body
    assert ledger_mismatches(session) == []


def test_payment_commits_the_reservation_once(session):
    product = make_product(session, stock=5)
    session.commit()
    order = place(session, {product.id: 2})
    order.payment_intent_id = "pi_test_1"
    session.commit()

    for _ in range(2):
        orders.record_payment_succeeded(session, intent_id="pi_test_1", amount_ore=order.total_ore, currency="nok", now=NOW)
        session.commit()

    record = record_of(session, product)
    assert (record.on_hand, record.reserved) == (3, 0)
    assert session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.reason == "sold")) == 1
    assert session.get(Order, order.id).status == "paid"
    assert ledger_mismatches(session) == []


def test_expiry_releases_stock_cancels_unpaid_orders_and_is_idempotent(session):
    product = make_product(session, stock=3)
    session.commit()
    order = place(session, {product.id: 3})
    session.commit()

    assert orders.expire_unpaid(session, now=NOW + timedelta(minutes=5)) == 0
    assert orders.expire_unpaid(session, now=NOW + WINDOW + timedelta(seconds=1)) == 1
    assert orders.expire_unpaid(session, now=NOW + WINDOW + timedelta(seconds=2)) == 0
    session.commit()

    assert session.get(Order, order.id).status == "expired"
    assert record_of(session, product).reserved == 0
    assert session.scalar(select(Reservation.state)) == "released"


def test_expired_holds_never_block_a_new_order_even_before_the_expiry_job_runs(session):
    product = make_product(session, stock=1)
    session.commit()
    place(session, {product.id: 1})
    session.commit()

    later = NOW + WINDOW + timedelta(minutes=1)
    second = place(session, {product.id: 1}, now=later)
    session.commit()

    assert second.status == "pending_payment"
    assert record_of(session, product).reserved == 1
    assert ledger_mismatches(session) == []


def test_a_payment_after_expiry_re_reserves_when_the_stock_is_still_there(session):
    product = make_product(session, stock=2)
    session.commit()
    order = place(session, {product.id: 2})
    order.payment_intent_id = "pi_late"
    session.commit()
    orders.expire_unpaid(session, now=NOW + WINDOW * 2)
    session.commit()

    orders.record_payment_succeeded(session, intent_id="pi_late", amount_ore=order.total_ore, currency="nok",
                                    now=NOW + WINDOW * 3)
    session.commit()

    order = session.get(Order, order.id)
    assert order.status == "paid" and order.attention == ""
    record = record_of(session, product)
    assert (record.on_hand, record.reserved) == (0, 0)


def test_a_payment_after_expiry_without_stock_flags_the_order_for_the_coordinator(session):
    product = make_product(session, stock=1)
    session.commit()
    order = place(session, {product.id: 1})
    order.payment_intent_id = "pi_late"
    session.commit()
    orders.expire_unpaid(session, now=NOW + WINDOW * 2)
    other = place(session, {product.id: 1}, now=NOW + WINDOW * 2, payment_method="invoice",
                  organisation_name="NAV", org_number="889640782", buyer_reference="X")
    session.commit()

    orders.record_payment_succeeded(session, intent_id="pi_late", amount_ore=order.total_ore, currency="nok",
                                    now=NOW + WINDOW * 3)
    session.commit()

    order = session.get(Order, order.id)
    assert order.status == "paid"
    assert "stock is gone" in order.attention
    assert record_of(session, product).on_hand == 0  # never sold twice
    assert other.status == "awaiting_invoice"
    assert ledger_mismatches(session) == []
    # The customer is told the truth, not "confirmed".
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains(order.number))).one()
    assert mail.subject == f"Bestilling {order.number}: betaling mottatt, noen varer utsolgt"
    assert "ble noen solgt til andre: " + product.title in mail.body


def test_a_wrong_amount_is_flagged(session):
    product = make_product(session, stock=1)
    session.commit()
    order = place(session, {product.id: 1})
    order.payment_intent_id = "pi_wrong"
    session.commit()

    orders.record_payment_succeeded(session, intent_id="pi_wrong", amount_ore=1, currency="nok", now=NOW)

    assert "order total" in session.get(Order, order.id).attention


def test_a_failed_payment_keeps_the_hold_until_the_payment_window_ends(session):
    """A declined card is not the end of the order: the customer may try another card, and the
    pay page says the goods are held until the window ends. Expiry releases them."""
    product = make_product(session, stock=1)
    session.commit()
    order = place(session, {product.id: 1})
    order.payment_intent_id = "pi_failed"
    session.commit()

    orders.record_payment_failed(session, intent_id="pi_failed", now=NOW)
    session.commit()

    assert record_of(session, product).reserved == 1
    assert session.get(Order, order.id).status == "pending_payment"
    assert session.scalar(select(Payment.status).where(Payment.order_id == order.id)) == "failed"

    orders.expire_unpaid(session, now=NOW + WINDOW + timedelta(seconds=1))
    session.commit()

    assert record_of(session, product).reserved == 0


def test_cancelling_a_paid_order_returns_the_stock_with_a_ledger_row(session):
    product = make_product(session, stock=4)
    session.commit()
    order = place(session, {product.id: 3}, payment_method="invoice", organisation_name="NAV",
                  org_number="889640782", buyer_reference="X")
    session.commit()

    orders.cancel(session, order, actor_user_id=None, now=NOW, reason="Kunden angret")
    orders.cancel(session, order, actor_user_id=None, now=NOW)  # twice is harmless
    session.commit()

    assert record_of(session, product).on_hand == 4
    returned = session.scalars(select(StockMovement).where(StockMovement.reason == "returned")).all()
    assert [m.delta for m in returned] == [3]
    assert all(f.status == "cancelled" for f in session.get(Order, order.id).fulfilments)
    assert ledger_mismatches(session) == []
    cancelled = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.endswith("er kansellert"))).all()
    assert len(cancelled) == 1 and "Du får ingen faktura for den." in cancelled[0].body  # twice is harmless


def test_cancelling_an_unpaid_order_releases_held_stock(session):
    product = make_product(session, stock=2)
    session.commit()
    order = place(session, {product.id: 2})
    session.commit()

    orders.cancel(session, order, actor_user_id=None, now=NOW)
    session.commit()

    record = record_of(session, product)
    assert (record.on_hand, record.reserved) == (2, 0)


INVOICE_DETAILS = dict(payment_method="invoice", organisation_name="NAV", org_number="889640782", buyer_reference="X")


@pytest.mark.parametrize("sent", ["shipped", "delivered"])
def test_an_order_whose_goods_were_sent_cannot_be_cancelled_and_its_stock_stays_sold(session, sent):
    product, other = make_product(session, stock=4), make_product(session, stock=4)
    session.commit()
    order = place(session, {product.id: 2, other.id: 1}, **INVOICE_DETAILS)
    session.commit()
    order.fulfilments[0].status = sent
    session.commit()

    with pytest.raises(orders.AlreadySent):
        orders.cancel(session, order, actor_user_id=None, now=NOW)
    session.rollback()

    assert session.get(Order, order.id).status == "awaiting_invoice"
    assert (record_of(session, product).on_hand, record_of(session, other).on_hand) == (2, 3)
    assert ledger_mismatches(session) == []


def test_the_coordinator_is_not_offered_a_cancel_once_goods_are_sent(client, session, login_as):
    product = make_product(session, stock=4)
    session.commit()
    order = place(session, {product.id: 1}, **INVOICE_DETAILS)
    session.commit()
    login_as("coordinator")
    assert "Kanseller bestillingen" in client.get(f"/coordinator/ordre/{order.id}").get_data(as_text=True)

    order.fulfilments[0].status = "shipped"
    session.commit()

    assert "Kanseller bestillingen" not in client.get(f"/coordinator/ordre/{order.id}").get_data(as_text=True)


def test_a_card_payment_that_arrives_just_before_a_cancel_is_never_kept_silently(session):
    """The coordinator saw an unpaid order; the payment landed before the cancel took the lock."""
    product = make_product(session, stock=2)
    session.commit()
    order = place(session, {product.id: 1})
    order.payment_intent_id = "pi_late"
    session.commit()
    orders.record_payment_succeeded(session, intent_id="pi_late", amount_ore=order.total_ore, currency="nok", now=NOW)
    session.commit()

    with pytest.raises(orders.RefundFirst):
        orders.cancel(session, order, actor_user_id=None, now=NOW)
    session.rollback()

    assert session.get(Order, order.id).status == "paid"
    assert record_of(session, product).on_hand == 1


def test_refunds_are_bounded_by_what_was_paid(session):
    product = make_product(session, price_ore=10000, stock=2)
    session.commit()
    order = place(session, {product.id: 1}, delivery_method="pickup")
    order.payment_intent_id = "pi_paid"
    session.commit()

    with pytest.raises(orders.RefundTooLarge):
        orders.check_refund(order, 100)  # not paid yet
    orders.record_payment_succeeded(session, intent_id="pi_paid", amount_ore=10000, currency="nok", now=NOW)
    made = []

    def make_refund(intent_id, amount_ore, idempotency_key):
        made.append((intent_id, amount_ore, idempotency_key))
        return f"re_{len(made)}"

    assert refunds.refund(session, order, 4000, request_key="a", actor_user_id=None, now=NOW, make_refund=make_refund)
    with pytest.raises(orders.RefundTooLarge):
        refunds.refund(session, order, 6001, request_key="b", actor_user_id=None, now=NOW, make_refund=make_refund)
    session.rollback()
    assert not refunds.refund(session, order, 4000, request_key="a", actor_user_id=None, now=NOW, make_refund=make_refund)
    assert refunds.refund(session, order, 6000, request_key="c", actor_user_id=None, now=NOW, make_refund=make_refund)

    order = session.get(Order, order.id)
    assert order.refunded_ore == 10000 and order.status == "refunded"
    assert made == [("pi_paid", 4000, "refund-a"), ("pi_paid", 6000, "refund-c")]
    assert sorted(session.scalars(select(Payment.provider_id).where(Payment.kind == "refund"))) == ["re_1", "re_2"]


def test_a_refund_the_provider_refuses_is_taken_back(session):
    product = make_product(session, price_ore=10000, stock=2)
    session.commit()
    order = place(session, {product.id: 1}, delivery_method="pickup")
    order.payment_intent_id = "pi_paid"
    orders.record_payment_succeeded(session, intent_id="pi_paid", amount_ore=10000, currency="nok", now=NOW)
    session.commit()

    def refuse(intent_id, amount_ore, idempotency_key):
        raise RuntimeError("card network down")

    with pytest.raises(RuntimeError):
        refunds.refund(session, order, 4000, request_key="a", actor_user_id=None, now=NOW, make_refund=refuse)

    order = session.get(Order, order.id)
    assert order.refunded_ore == 0 and order.status == "paid"
    assert session.scalar(select(Payment.status).where(Payment.kind == "refund")) == "failed"


@pytest.mark.parametrize(("start", "target"), [("paid", "pending_payment"), ("cancelled", "paid"), ("expired", "awaiting_invoice")])
def test_the_order_flow_refuses_invalid_transitions(start, target):
    order = Order(status=start)

    with pytest.raises(orders.InvalidTransition):
        orders.set_status(order, target, now=NOW)


def test_setting_the_same_status_twice_is_harmless():
    order = Order(status="paid")

    assert orders.set_status(order, "paid", now=NOW) is False


def test_order_lines_snapshot_title_sku_and_price(session):
    product = make_product(session, title="Benk i eik", price_ore=129900, stock=2)
    session.commit()
    order = place(session, {product.id: 1})
    session.commit()

    product.title, product.price_ore = "Ny tittel", 1
    session.commit()

    line = session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
    assert (line.title, line.sku, line.unit_price_ore) == ("Benk i eik", product.sku, 129900)


def test_the_promised_date_is_a_norwegian_calendar_day(session):
    product = make_product(session, stock=0, made_to_order=True, lead_time_days=10)
    session.commit()
    late_evening = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # already 21 November in Oslo

    order = place(session, {product.id: 1}, now=late_evening)

    assert order.lines[0].promised_date == date(2026, 12, 1)
