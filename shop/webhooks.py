"""Stripe webhooks: the signed payment_intent events are the source of truth for card payments."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, request
from sqlalchemy.exc import IntegrityError

from shop import orders, payments
from shop.extensions import csrf, db
from shop.models import ProcessedEvent

bp = Blueprint("webhooks", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    try:
        event = payments.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except payments.InvalidWebhook as error:
        current_app.logger.warning("Rejected Stripe webhook: %s", error)
        return {"error": "invalid signature"}, 400
    handle_event(event, now=datetime.now(UTC))
    return {"received": True}


def handle_event(event: dict, *, now: datetime) -> bool:
    """Apply an event once; return False when it was already handled (or is of no interest)."""
    handlers = {
        "payment_intent.succeeded": _succeeded,
        "payment_intent.payment_failed": _failed,
    }
    handler = handlers.get(event["type"])
    if handler is None:
        return False
    try:
        # The unique event id is written in the same transaction as its effects: a replay, or a
        # second delivery racing this one, fails here and changes nothing.
        db.session.add(ProcessedEvent(event_id=event["id"], event_type=event["type"]))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    handler(event["data"]["object"], now)
    db.session.commit()
    return True


def _succeeded(intent: dict, now: datetime) -> None:
    orders.record_payment_succeeded(
        db.session, intent_id=intent["id"], amount_ore=int(intent["amount"]), currency=intent.get("currency", ""), now=now
    )


def _failed(intent: dict, now: datetime) -> None:
    orders.record_payment_failed(db.session, intent_id=intent["id"], now=now)
