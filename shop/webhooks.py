"""Stripe webhooks: the signed payment_intent events are the source of truth for card payments."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop import orders, payments
from shop.extensions import csrf, db
from shop.models import Order, ProcessedEvent

bp = Blueprint("webhooks", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    try:
        event = payments.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except payments.InvalidWebhook as error:
        current_app.logger.warning("Rejected Stripe webhook: %s", error)
        return {"error": "invalid signature"}, 400
    if event["type"] in HANDLED and not _has_intent(event):
        current_app.logger.warning("Rejected a signed %s webhook without its PaymentIntent", event["type"])
        return {"error": "malformed event"}, 400
    handle_event(event, now=datetime.now(UTC))
    return {"received": True}


HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed")


def _has_intent(event: dict) -> bool:
    intent = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    return isinstance(event["id"], str) and isinstance(intent, dict) and isinstance(intent.get("id"), str) \
        and isinstance(intent.get("amount"), int)


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
    order = orders.record_payment_succeeded(
        db.session, intent_id=intent["id"], amount_ore=int(intent["amount"]), currency=intent.get("currency", ""), now=now
    )
    if order is None:
        # Not the order's current payment: an earlier attempt it replaced after a decline, paid
        # all the same. The money must not go unnoticed.
        order_id = str((intent.get("metadata") or {}).get("order_id", ""))
        if order_id.isdigit():
            orders.flag_stray_payment(db.session, int(order_id), intent_id=intent["id"], amount_ore=int(intent["amount"]))


def _failed(intent: dict, now: datetime) -> None:
    orders.record_payment_failed(db.session, intent_id=intent["id"], now=now)


def reconcile_unpaid(session: Session, *, now: datetime) -> tuple[int, set[int]]:
    """Ask Stripe about unpaid card orders whose payment window has passed.

    A payment whose webhook was lost (or has not arrived yet) is recorded now, exactly as the webhook
    would record it, so that expiry never cancels an order the customer has paid. The webhook that
    comes later changes nothing (record_payment_succeeded is idempotent). Each order is committed
    on its own; two machines doing this at once take turns on the order's row lock.

    Returns (orders recorded paid, ids of orders that must not be expired this time: Stripe says
    they are paid but recording it failed, or Stripe could not be asked). When Stripe cannot be
    reached at all, the rest are left to expire: a payment arriving later still counts.
    """
    due = session.execute(
        select(Order.id, Order.payment_intent_id)
        .where(Order.status == "pending_payment", Order.expires_at < now, Order.payment_intent_id.is_not(None))
        .order_by(Order.id)
    ).all()
    paid, keep = 0, set()
    for order_id, intent_id in due:
        try:
            intent = payments.retrieve_intent(intent_id)
        except payments.PaymentError as error:
            current_app.logger.warning("Could not ask Stripe about unpaid orders before expiring them: %s", error)
            break
        if intent.status != "succeeded":
            continue
        try:
            orders.record_payment_succeeded(session, intent_id=intent.id, amount_ore=intent.amount_ore,
                                            currency=intent.currency, now=now)
            session.commit()
        except Exception:  # noqa: BLE001 - one order must not stop the job; it is logged and kept
            session.rollback()
            keep.add(order_id)
            current_app.logger.exception("Order %s is paid at Stripe (%s) but recording it failed; it is not "
                                         "expired", order_id, intent_id)
            continue
        current_app.logger.warning("Recorded payment %s for order %s without its webhook", intent_id, order_id)
        paid += 1
    return paid, keep


def expire_due_orders(session: Session, *, now: datetime) -> tuple[int, int]:
    """The `flask orders expire` job: record lost payments, then expire what is still unpaid.

    Returns (orders found paid at Stripe, orders expired).
    """
    paid, keep = 0, set()
    if current_app.config.get("STRIPE_SECRET_KEY"):
        paid, keep = reconcile_unpaid(session, now=now)
    expired = orders.expire_unpaid(session, now=now, keep=keep)
    session.commit()
    return paid, expired
