"""Returns under the right of withdrawal (angrerettloven): which lines a customer may still withdraw from and why
not, the withdrawal itself, the goods received back by the unit that sent them (stock back through the ledger,
once), and the refund booked when the coordinator has paid the money back.

Plain functions that take a session; they flush and never commit. The card refund itself is made by
shop.payments.services.refund_return, around the call to Stripe.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Product
from inventory import services as stock
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record as audit
from shop.core.time import OSLO, aware
from shop.orders.emails import queue_customer_email
from shop.orders.models import RETURN_CONDITIONS, Order, OrderLine, OrderReturn, Payment, ReturnLine

WITHDRAWAL_DAYS = 14
# Why a line cannot be withdrawn from, in the words the order page uses (shop.orders.views.WHY_NOT). Goods made to
# the customer's own specifications are exempt too (§ 22 c), but the shop sells those only by agreement, not
# online: a catalogue product "made to order when not in stock" is a standard item and may be withdrawn from.
# Goods not yet sent are not withdrawn from but cancelled: the customer asks, and the coordinator cancels.
BUSINESS, SERVICE_PERFORMED, DEADLINE_PASSED, NOT_CONFIRMED, ALREADY_RETURNED, NOT_SENT, CLOSED = (
    "business", "service_performed", "deadline_passed", "not_confirmed", "already_returned", "not_sent", "closed")
TRANSIT_DAYS = 7


class ReturnError(Exception):
    """The return cannot be made or moved as asked."""


class NotWithdrawable(ReturnError):
    """A chosen line may not be withdrawn from (the law exempts it, or the deadline has passed)."""

    def __init__(self, line_id: int, why: str):
        super().__init__(f"line {line_id}: {why}")
        self.line_id, self.why = line_id, why


class RefundUnderway(ReturnError):
    """Another request is asking the payment provider to refund this return right now."""


class NothingChosen(ReturnError):
    """No line, or more items than are left to withdraw."""


@dataclass(frozen=True)
class Withdrawable:
    """One order line as the withdrawal form shows it: how many items may still be withdrawn, until when, or why not."""

    line: OrderLine
    left: int
    deadline: date | None  # the last day (Oslo) to withdraw; None while part of the order has not left yet
    why_not: str | None


def deadline(order: Order) -> date | None:
    """The last day (in Norway) to withdraw from the order, or None while a part of it has not left its workshop.

    The law counts 14 days from when the customer received the last of the goods (angrerettloven § 22 b); the
    shop does not learn when a parcel arrives, so it counts from the day the last part left (sent, or ready for
    pickup) plus TRANSIT_DAYS for the post: never shorter than what the law gives for a parcel that takes a week.
    """
    parts = [part for part in order.fulfilments if part.status != "cancelled"]
    if not parts or any(part.handed_over_at is None for part in parts):
        return None
    last = max(aware(part.handed_over_at) for part in parts).astimezone(OSLO).date()
    return last + timedelta(days=TRANSIT_DAYS + WITHDRAWAL_DAYS)


def withdrawable(session: Session, order: Order, *, now: datetime) -> list[Withdrawable]:
    """Every line of the order with what may still be withdrawn from it (consumers only; the law's exemptions)."""
    kinds = dict(session.execute(select(Product.id, Product.kind).where(
        Product.id.in_([line.product_id for line in order.lines]))).all())
    returned = _returned(session, order.id)
    last_day = deadline(order)
    today = aware(now).astimezone(OSLO).date()
    result = []
    for line in order.lines:
        left = line.quantity - returned.get(line.id, 0)
        if order.payment_method == "invoice" or order.organisation_name:
            why = BUSINESS
        elif order.status in ("cancelled", "refunded"):
            why = CLOSED
        elif not order.confirmed:
            why = NOT_CONFIRMED
        elif kinds.get(line.product_id) == "service" and line.fulfilment.status == "delivered":
            why = SERVICE_PERFORMED
        elif left <= 0:
            why = ALREADY_RETURNED
        elif line.fulfilment.handed_over_at is None:
            why = NOT_SENT
        elif last_day is not None and today > last_day:
            why = DEADLINE_PASSED
        else:
            why = None
        result.append(Withdrawable(line=line, left=max(left, 0) if why is None else 0, deadline=last_day, why_not=why))
    return result


def _returned(session: Session, order_id: int) -> dict[int, int]:
    """Items of each order line already in a return: {order_line_id: items}."""
    rows = session.execute(select(ReturnLine.order_line_id, ReturnLine.quantity)
                           .join(OrderReturn, OrderReturn.id == ReturnLine.return_id)
                           .where(OrderReturn.order_id == order_id)).all()
    counted: dict[int, int] = {}
    for line_id, quantity in rows:
        counted[line_id] = counted.get(line_id, 0) + quantity
    return counted


def withdraw(session: Session, order: Order, quantities: dict[int, int], *, reason: str, request_key: str | None,
             now: datetime) -> OrderReturn:
    """Withdraw from the chosen items of an order ({order_line_id: items}); the customer gets a receipt by e-mail.
    The same form sent twice (the same request_key) finds the first return.

    Raises:
        NotWithdrawable: a chosen line is exempt or past its deadline.
        NothingChosen: no items chosen, or more than are left.
    """
    # One withdrawal at a time per order, so two at once cannot both take the last item, and the same form sent
    # twice at once finds the first one's return once it is its turn.
    session.scalar(select(Order.id).where(Order.id == order.id).with_for_update())
    if request_key:
        earlier = session.scalar(select(OrderReturn).where(OrderReturn.request_key == request_key))
        if earlier is not None and earlier.order_id == order.id:
            return earlier
        if earlier is not None:
            raise NothingChosen(order.number)  # a key from another order's form
    lines = {entry.line.id: entry for entry in withdrawable(session, order, now=now)}
    chosen = {line_id: n for line_id, n in quantities.items() if n}
    if not chosen or any(line_id not in lines or n < 0 for line_id, n in chosen.items()):
        raise NothingChosen(order.number)
    for line_id, n in chosen.items():
        entry = lines[line_id]
        if entry.why_not is not None:
            raise NotWithdrawable(line_id, entry.why_not)
        if n > entry.left:
            raise NothingChosen(order.number)
    order_return = OrderReturn(
        order_id=order.id, status="requested", reason=reason.strip(), request_key=request_key, created_at=now,
        lines=[ReturnLine(order_line_id=line_id, unit_id=lines[line_id].line.unit_id, quantity=n)
               for line_id, n in sorted(chosen.items())],
    )
    session.add(order_return)
    session.flush()
    audit(session, order.user_id, "order.withdrawn", "order", order.id,
          ", ".join(f"{n} × {lines[line_id].line.title}" for line_id, n in sorted(chosen.items())))
    queue_customer_email(session, order, "orders/email_withdrawal_received.txt",
                         "orders/email_withdrawal_received_subject.txt", order_return=order_return)
    return order_return


def receive(session: Session, actor: Actor, return_line_id: int, condition: str, *, now: datetime) -> bool:
    """Record that a returned line has come back to its unit, in this condition: returned (back on the shelf) or
    damaged (back, and written off). The stock moves through the ledger once; a repeat changes nothing (False).

    Raises:
        NotPermitted: the actor may not act for the line's unit.
        ValueError: an unknown condition.
    """
    if condition not in RETURN_CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    line = session.get(ReturnLine, return_line_id)
    if line is None:
        raise ReturnError(f"no return line {return_line_id}")
    actor.require_unit(line.unit_id, "return")
    claimed = session.execute(
        update(ReturnLine).where(ReturnLine.id == return_line_id, ReturnLine.condition.is_(None))
        .values(condition=condition, received_at=now, received_by_id=actor.user_id)
    ).rowcount
    order_return = session.get(OrderReturn, line.return_id)
    if claimed:
        order_line = session.get(OrderLine, line.order_line_id)
        if order_line.stock_record_id is not None:
            note = f"Retur fra ordre {order_return.order.number}"
            stock.adjust(session, order_line.stock_record_id, line.quantity, reason="returned", now=now,
                         actor_user_id=actor.user_id, note=note, order_id=order_return.order_id)
            if condition == "damaged":
                stock.adjust(session, order_line.stock_record_id, -line.quantity, reason="damaged", now=now,
                             actor_user_id=actor.user_id, note=note, order_id=order_return.order_id)
        audit(session, actor.user_id, "return.received", "order", order_return.order_id,
              f"{line.quantity} × {order_line.title}: {condition}", unit_id=line.unit_id)
    _received_when_all_back(session, order_return.id, now=now)
    return bool(claimed)


def _received_when_all_back(session: Session, return_id: int, *, now: datetime) -> None:
    """Move the return on once every line is back, and tell the customer, once.

    The return's row lock is taken after this transaction marked its line: two units receiving their lines at the
    same moment take turns here, and the second sees the first's line (PostgreSQL reads what was committed before
    the lock was granted), so one of them always finds nothing left out. A repeat runs this too.
    """
    session.scalar(select(OrderReturn.id).where(OrderReturn.id == return_id).with_for_update())
    remaining = session.scalar(select(ReturnLine.id).where(ReturnLine.return_id == return_id,
                                                           ReturnLine.condition.is_(None)).limit(1))
    if remaining is not None:
        return
    won = session.execute(update(OrderReturn).where(OrderReturn.id == return_id, OrderReturn.status == "requested")
                          .values(status="received", received_at=now)).rowcount
    if won:
        order_return = session.get(OrderReturn, return_id)
        session.refresh(order_return)
        queue_customer_email(session, order_return.order, "orders/email_return_received.txt",
                             "orders/email_return_received_subject.txt", order_return=order_return)


def lock(session: Session, return_id: int) -> OrderReturn:
    """The return with a row lock (PostgreSQL), as the database has it now."""
    return session.scalar(select(OrderReturn).where(OrderReturn.id == return_id).with_for_update()
                          .execution_options(populate_existing=True))


def refund_key(session: Session, order_return: OrderReturn) -> str:
    """The one-time key of the return's refund: the same until an attempt is refused, then the next one's."""
    refused = session.scalar(select(func.count()).select_from(Payment).where(
        Payment.request_key.like(f"return-{order_return.id}-%"), Payment.status == "failed")) or 0
    return f"return-{order_return.id}-{refused + 1}"


def refund_amount(session: Session, order_return: OrderReturn) -> int:
    """What to pay back: the returned goods, and the shipping when the whole order has come back (angrerettloven
    § 24 refunds the ordinary delivery cost)."""
    order = order_return.order
    amount = order_return.amount_ore
    returned = _returned(session, order.id)
    if order.shipping_ore and all(returned.get(line.id, 0) >= line.quantity for line in order.lines):
        amount += order.shipping_ore
    return amount


def mark_refunded(session: Session, actor: Actor, order_return: OrderReturn, *, amount_ore: int, now: datetime,
                  credit_note_id: int | None = None) -> bool:
    """Book that the return's money is paid back (by card refund or credit note); False if it already was.

    Raises:
        NotPermitted: the actor is not a coordinator.
        ReturnError: the goods have not all been received.
    """
    if not actor.is_national:
        raise NotPermitted("only a coordinator refunds")
    if order_return.status == "refunded":
        return False
    if order_return.status != "received":
        raise ReturnError("the goods have not come back yet")
    order_return.status, order_return.refunded_at = "refunded", now
    order_return.refund_ore, order_return.credit_note_id = amount_ore, credit_note_id
    audit(session, actor.user_id, "return.refunded", "order", order_return.order_id, str(amount_ore))
    return True


def returns_of(session: Session, order_id: int) -> list[OrderReturn]:
    return list(session.scalars(select(OrderReturn).where(OrderReturn.order_id == order_id)
                                .options(selectinload(OrderReturn.lines).selectinload(ReturnLine.order_line))
                                .order_by(OrderReturn.id)))


def open_returns(session: Session, *, unit_id: int | None = None) -> list[OrderReturn]:
    """Returns not yet refunded, oldest first; for a unit, those with lines it must receive."""
    query = (select(OrderReturn).where(OrderReturn.status != "refunded")
             .options(selectinload(OrderReturn.lines).selectinload(ReturnLine.order_line), selectinload(OrderReturn.order))
             .order_by(OrderReturn.created_at))
    if unit_id is not None:
        query = query.where(OrderReturn.id.in_(select(ReturnLine.return_id).where(ReturnLine.unit_id == unit_id,
                                                                                  ReturnLine.condition.is_(None))))
    return list(session.scalars(query))


def open_count(session: Session) -> int:
    """How many returns wait for their goods or their refund (the coordinator's start page)."""
    return session.scalar(select(func.count()).select_from(OrderReturn).where(OrderReturn.status != "refunded")) or 0


def to_receive_count(session: Session, unit_id: int) -> int:
    """How many returned lines a unit has still to record as received (the staff start page)."""
    return session.scalar(select(func.count()).select_from(ReturnLine).where(
        ReturnLine.unit_id == unit_id, ReturnLine.condition.is_(None))) or 0
