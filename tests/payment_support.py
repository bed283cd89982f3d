"""Paying by card in tests: the real stripe library against localstripe, through the shop's own pages and webhook."""
from __future__ import annotations

import json

import stripe
from sqlalchemy import select

from conftest import WEBHOOK_SECRET
from factories import checkout_details, make_product
from shop.extensions import db
from shop.orders.models import Order
from shop.payments import gateway as payments


def stripe_client(app):
    return stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], base_addresses={"api": app.config["STRIPE_API_BASE"]})


def card_id(app, number: str) -> str:
    """Tokenise a card the way Stripe.js does in the browser, and return the card id."""
    token = stripe_client(app).v1.tokens.create(
        params={"card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}},
    )
    return token.card.id


def order_by_card(client, product, quantity=1):
    """Go through cart and checkout with card payment; return the order (its PaymentIntent made)."""
    client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": quantity})
    client.post("/kasse/", data=checkout_details())
    response = client.post("/kasse/oppsummering")
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/kasse/betal/{token}")
    assert page.status_code == 200
    return db.session.scalar(select(Order).where(Order.public_token == token)), page


def post_event(client, event: dict, secret=WEBHOOK_SECRET):
    payload = json.dumps(event)
    return client.post("/stripe/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": payments.sign_for_test(payload, secret)})


def event(type_: str, intent_id: str, amount: int, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{type_}_{intent_id}", "type": type_, "object": "event",
            "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": "nok"}}}


def paid_card_order(stripe_app, client, session, *, price_ore=100000, stock=2, quantity=1):
    product = make_product(session, price_ore=price_ore, stock=stock)
    session.commit()
    order, _page = order_by_card(client, product, quantity=quantity)
    client.post(f"/kasse/betal/{order.public_token}", data={"payment_method": card_id(stripe_app, "4242424242424242")})
    post_event(client, event("payment_intent.succeeded", order.payment_intent_id, order.total_ore))
    return order
