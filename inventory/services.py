"""Stock rules: every change is one conditional UPDATE plus a ledger row, never read-modify-write."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inventory.models import MOVEMENT_REASONS, StockMovement, StockRecord


class StockError(Exception):
    """Base class for stock errors."""


class OutOfStock(StockError):
    """Not enough stock is available for the change asked for."""

    def __init__(self, stock_record_id: int):
        super().__init__(f"not enough stock on record {stock_record_id}")
        self.stock_record_id = stock_record_id


class StockConflict(StockError):
    """The stock moved since the page was shown, so a counted value was not applied."""

    def __init__(self, stock_record_id: int, current: int | None):
        super().__init__(f"stock record {stock_record_id} changed; now {current}")
        self.stock_record_id = stock_record_id
        self.current = current


def ensure_stock_record(session: Session, *, product_id: int, unit_id: int, low_stock_threshold: int = 3) -> StockRecord:
    """Return the (product, unit) stock record, creating an empty one if needed."""
    record = session.scalar(
        select(StockRecord).where(StockRecord.product_id == product_id, StockRecord.unit_id == unit_id)
    )
    if record is None:
        record = StockRecord(product_id=product_id, unit_id=unit_id, on_hand=0, reserved=0, low_stock_threshold=low_stock_threshold)
        session.add(record)
        session.flush()
    return record


def adjust(
    session: Session, stock_record_id: int, delta: int, *, reason: str, now: datetime,
    actor_user_id: int | None = None, note: str = "", order_id: int | None = None,
) -> StockMovement:
    """Add delta to on_hand (never below what is reserved) and write the movement.

    Raises:
        OutOfStock: the change would leave on_hand below zero or below the reserved quantity.
        ValueError: unknown reason or a zero delta.
    """
    if reason not in MOVEMENT_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if delta == 0:
        raise ValueError("a movement must change the stock")
    stmt = (
        update(StockRecord)
        .where(StockRecord.id == stock_record_id, StockRecord.on_hand + delta >= StockRecord.reserved)
        .values(on_hand=StockRecord.on_hand + delta, confirmed_at=now, updated_at=now)
        .returning(StockRecord.on_hand)
    )
    on_hand_after = session.execute(stmt).scalar_one_or_none()
    if on_hand_after is None:
        raise OutOfStock(stock_record_id)
    return _record_movement(session, stock_record_id, delta, on_hand_after, reason, now, actor_user_id, note, order_id)


def set_counted(
    session: Session, stock_record_id: int, *, expected_on_hand: int, counted: int, now: datetime,
    actor_user_id: int | None = None, note: str = "",
) -> StockMovement | None:
    """Set on_hand to a counted value if it still equals what the staff member saw (compare-and-set).

    Returns the movement, or None when the count matched and only confirmed_at was set.

    Raises:
        StockConflict: on_hand changed since the page was shown (or counted is below reserved).
    """
    if counted < 0:
        raise ValueError("a count cannot be negative")
    stmt = (
        update(StockRecord)
        .where(
            StockRecord.id == stock_record_id,
            StockRecord.on_hand == expected_on_hand,
            StockRecord.reserved <= counted,
        )
        .values(on_hand=counted, confirmed_at=now, updated_at=now)
        .returning(StockRecord.on_hand)
    )
    if session.execute(stmt).scalar_one_or_none() is None:
        current = session.scalar(select(StockRecord.on_hand).where(StockRecord.id == stock_record_id))
        raise StockConflict(stock_record_id, current)
    delta = counted - expected_on_hand
    if delta == 0:
        return None
    return _record_movement(session, stock_record_id, delta, counted, "counted", now, actor_user_id, note, None)


def _record_movement(session, stock_record_id, delta, on_hand_after, reason, now, actor_user_id, note, order_id) -> StockMovement:
    movement = StockMovement(
        stock_record_id=stock_record_id, delta=delta, on_hand_after=on_hand_after, reason=reason,
        actor_user_id=actor_user_id, note=note, order_id=order_id, created_at=now,
    )
    session.add(movement)
    session.flush()
    return movement


def ledger_mismatches(session: Session) -> list[tuple[int, int, int]]:
    """Return (stock_record_id, on_hand, sum of movements) for every record whose ledger disagrees."""
    totals = (
        select(StockMovement.stock_record_id, func.coalesce(func.sum(StockMovement.delta), 0).label("total"))
        .group_by(StockMovement.stock_record_id)
        .subquery()
    )
    rows = session.execute(
        select(StockRecord.id, StockRecord.on_hand, func.coalesce(totals.c.total, 0))
        .outerjoin(totals, totals.c.stock_record_id == StockRecord.id)
        .where(StockRecord.on_hand != func.coalesce(totals.c.total, 0))
        .order_by(StockRecord.id)
    )
    return [tuple(r) for r in rows]
