"""Allocation: which unit's stock record fills each order line (inventory owns "who can send this")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Unit
from inventory.models import StockRecord
from inventory.queries import expired_holds, free
from inventory.services import OutOfStock


@dataclass(frozen=True)
class Wanted:
    """One line to allocate: a product, how many, and what the catalogue says about it."""

    product_id: int
    quantity: int
    kind: str  # goods or service
    owner_unit_id: int  # the listing unit: it performs services and makes goods to order
    made_to_order: bool


@dataclass(frozen=True)
class Allocation:
    """Where a line is filled from: the unit, and its stock record (None for services and made to order)."""

    product_id: int
    quantity: int
    unit_id: int
    stock_record_id: int | None
    made_to_order: bool


def allocate(session: Session, lines: list[Wanted], *, now: datetime) -> tuple[list[Allocation], set[int]]:
    """Pick the unit that fills each line: the one with the most free, ties to the lowest unit id.

    A line is filled by one unit. Goods that no unit has enough of are made to order by the listing
    unit when the product allows it. Returns the allocations, in the order of lines, and the ids of
    the chosen records that carry expired holds (they must be released before reserving).

    Raises:
        OutOfStock: a line of goods that is not made to order and no active unit has enough of.
    """
    goods_ids = [line.product_id for line in lines if line.kind == "goods"]
    candidates: dict[int, list[tuple[int, int, int, bool]]] = {}
    if goods_ids:
        expired = expired_holds(now)
        rows = session.execute(
            select(StockRecord.product_id, StockRecord.id, StockRecord.unit_id, free(expired), expired.c.quantity)
            .join(Unit, Unit.id == StockRecord.unit_id)
            .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
            .where(StockRecord.product_id.in_(goods_ids), Unit.active.is_(True), StockRecord.active.is_(True))
        )
        for product_id, record_id, unit_id, available, expired_quantity in rows:
            candidates.setdefault(product_id, []).append((available, unit_id, record_id, bool(expired_quantity)))
    allocations, expired_on = [], set()
    for line in lines:
        if line.kind == "service":
            allocations.append(Allocation(line.product_id, line.quantity, line.owner_unit_id, None, False))
            continue
        ranked = sorted(candidates.get(line.product_id, []), key=lambda c: (-c[0], c[1]))
        if ranked and ranked[0][0] >= line.quantity:
            _available, unit_id, record_id, has_expired = ranked[0]
            allocations.append(Allocation(line.product_id, line.quantity, unit_id, record_id, False))
            if has_expired:
                expired_on.add(record_id)
        elif line.made_to_order:
            allocations.append(Allocation(line.product_id, line.quantity, line.owner_unit_id, None, True))
        else:
            raise OutOfStock(ranked[0][2] if ranked else 0)
    return allocations, expired_on
