"""The `flask orders expire` job: record payments whose webhook was lost, then expire what is still unpaid."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments import gateway


def reconcile_unpaid(session: Session, *, now: datetime) -> tuple[int, set[int]]:
    """Ask Stripe about unpaid card orders whose payment window has passed.

    A payment whose webhook was lost (or has not arrived yet) is recorded now, exactly as the webhook
    would record it, so that expiry never cancels an order the customer has paid. The webhook that
    comes later changes nothing (record_payment_succeeded is idempotent). Each order is committed
    on its own, because each is a separate answer from Stripe; two machines doing this at once take
    turns on the order's row lock.

    Returns (orders recorded paid, ids of orders that must not be expired this time: Stripe says
    they are paid but recording it failed). When Stripe cannot be reached at all, the rest are left
    to expire: a payment arriving later still counts.
    """
    due = session.execute(
        select(Order.id, Order.payment_intent_id)
        .where(Order.status == "pending_payment", Order.expires_at < now, Order.payment_intent_id.is_not(None))
        .order_by(Order.id)
    ).all()
    paid, keep = 0, set()
    for order_id, intent_id in due:
        try:
            intent = gateway.retrieve_intent(intent_id)
        except gateway.PaymentError as error:
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
    """Record lost payments, then expire what is still unpaid; commit.

    Returns (orders found paid at Stripe, orders expired).
    """
    paid, keep = 0, set()
    if current_app.config.get("STRIPE_SECRET_KEY"):
        paid, keep = reconcile_unpaid(session, now=now)
    expired = orders.expire_unpaid(session, now=now, keep=keep)
    session.commit()
    return paid, expired
