"""Fulfilment: each unit packs and sends (or hands over) its own part of an order, and only its own."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.models import Reservation

from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record as audit
from shop.orders.emails import queue_customer_email
from shop.orders import services as orders
from shop.orders.models import WORKABLE_ORDER_STATUSES, Fulfilment, Order, OrderLine

# The steps each status allows, by the order's delivery method. The first step of each is the way
# forward, which the packing queue offers; packed → pending unpacks goods packed by mistake.
FULFILMENT_FLOW: dict[str, dict[str, tuple[str, ...]]] = {
    "shipping": {
        "pending": ("packed",),
        "packed": ("shipped", "pending"),
        "shipped": ("delivered",),
        # Before the steps followed the delivery method, shipping orders could be marked ready for
        # pickup; let those still be closed.
        "ready_for_pickup": ("delivered",),
        "delivered": (),
        "cancelled": (),
    },
    "pickup": {
        "pending": ("packed",),
        "packed": ("ready_for_pickup", "pending"),
        "ready_for_pickup": ("delivered",),
        "shipped": ("delivered",),  # likewise: pickup orders marked as sent before
        "delivered": (),
        "cancelled": (),
    },
}
# The step that hands the goods over, which only one delivery method has.
HANDOVER_STEP = {"shipping": "shipped", "pickup": "ready_for_pickup"}
# Moving to these tells the customer by e-mail (templates/orders/email_fulfilment_<status>*.txt).
CUSTOMER_NOTICES = ("shipped", "ready_for_pickup")


class InvalidFulfilmentStep(Exception):
    """The fulfilment cannot move from its status to the one asked for."""

    def __init__(self, status: str, target: str, delivery_method: str):
        super().__init__(f"{status} → {target} ({delivery_method})")
        self.status, self.target, self.delivery_method = status, target, delivery_method


class WrongDeliveryStep(InvalidFulfilmentStep):
    """The step belongs to the other delivery method: sending a pickup order, or the reverse."""


# The packing queue's views: what is still to do, what has left the workshop, and everything.
QUEUE_VIEWS = {
    "open": ("pending", "packed", "ready_for_pickup"),
    "sent": ("shipped", "delivered"),
    "all": ("pending", "packed", "shipped", "ready_for_pickup", "delivered"),
}


def queue(session: Session, actor: Actor, *, open_only: bool = True, view: str | None = None) -> list[Fulfilment]:
    """Return the fulfilments of the actor's unit that belong to confirmed orders, oldest first.

    view picks the statuses (QUEUE_VIEWS); open_only=False is the same as view="all".
    """
    if actor.unit_id is None:
        raise NotPermitted("only staff of a unit have a fulfilment queue")
    statuses = QUEUE_VIEWS[view or ("open" if open_only else "all")]
    stmt = (
        select(Fulfilment).join(Order)
        .where(Fulfilment.unit_id == actor.unit_id, Order.status.in_(WORKABLE_ORDER_STATUSES),
               Fulfilment.status.in_(statuses))
        .options(selectinload(Fulfilment.lines), selectinload(Fulfilment.order))
        .order_by(Order.created_at, Fulfilment.id)
    )
    return list(session.scalars(stmt))


def unpacked(session: Session, stock_record_ids) -> dict[int, int]:
    """{stock_record_id: sold and not yet packed}: goods of confirmed orders whose stock is committed (so
    on_hand is already lower) but which still stand on the shelf, because their part is not packed yet."""
    ids = list(stock_record_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(OrderLine.stock_record_id, func.sum(OrderLine.quantity))
        .join(Fulfilment, Fulfilment.id == OrderLine.fulfilment_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Reservation, Reservation.order_line_id == OrderLine.id)
        .where(OrderLine.stock_record_id.in_(ids), Fulfilment.status == "pending",
               Order.status.in_(WORKABLE_ORDER_STATUSES), Reservation.state == "committed")
        .group_by(OrderLine.stock_record_id)
    )
    return {record_id: int(quantity) for record_id, quantity in rows}


def due_made_to_order(session: Session, unit_id: int, *, until) -> list[OrderLine]:
    """Made-to-order lines of the unit's open parts promised by this date (Oslo), soonest first."""
    return list(session.scalars(
        select(OrderLine).join(Fulfilment, Fulfilment.id == OrderLine.fulfilment_id).join(Order)
        .where(OrderLine.unit_id == unit_id, OrderLine.made_to_order.is_(True), OrderLine.promised_date <= until,
               Fulfilment.status.in_(("pending", "packed")), Order.status.in_(WORKABLE_ORDER_STATUSES))
        .options(selectinload(OrderLine.order))
        .order_by(OrderLine.promised_date, OrderLine.id)
    ))


def next_step(fulfilment: Fulfilment) -> str | None:
    """Return the step forward from the fulfilment's status, for its order's delivery method."""
    steps = FULFILMENT_FLOW[fulfilment.order.delivery_method].get(fulfilment.status, ())
    return steps[0] if steps else None


def advance(session: Session, actor: Actor, fulfilment_id: int, target: str, *, now: datetime,
            tracking_number: str = "") -> Fulfilment:
    """Move a fulfilment one step along FULFILMENT_FLOW; the same step twice is harmless.

    Sending the goods, or making them ready for pickup, queues an e-mail to the customer in the
    same transaction; a repeated step changes nothing and sends nothing.

    Raises:
        NotPermitted: the fulfilment belongs to another unit (or its order is not confirmed).
        WrongDeliveryStep: the step belongs to the other delivery method.
        InvalidFulfilmentStep: the flow does not allow that move.
    """
    # The row lock makes a double submit wait for the first, then find the status already set.
    fulfilment = session.scalar(
        select(Fulfilment).where(Fulfilment.id == fulfilment_id).with_for_update().options(selectinload(Fulfilment.order))
    )
    if fulfilment is None or not actor.may_handle(fulfilment.unit_id):
        raise NotPermitted(f"fulfilment {fulfilment_id}")
    order = fulfilment.order
    if order.status not in WORKABLE_ORDER_STATUSES:
        raise NotPermitted(f"order {fulfilment.order_id} is not confirmed")
    if fulfilment.status == target:
        return fulfilment
    method = order.delivery_method
    if target in HANDOVER_STEP.values() and target != HANDOVER_STEP[method]:
        raise WrongDeliveryStep(fulfilment.status, target, method)
    if target not in FULFILMENT_FLOW[method].get(fulfilment.status, ()):
        raise InvalidFulfilmentStep(fulfilment.status, target, method)
    if target == "shipped":
        fulfilment.tracking_number = tracking_number.strip()[:100]
    fulfilment.status = target
    fulfilment.updated_at = now
    if target in ("shipped", "ready_for_pickup", "delivered") and fulfilment.handed_over_at is None:
        fulfilment.handed_over_at = now
    audit(session, actor.user_id, f"fulfilment.{target}", "fulfilment", fulfilment.id, unit_id=fulfilment.unit_id)
    if target in CUSTOMER_NOTICES:
        _queue_notice(session, fulfilment)
    if target == "delivered":
        _complete_when_all_delivered(session, order, now=now)
    return fulfilment


def _complete_when_all_delivered(session: Session, order: Order, *, now: datetime) -> None:
    """When every unit's part of the order is delivered, the order is complete."""
    session.flush()
    statuses = set(session.scalars(select(Fulfilment.status).where(Fulfilment.order_id == order.id)))
    if statuses == {"delivered"} and "completed" in orders.ORDER_FLOW.get(order.status, ()):
        orders.set_status(order, "completed", now=now)


def _queue_notice(session: Session, fulfilment: Fulfilment) -> None:
    """Queue the e-mail that tells the customer this part is sent or ready for pickup."""
    queue_customer_email(session, fulfilment.order, f"orders/email_fulfilment_{fulfilment.status}.txt",
                         f"orders/email_fulfilment_{fulfilment.status}_subject.txt", fulfilment=fulfilment)


# The whole country, for the coordinator

OPEN_STATUSES = ("pending", "packed", "ready_for_pickup")  # the unit still has the goods


def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator sees every unit's parts")


def overdue_made_to_order(session: Session, actor: Actor, *, today) -> list[OrderLine]:
    """Made-to-order lines of every unit promised before today (Oslo) and not yet sent, the most overdue first."""
    _require_national(actor)
    return list(session.scalars(
        select(OrderLine).join(Fulfilment, Fulfilment.id == OrderLine.fulfilment_id).join(Order)
        .where(OrderLine.made_to_order.is_(True), OrderLine.promised_date < today,
               Fulfilment.status.in_(OPEN_STATUSES), Order.status.in_(WORKABLE_ORDER_STATUSES))
        .options(selectinload(OrderLine.order), selectinload(OrderLine.fulfilment).selectinload(Fulfilment.unit))
        .order_by(OrderLine.promised_date, OrderLine.id)
    ))


def stuck(session: Session, actor: Actor, *, before: datetime) -> list[Fulfilment]:
    """Parts of confirmed orders, at any unit, that the unit still has and that have not moved since this time.

    A part moves when it is packed, sent, made ready or delivered (its updated_at); the oldest first.
    """
    _require_national(actor)
    return list(session.scalars(
        select(Fulfilment).join(Order)
        .where(Fulfilment.status.in_(OPEN_STATUSES), Order.status.in_(WORKABLE_ORDER_STATUSES),
               Fulfilment.updated_at < before)
        .options(selectinload(Fulfilment.order), selectinload(Fulfilment.unit))
        .order_by(Fulfilment.updated_at, Fulfilment.id)
    ))
