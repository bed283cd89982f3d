"""Payment flows that must commit around a call to Stripe, and say why each time.

Everywhere else services flush and the request commits once. A call to Stripe cannot be rolled back,
so these flows book what they are about to do and commit BEFORE asking Stripe (a crash or a second
request then finds the booking), and commit again with Stripe's answer.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.core.actor import Actor, NotPermitted
from shop.core.time import oslo_date
from shop.orders import invoices, returns
from shop.orders import services as orders
from shop.orders.models import Invoice, Order, OrderReturn, Payment
from shop.payments import gateway


def _stripe_refund(intent_id: str, amount_ore: int, idempotency_key: str) -> str:
    return gateway.refund(intent_id, amount_ore, idempotency_key=idempotency_key)


def refund(session: Session, order: Order, amount_ore: int, *, request_key: str, actor_user_id: int | None,
           now: datetime, notify: bool = True, make_refund=_stripe_refund) -> bool:
    """Refund through Stripe exactly once per request_key; commit; return False for a repeat.

    The refund is booked (and committed) before Stripe is asked, so a second click or a retry with
    the same key finds the booking and does not ask again, and two refunds at once can never add up
    to more than was paid. If Stripe refuses, the booking is taken back. make_refund(intent_id,
    amount_ore, idempotency_key) asks the provider and returns its refund id.

    Raises:
        RefundTooLarge: more than what was paid by card and not yet refunded (nothing changed).
        PaymentError: Stripe refused or could not be reached (the booking was taken back); so does
            anything else make_refund raises.
    """
    payment = orders.start_refund(session, order, amount_ore, request_key=request_key, actor_user_id=actor_user_id)
    if payment is None:
        session.rollback()
        return False
    try:
        session.commit()
    except IntegrityError:  # the same key, booked a moment ago by a request running alongside
        session.rollback()
        return False
    try:
        refund_id = make_refund(order.payment_intent_id, amount_ore, f"refund-{request_key}")
    except Exception:  # whatever went wrong, nothing was refunded: take the booking back
        session.rollback()
        orders.abandon_refund(session, payment)
        session.commit()
        raise
    orders.finish_refund(session, payment, refund_id=refund_id, now=now, notify=notify)
    session.commit()
    return True


def refund_return(session: Session, actor: Actor, order_return: OrderReturn, *, now: datetime) -> bool:
    """Pay back a return whose goods have all come back: by card through Stripe, or by a credit note on an invoiced
    order; book it on the return and commit; False if it was already refunded.

    The return's row is locked while it is looked at, and the card refund goes through refund() under a key of the
    return and its attempt: a second click finds the first's booking and books nothing twice (while the first is
    still asking Stripe it is told so), and after a refusal the next click is a new attempt with a new key.

    Raises:
        NotPermitted: the actor is not a coordinator.
        ReturnError: the goods have not all come back; RefundUnderway: another request is refunding it now.
        RefundTooLarge, PaymentError: see refund (the return stays unrefunded).
        InvoiceError: an invoiced order's credit note could not be made (no invoice yet, nothing left to credit).
    """
    if not actor.is_national:
        raise NotPermitted("only a coordinator refunds")
    order_return = returns.lock(session, order_return.id)
    if order_return.status == "refunded":
        return False
    if order_return.status != "received":
        raise returns.ReturnError("the goods have not come back yet")
    order = order_return.order
    amount = returns.refund_amount(session, order_return)
    note = None
    if order.payment_method == "card":
        key = returns.refund_key(session, order_return)
        if not refund(session, order, amount, request_key=key, actor_user_id=actor.user_id, now=now):
            if session.scalar(select(Payment.status).where(Payment.request_key == key)) != "succeeded":
                raise returns.RefundUnderway(order_return.id)
        order_return = returns.lock(session, order_return.id)  # refund() committed: look again
        if order_return.status == "refunded":
            return False
    else:
        invoice = invoices.invoice_of(session, order.id)
        if invoice is None:
            raise invoices.InvoiceError("issue the invoice before crediting a return")
        _left, shipping_left = invoices.creditable(session, invoice)
        goods = {line.order_line_id: line.quantity for line in order_return.lines}
        note = invoices.credit(session, actor, invoice.id, goods,
                               shipping=shipping_left and amount > order_return.amount_ore,
                               reason=f"Retur {order_return.id}", today=oslo_date(now), now=now)
        amount = note.total_ore
    returns.mark_refunded(session, actor, order_return, amount_ore=amount, now=now,
                          credit_note_id=note.id if note else None)
    session.commit()
    return True


def cancel_order(session: Session, order: Order, *, actor_user_id: int | None, reason: str,
                 now: datetime) -> Invoice | None:
    """Cancel an order: stop its unpaid PaymentIntent, refund what is paid by card, return the stock, credit what
    is left of its invoice (the credit note is returned); commit.

    The PaymentIntent is cancelled first, so no payment can land after the order is cancelled; a
    payment that landed just before makes check_cancel refuse (RefundFirst) rather than keep it.

    Raises:
        AlreadySent, RefundFirst, InvalidTransition: see orders.check_cancel (nothing changed).
        RefundTooLarge: refunded meanwhile by someone else (nothing changed).
        PaymentError: Stripe could not be reached (nothing changed).
    """
    remaining = order.refundable_ore
    orders.check_cancel(order, refunding_ore=remaining)
    if order.payment_intent_id and order.paid_at is None:
        gateway.cancel_intent(order.payment_intent_id)
    if remaining > 0:
        refund(session, order, remaining, request_key=f"cancel-{order.id}", notify=False,
               actor_user_id=actor_user_id, now=now)
    orders.cancel(session, order, actor_user_id=actor_user_id, now=now, reason=reason)
    note = invoices.credit_rest(session, order.id, actor_user_id=actor_user_id, reason=reason, today=oslo_date(now),
                                now=now)
    session.commit()
    return note


def intent_for(session: Session, order: Order) -> gateway.Intent:
    """The order's PaymentIntent, made the first time the pay page is shown (and committed at once,
    so a reload finds it rather than make another).

    Raises:
        PaymentError: Stripe could not be reached.
    """
    if order.payment_intent_id:
        return gateway.retrieve_intent(order.payment_intent_id)
    intent = gateway.create_intent(amount_ore=order.total_ore, order_id=order.id, order_number=order.number,
                                   idempotency_key=f"order-{order.public_token}")
    order.payment_intent_id = intent.id
    session.commit()
    return intent


def renew_intent(session: Session, order: Order) -> None:
    """Give the order a new PaymentIntent for the next try after a decline; commit.

    The declined one is cancelled first, so it can never be paid later (this works the same on
    Stripe and on localstripe, which cannot re-confirm a declined intent). Should it be paid all the
    same, its webhook flags the order (see shop.payments.webhooks). The goods stay held meanwhile.
    """
    try:
        gateway.cancel_intent(order.payment_intent_id)
    except gateway.PaymentError:
        current_app.logger.exception("Could not cancel the declined PaymentIntent of %s", order.number)
        return  # keep the old one rather than leave two payable
    try:
        intent = gateway.create_intent(amount_ore=order.total_ore, order_id=order.id, order_number=order.number,
                                       idempotency_key=f"order-{order.public_token}-{secrets.token_hex(6)}")
    except gateway.PaymentError:
        current_app.logger.exception("Could not renew the PaymentIntent for %s", order.number)
        return
    order.payment_intent_id = intent.id
    session.commit()
