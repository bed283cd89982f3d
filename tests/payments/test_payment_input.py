"""Payment input from outside: a payment method Stripe does not know, signed webhooks with fields of the
wrong type, and a declined card whose webhook and new PaymentIntent arrive in either order."""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import WEBHOOK_SECRET
from factories import NOW, checkout_details, make_product
from inventory.models import StockRecord
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments import gateway


def order_by_card(client, product):
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1})
    client.post("/kasse/", data=checkout_details())
    token = client.post("/kasse/oppsummering").headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/kasse/betal/{token}").status_code == 200
    return db.session.scalar(select(Order).where(Order.public_token == token))


def card_id(app, number: str) -> str:
    import stripe

    client = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": app.config["STRIPE_API_BASE"]})
    return client.v1.tokens.create(params={"card": {"number": number, "exp_month": "12", "exp_year": "2030",
                                                    "cvc": "123"}}).card.id


def post_event(client, event, secret=WEBHOOK_SECRET):
    payload = json.dumps(event)
    return client.post("/stripe/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": gateway.sign_for_test(payload, secret)})


def intent_event(type_: str, intent_id: str, amount: int, event_id: str) -> dict:
    return {"id": event_id, "type": type_, "object": "event",
            "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": "nok",
                                "metadata": {"order_id": "1"}}}}


# A payment method Stripe does not know

@pytest.mark.parametrize("payment_method", ["pm_doesnotexist", "card_" + "x" * 60, "src_unknown"])
def test_a_payment_method_stripe_does_not_know_is_the_customers_problem_not_an_outage(
        stripe_app, client, session, caplog, payment_method):
    product = make_product(session, stock=1)
    session.commit()
    order = order_by_card(client, product)

    with caplog.at_level(logging.INFO):
        response = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": payment_method})

    assert response.status_code == 400
    assert response.json["status"] == "error" and response.json["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    db.session.expire_all()
    assert session.get(Order, order.id).status == "pending_payment"
    assert session.scalar(select(StockRecord.reserved)) == 1


def test_only_a_payment_service_that_cannot_be_reached_is_502(stripe_app, client, session):
    product = make_product(session, stock=1)
    session.commit()
    order = order_by_card(client, product)
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there

    response = client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": "pm_card_visa"})

    assert response.status_code == 502


# A declined card keeps its hold, whatever order things arrive in

@pytest.mark.parametrize("webhook_first", [True, False], ids=["webhook first", "new PaymentIntent first"])
def test_a_declined_card_keeps_the_goods_held_for_the_rest_of_the_window(stripe_app, client, session, webhook_first):
    product = make_product(session, stock=1)
    session.commit()
    order = order_by_card(client, product)
    declined_intent = order.payment_intent_id
    failed = intent_event("payment_intent.payment_failed", declined_intent, order.total_ore, "evt_failed")

    if webhook_first:
        assert post_event(client, failed).status_code == 200
    response = client.post(f"/kasse/betal/{order.public_token}",
                           data={"payment_method": card_id(stripe_app, "4000000000000341")})
    assert response.status_code == 402
    if not webhook_first:
        assert post_event(client, failed).status_code == 200

    db.session.expire_all()
    assert session.get(Order, order.id).payment_intent_id != declined_intent
    assert session.scalar(select(StockRecord.reserved)) == 1
    page = client.get(f"/kasse/betal/{order.public_token}")
    assert page.status_code == 200 and 'class="ds-paragraph held-until"' in page.get_data(as_text=True)
    accepted = client.post(f"/kasse/betal/{order.public_token}",
                           data={"payment_method": card_id(stripe_app, "4242424242424242")})
    assert accepted.json["status"] == "succeeded"


def test_the_pay_page_never_promises_a_hold_that_has_run_out(app, client, session):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_WEBHOOK_SECRET="x")
    product = make_product(session, stock=1)
    session.commit()
    order = orders.place_order(session, {product.id: 1}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="card"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()

    pay = client.get(f"/kasse/betal/{order.public_token}")
    status = client.get(f"/ordre/{order.public_token}").get_data(as_text=True)

    assert pay.status_code == 302 and pay.headers["Location"].endswith(f"/ordre/{order.public_token}")
    assert "held-until" not in status and f"/kasse/betal/{order.public_token}" not in status
    assert "Fristen for å betale gikk ut" in status
    assert client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": "pm_card_visa"}).status_code == 409


# Signed webhooks with fields of the wrong type

def _not_an_id():
    return st.one_of(st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(), st.lists(st.text(max_size=3)),
                     st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
                     st.text(min_size=101, max_size=300), st.sampled_from(["", "pi x", "pi_\x00", "pi_ø", "evt\n1"]))


WRONG = {
    ("id",): _not_an_id(),
    ("type",): st.one_of(st.lists(st.text(max_size=5), min_size=1), st.integers(), st.none(),
                         st.dictionaries(st.text(max_size=3), st.integers(), min_size=1)),
    ("data",): st.one_of(st.none(), st.text(max_size=10), st.lists(st.integers()), st.integers()),
    ("data", "object"): st.one_of(st.none(), st.text(max_size=10), st.lists(st.integers()), st.integers()),
    ("data", "object", "id"): _not_an_id(),
    ("data", "object", "amount"): st.one_of(
        st.text(max_size=10), st.floats(), st.none(), st.booleans(), st.lists(st.integers()),
        st.integers(max_value=0), st.integers(min_value=2**31)),
    ("data", "object", "currency"): st.one_of(
        st.none(), st.integers(), st.lists(st.text(max_size=3)), st.booleans(),
        st.text(max_size=10).filter(lambda t: not (len(t) == 3 and t.isascii() and t.isalpha()))),
    ("data", "object", "metadata"): st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), min_size=1),
                                              st.booleans()),
    ("data", "object", "metadata", "order_id"): st.one_of(
        st.integers(), st.lists(st.text(max_size=3)), st.booleans(), st.floats(),
        st.text(max_size=12).filter(lambda t: not (t.isascii() and t.isdigit() and 0 < len(t) <= 9))),
}


def _stored(session) -> str:
    session.expire_all()
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in session.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    session.rollback()
    return digest.hexdigest()


@pytest.mark.parametrize("path", list(WRONG), ids=[".".join(p) for p in WRONG])
def test_a_signed_webhook_with_a_field_of_the_wrong_type_is_400_and_changes_nothing(app, client, session, path):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    product = make_product(session, stock=2)
    session.commit()
    order = orders.place_order(session, {product.id: 1}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="card"),
        now=NOW, payment_window=timedelta(days=3650), shipping=orders.ShippingRule())
    order.payment_intent_id = "pi_fuzz"
    session.commit()
    total = order.total_ore

    @settings(max_examples=15, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(value=WRONG[path], kind=st.sampled_from(["payment_intent.succeeded", "payment_intent.payment_failed"]))
    def send(value, kind):
        event = intent_event(kind, "pi_fuzz", total, "evt_fuzz")
        holder = event
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value
        before = _stored(session)

        response = post_event(client, event)

        assert response.status_code == 400, (path, value, response.status_code)
        assert _stored(session) == before

    send()
    # The same event with the field as it should be goes through: the refusals above were the field's doing.
    assert post_event(client, intent_event("payment_intent.succeeded", "pi_fuzz", total, "evt_good")).status_code == 200
    db.session.expire_all()
    assert session.get(Order, order.id).status == "paid"
