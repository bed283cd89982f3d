"""Card payments against localstripe with the real stripe library: webhooks, declines, replays, refunds."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from browser_support import live_server
from conftest import WEBHOOK_SECRET
from factories import checkout_details, make_product
from inventory.models import Reservation, StockMovement, StockRecord
from inventory.services import ledger_mismatches
from payment_support import card_id, event, order_by_card, paid_card_order, post_event, stripe_client
from shop.demo import localstripe as devstripe
from shop.extensions import db
from shop.mail import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Order, Payment
from shop.payments.models import ProcessedEvent


def wait_for(predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_paid_card_order_is_confirmed_by_the_signed_webhook_from_localstripe(stripe_app, client, session, localstripe_url):
    product = make_product(session, title="Benk i eik", price_ore=129900, stock=3)
    session.commit()

    with live_server(stripe_app) as base:
        devstripe.register_webhook(localstripe_url, f"{base}/stripe/webhook", WEBHOOK_SECRET)
        order, page = order_by_card(client, product)
        assert "Demo: no real money moves" in page.get_data(as_text=True) or "ingen ekte penger" in page.get_data(as_text=True)
        intent = stripe_client(stripe_app).v1.payment_intents.retrieve(order.payment_intent_id)
        assert intent.amount == order.total_ore and intent.currency == "nok"

        answer = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
        assert answer.status_code == 200 and answer.json["status"] == "succeeded"
        assert session.get(Order, order.id).paid_at is None  # the browser's answer is not the truth; the webhook is

        assert wait_for(lambda: session.get(Order, order.id).status == "paid"), "webhook never marked the order paid"

    record = session.scalar(select(StockRecord).where(StockRecord.product_id == product.id))
    assert (record.on_hand, record.reserved) == (2, 0)
    assert session.scalar(select(OutboxMessage.subject).where(OutboxMessage.to == "kari@example.no")).endswith("bekreftet")
    assert ledger_mismatches(session) == []
    status = client.get(f"/ordre/{order.public_token}").get_data(as_text=True)
    assert "Betalt" in status


def test_a_declined_card_gets_a_message_and_the_customer_can_pay_with_another(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)

    first_intent = order.payment_intent_id

    declined = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4000000000000341")})
    assert declined.status_code == 402 and declined.json["status"] == "declined"
    assert "avvist" in declined.json["message"]
    db.session.expire_all()
    assert session.get(Order, order.id).payment_intent_id != first_intent  # a fresh attempt …
    assert stripe_client(stripe_app).v1.payment_intents.retrieve(first_intent).status == "canceled"  # … the old one closed
    assert session.scalar(select(StockRecord.reserved)) == 1  # the goods stay held for the next try

    accepted = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    assert accepted.json["status"] == "succeeded"


def test_a_payment_on_an_attempt_the_order_no_longer_uses_is_flagged_not_lost(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)
    stray = event("payment_intent.succeeded", "pi_replaced_earlier", order.total_ore)
    stray["data"]["object"]["metadata"] = {"order_id": str(order.id), "order_number": order.number}

    assert post_event(client, stray).status_code == 200

    db.session.expire_all()
    order = session.get(Order, order.id)
    assert "pi_replaced_earlier" in order.attention and order.status == "pending_payment"
    assert session.scalar(select(Payment.provider_id).where(Payment.order_id == order.id)) == "pi_replaced_earlier"


def test_card_attempts_are_limited_per_order(stripe_app, client, session):
    stripe_app.config["CARD_ATTEMPT_RATE_LIMIT"] = "2 per minute"
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)

    answers = [client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4000000000000341")})
               for _ in range(3)]

    assert [a.status_code for a in answers] == [402, 402, 429]
    assert answers[2].json["status"] == "error" and "For mange forsøk" in answers[2].json["message"]


def test_the_failed_payment_event_keeps_the_hold_and_a_later_success_takes_it(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)

    assert post_event(client, event("payment_intent.payment_failed", order.payment_intent_id, order.total_ore)).status_code == 200
    assert session.scalar(select(StockRecord.reserved)) == 1  # held for the rest of the payment window
    assert post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore)).status_code == 200

    db.session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.scalar(select(StockRecord.on_hand)) == 0
    assert session.scalar(select(StockRecord.reserved)) == 0


def test_replayed_and_duplicated_events_change_nothing_twice(stripe_app, client, session):
    product = make_product(session, stock=5)
    session.commit()
    order, _page = order_by_card(client, product, quantity=2)
    succeeded = event("payment_intent.succeeded", order.payment_intent_id, order.total_ore, "evt_once")

    for _ in range(3):
        assert post_event(client, succeeded).status_code == 200
    # The same payment again under a new event id (Stripe may send both): still only one sale.
    assert post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore, "evt_twice")).status_code == 200

    assert session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.reason == "sold")) == 1
    assert session.scalar(select(StockRecord.on_hand)) == 3
    assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_an_out_of_order_failure_after_success_changes_nothing(stripe_app, client, session):
    product = make_product(session, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)

    post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore))
    post_event(client, event("payment_intent.payment_failed", order.payment_intent_id, order.total_ore))

    db.session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.scalar(select(StockRecord.on_hand)) == 1 and session.scalar(select(StockRecord.reserved)) == 0


def test_a_bad_signature_is_400_and_changes_nothing(stripe_app, client, session):
    product = make_product(session, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)

    forged = post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore), secret="whsec_wrong")
    unsigned = client.post("/stripe/webhook", data="{}", content_type="application/json")

    assert forged.status_code == 400 and unsigned.status_code == 400
    assert session.get(Order, order.id).status == "pending_payment"
    assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


def test_an_unknown_event_is_200_and_nothing_else(stripe_app, client, session):
    response = post_event(client, {"id": "evt_other", "type": "customer.created", "data": {"object": {}}})

    assert response.status_code == 200
    assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


def test_an_event_for_an_unknown_payment_is_acknowledged(stripe_app, client, session):
    assert post_event(client, event("payment_intent.succeeded", "pi_unknown", 100)).status_code == 200


def test_a_payment_after_expiry_is_taken_if_stock_remains(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)
    orders.expire_unpaid(session, now=datetime.now(UTC) + timedelta(hours=1))
    session.commit()
    assert session.get(Order, order.id).status == "expired"

    client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    intent = stripe_client(stripe_app).v1.payment_intents.retrieve(order.payment_intent_id)
    post_event(client, event("payment_intent.succeeded", intent.id, intent.amount))

    db.session.expire_all()
    assert session.get(Order, order.id).status == "paid"
    assert session.scalar(select(StockRecord.on_hand)) == 0


def _past_its_window(session, order: Order) -> None:
    """Move the order's payment window, and its holds, into the past."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    session.get(Order, order.id).expires_at = past
    for reservation in session.scalars(select(Reservation)):
        reservation.expires_at = past
    session.commit()


def test_the_expiry_job_records_a_payment_whose_webhook_was_lost_instead_of_expiring_it(stripe_app, client, session):
    product = make_product(session, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)
    # No webhook is registered with localstripe: the payment succeeds there, and we never hear of it.
    answer = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    assert answer.json["status"] == "succeeded"
    _past_its_window(session, order)

    result = stripe_app.test_cli_runner().invoke(args=["orders", "expire"])

    assert result.exit_code == 0, result.output
    assert "Recorded 1 card payments" in result.output and "Expired 0 unpaid orders." in result.output
    session.expire_all()
    paid = session.get(Order, order.id)
    assert paid.status == "paid" and paid.attention == ""
    record = session.scalar(select(StockRecord))
    assert (record.on_hand, record.reserved) == (1, 0)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # the confirmation

    # The webhook turns up after all: nothing happens twice.
    intent = stripe_client(stripe_app).v1.payment_intents.retrieve(order.payment_intent_id)
    assert post_event(client, event("payment_intent.succeeded", intent.id, intent.amount)).status_code == 200
    session.expire_all()
    assert session.scalar(select(StockRecord.on_hand)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert ledger_mismatches(session) == []


def test_an_order_paid_at_stripe_is_never_expired_even_when_recording_the_payment_fails(stripe_app, client, session):
    """Without SITE_URL a job cannot build the e-mail's link: the paid order waits, the others expire."""
    paid_product, other_product = make_product(session, stock=2), make_product(session, stock=2)
    session.commit()
    paid_order, _page = order_by_card(client, paid_product)
    client.post(f"/kasse/betal/{paid_order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    unpaid_order, _page = order_by_card(client, other_product)
    _past_its_window(session, paid_order)
    _past_its_window(session, unpaid_order)

    server_name = stripe_app.config["SERVER_NAME"]
    stripe_app.config["SERVER_NAME"] = None  # a cron job on a machine where SITE_URL was forgotten
    with stripe_app.app_context():
        from shop.payments.expiry import expire_due_orders

        assert expire_due_orders(db.session, now=datetime.now(UTC)) == (0, 1)
    stripe_app.config["SERVER_NAME"] = server_name
    session.expire_all()
    assert session.get(Order, paid_order.id).status == "pending_payment"
    assert session.get(Order, unpaid_order.id).status == "expired"

    with stripe_app.app_context():
        assert expire_due_orders(db.session, now=datetime.now(UTC)) == (1, 0)
    session.expire_all()
    assert session.get(Order, paid_order.id).status == "paid"
    assert ledger_mismatches(session) == []


def test_the_expiry_job_expires_an_order_that_stripe_says_is_unpaid(stripe_app, client, session):
    product = make_product(session, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)
    _past_its_window(session, order)

    result = stripe_app.test_cli_runner().invoke(args=["orders", "expire"])

    assert result.exit_code == 0 and "Expired 1 unpaid orders." in result.output and "Recorded" not in result.output
    session.expire_all()
    assert session.get(Order, order.id).status == "expired"
    assert session.scalar(select(StockRecord.reserved)) == 0


def test_the_expiry_job_still_expires_when_stripe_cannot_be_reached(stripe_app, client, session):
    product = make_product(session, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)
    _past_its_window(session, order)
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there

    result = stripe_app.test_cli_runner().invoke(args=["orders", "expire"])

    assert result.exit_code == 0 and "Expired 1 unpaid orders." in result.output
    session.expire_all()
    assert session.get(Order, order.id).status == "expired"


def test_the_coordinator_refunds_part_of_a_card_order_and_never_more_than_paid(stripe_app, client, session, login_as):
    product = make_product(session, price_ore=100000, stock=2)
    session.commit()
    order, _page = order_by_card(client, product)
    client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore))
    login_as("coordinator")

    refund = f"/coordinator/ordre/{order.id}/refunder"

    assert client.post(refund, data={"amount": "250.00", "request_key": "a-form-shown-once"}).status_code == 303
    too_much = client.post(refund, data={"amount": "999999", "request_key": "another-form-shown"})

    assert too_much.status_code == 400
    db.session.expire_all()
    order = session.get(Order, order.id)
    assert order.refunded_ore == 25000
    refunds = stripe_client(stripe_app).v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert [r.amount for r in refunds.data] == [25000]


def test_the_same_refund_form_sent_twice_refunds_once(stripe_app, client, session, login_as):
    order = paid_card_order(stripe_app, client, session)
    login_as("coordinator")
    page = client.get(f"/coordinator/ordre/{order.id}").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {"amount": "100", "request_key": key}

    first = client.post(f"/coordinator/ordre/{order.id}/refunder", data=form)
    second = client.post(f"/coordinator/ordre/{order.id}/refunder", data=form)

    assert (first.status_code, second.status_code) == (303, 303)
    db.session.expire_all()
    assert session.get(Order, order.id).refunded_ore == 10000
    assert session.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "refund")) == 1
    refund_mails = session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Penger tilbake"))).all()
    assert len(refund_mails) == 1 and "Vi har betalt 100,00\xa0kr tilbake" in refund_mails[0].body
    assert "Betalt tilbake så langt: 100,00\xa0kr av" in refund_mails[0].body
    refunds = stripe_client(stripe_app).v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert [r.amount for r in refunds.data] == [10000]


@pytest.mark.parametrize(("typed", "ore"), [("100,50", 10050), ("100.50", 10050), ("1 250", 125000),
                                            ("1\u00a0250,5", 125050), ("0,01", 1)])
def test_the_refund_amount_is_read_the_norwegian_way(stripe_app, client, session, login_as, typed, ore):
    order = paid_card_order(stripe_app, client, session, price_ore=200000)
    login_as("coordinator")
    page = client.get(f"/coordinator/ordre/{order.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="amount"[^>]*type="text"', page) and 'inputmode="decimal"' in page

    response = client.post(f"/coordinator/ordre/{order.id}/refunder", data={"amount": typed, "request_key": "k" * 20})

    assert response.status_code == 303
    db.session.expire_all()
    assert session.get(Order, order.id).refunded_ore == ore


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "NaN", "sNaN", "10.005", "1e400", "tusen", ""])
def test_a_refund_amount_that_is_not_kroner_and_ore_gets_a_message_not_a_500(stripe_app, client, session, login_as,
                                                                           amount):
    order = paid_card_order(stripe_app, client, session)
    login_as("coordinator")
    client.set_cookie("lang", "en", domain="verkstedbutikken.test")

    response = client.post(f"/coordinator/ordre/{order.id}/refunder", data={"amount": amount, "request_key": "k" * 20})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    message = re.search(r'id="amount-error">([^<]*)<', page).group(1)
    assert message.startswith(("Enter an amount", "You can refund at most")), message
    assert f'value="{amount}"' in page
    db.session.expire_all()
    assert session.get(Order, order.id).refunded_ore == 0


def test_a_refund_form_without_its_key_asks_to_send_it_again(stripe_app, client, session, login_as):
    order = paid_card_order(stripe_app, client, session)
    login_as("coordinator")
    client.set_cookie("lang", "en", domain="verkstedbutikken.test")

    response = client.post(f"/coordinator/ordre/{order.id}/refunder", data={"amount": "100"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "send the form again" in page and re.search(r'name="request_key" type="hidden" value="[^"]{16,}"', page)
    db.session.expire_all()
    assert session.get(Order, order.id).refunded_ore == 0


def test_cancelling_a_paid_card_order_refunds_the_rest_and_returns_the_stock(stripe_app, client, session, login_as):
    product = make_product(session, price_ore=50000, stock=2)
    session.commit()
    order, _page = order_by_card(client, product, quantity=2)
    client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore))
    login_as("coordinator")

    response = client.post(f"/coordinator/ordre/{order.id}/kanseller", data={"reason": "Kunden angret"})

    assert response.status_code == 303
    db.session.expire_all()
    order = session.get(Order, order.id)
    assert order.status == "cancelled" and order.refunded_ore == order.total_ore
    assert session.scalar(select(StockRecord.on_hand)) == 2
    assert ledger_mismatches(session) == []
    mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.subject for m in mails] == [f"Bestilling {order.number} er bekreftet", f"Bestilling {order.number} er kansellert"]
    assert "1\xa0149,00\xa0kr er betalt tilbake til kortet ditt" in mails[1].body and order.public_token in mails[1].body


def test_the_card_page_refuses_a_bogus_payment_method(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order, _page = order_by_card(client, product)

    assert client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": "<script>"}).status_code == 400


def test_an_unreachable_payment_service_gives_a_clear_503_and_keeps_the_order(app, client, session):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_WEBHOOK_SECRET="x")
    product = make_product(session, stock=1)
    session.commit()
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1})
    client.post("/kasse/", data=checkout_details())
    token = client.post("/kasse/oppsummering").headers["Location"].rsplit("/", 1)[1]

    response = client.get(f"/kasse/betal/{token}")

    assert response.status_code == 503
    assert session.scalar(select(Order.status)) == "pending_payment"


def test_the_offline_payment_service_refuses_a_port_that_is_taken(localstripe_url):
    port = int(localstripe_url.rsplit(":", 1)[1])

    with pytest.raises(RuntimeError, match="taken"):
        devstripe.start(port)
