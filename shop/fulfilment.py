"""Fulfilment: each unit packs and sends (or hands over) its own part of an order, and only its own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.accounts import NotPermitted
from shop.models import Fulfilment, Order
from shop.orders import audit

FULFILMENT_FLOW: dict[str, set[str]] = {
    "pending": {"packed"},
    "packed": {"shipped", "ready_for_pickup", "pending"},
    "shipped": {"delivered"},
    "ready_for_pickup": {"delivered"},
    "delivered": set(),
    "cancelled": set(),
}
# Orders whose goods may be packed: paid, or confirmed for invoicing.
WORKABLE_ORDER_STATUSES = ("paid", "awaiting_invoice", "invoiced", "completed")


class InvalidFulfilmentStep(Exception):
    """The fulfilment cannot move from its status to the one asked for."""


@dataclass(frozen=True)
class Actor:
    """Who acts: staff act for their unit; coordinators and admins for every unit."""

    user_id: int
    role: str
    unit_id: int | None

    def may_handle(self, unit_id: int) -> bool:
        return self.role in ("coordinator", "admin") or (self.role == "staff" and self.unit_id == unit_id)


def queue(session: Session, actor: Actor, *, open_only: bool = True) -> list[Fulfilment]:
    """Return the fulfilments of the actor's unit that belong to confirmed orders, oldest first."""
    if actor.unit_id is None:
        raise NotPermitted("only staff of a unit have a fulfilment queue")
    stmt = (
        select(Fulfilment).join(Order)
        .where(Fulfilment.unit_id == actor.unit_id, Order.status.in_(WORKABLE_ORDER_STATUSES))
        .options(selectinload(Fulfilment.lines), selectinload(Fulfilment.order))
        .order_by(Order.created_at, Fulfilment.id)
    )
    if open_only:
        stmt = stmt.where(Fulfilment.status.not_in(("delivered", "cancelled")))
    return list(session.scalars(stmt))


def advance(session: Session, actor: Actor, fulfilment_id: int, target: str, *, now: datetime,
            tracking_number: str = "") -> Fulfilment:
    """Move a fulfilment one step along FULFILMENT_FLOW; the same step twice is harmless.

    Raises:
        NotPermitted: the fulfilment belongs to another unit (or its order is not confirmed).
        InvalidFulfilmentStep: the flow does not allow that move.
    """
    fulfilment = session.scalar(
        select(Fulfilment).where(Fulfilment.id == fulfilment_id).with_for_update().options(selectinload(Fulfilment.order))
    )
    if fulfilment is None or not actor.may_handle(fulfilment.unit_id):
        raise NotPermitted(f"fulfilment {fulfilment_id}")
    if fulfilment.order.status not in WORKABLE_ORDER_STATUSES:
        raise NotPermitted(f"order {fulfilment.order_id} is not confirmed")
    if fulfilment.status == target:
        return fulfilment
    if target not in FULFILMENT_FLOW[fulfilment.status]:
        raise InvalidFulfilmentStep(f"{fulfilment.status} → {target}")
    if target == "shipped":
        fulfilment.tracking_number = tracking_number.strip()[:100]
    fulfilment.status = target
    fulfilment.updated_at = now
    audit(session, actor.user_id, f"fulfilment.{target}", "fulfilment", fulfilment.id)
    return fulfilment
