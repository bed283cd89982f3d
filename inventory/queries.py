"""Stock questions the storefront asks: what an order line can get now, and which products are in stock.

The catalogue reaches these through the app (``catalogue.browse.stock_source``), because the packages
depend one way only: inventory → catalogue (DESIGN.md). ``create_app`` hands this module over.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from catalogue.models import Unit
from inventory.models import Reservation, StockRecord


def totals(session: Session, ids: list[int], *, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """Return {product_id: (available, low-stock threshold)} as an order line can get it.

    An order line is filled by one unit (see shop.orders), so "available" is the most that one
    active unit has free, not the sum over units. Holds past their expiry count as free: they are
    released before a sale, so they never make a product look sold out.
    """
    now = now or datetime.now(UTC)
    expired = (
        select(Reservation.stock_record_id, func.sum(Reservation.quantity).label("quantity"))
        .where(Reservation.state == "held", Reservation.expires_at < now)
        .group_by(Reservation.stock_record_id)
        .subquery()
    )
    free = StockRecord.on_hand - StockRecord.reserved + func.coalesce(expired.c.quantity, 0)
    rows = session.execute(
        select(StockRecord.product_id, func.max(free), func.max(StockRecord.low_stock_threshold))
        .join(Unit, Unit.id == StockRecord.unit_id)
        .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
        .where(StockRecord.product_id.in_(ids), Unit.active.is_(True))
        .group_by(StockRecord.product_id)
    )
    return {pid: (max(0, int(available or 0)), int(threshold or 0)) for pid, available, threshold in rows}


def in_stock(product_id: ColumnElement[int]) -> ColumnElement[bool]:
    """A condition for a product query: some active unit has the product on hand and not held."""
    return exists().where(
        StockRecord.product_id == product_id,
        StockRecord.on_hand - StockRecord.reserved > 0,
        StockRecord.unit_id == Unit.id,
        Unit.active.is_(True),
    )
