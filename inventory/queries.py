"""Stock questions: what an order line can get now, and which products are in stock.

One definition of "free" serves the storefront, the cart and allocation: on hand, less what is held
for orders, plus holds whose expiry has passed (they are released before a sale, so they never make
a product look sold out or block one). Only active units, and records the unit still stocks, count.

The catalogue reaches these through the app (``catalogue.browse.stock_source``), because the packages
depend one way only: inventory → catalogue (DESIGN.md). ``create_app`` hands this module over.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Subquery, and_, exists, func, select
from sqlalchemy.orm import Session

from catalogue.models import Unit
from inventory.models import Reservation, StockRecord


def expired_hold(now: datetime) -> ColumnElement[bool]:
    """A reservation that still holds stock although its expiry has passed."""
    return and_(Reservation.state == "held", Reservation.expires_at < now)


def expired_holds(now: datetime) -> Subquery:
    """Per stock record, the quantity held by reservations past their expiry (stock_record_id, quantity)."""
    return (
        select(Reservation.stock_record_id, func.sum(Reservation.quantity).label("quantity"))
        .where(expired_hold(now))
        .group_by(Reservation.stock_record_id)
        .subquery("expired_holds")
    )


def free(expired: Subquery) -> ColumnElement[int]:
    """What a stock record can still give an order: on hand − held + held past expiry."""
    return StockRecord.on_hand - StockRecord.reserved + func.coalesce(expired.c.quantity, 0)


def totals(session: Session, ids: list[int], *, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """Return {product_id: (available, low-stock threshold)} as an order line can get it.

    An order line is filled by one unit (see inventory.allocation), so "available" is the most that
    one active unit has free, not the sum over units.
    """
    return {pid: (available, threshold) for pid, (available, threshold, _) in shown(session, ids, now=now).items()}


def shown(session: Session, ids: list[int], *, now: datetime | None = None) -> dict[int, tuple[int, int, datetime | None]]:
    """Return {product_id: (available, low-stock threshold, next change)} for pages that show availability.

    "Next change" is when the first hold on the product's stock still in force expires: from then on more is
    free, though nothing was written. A page showing the product is kept no longer than that.
    """
    now = now or datetime.now(UTC)
    holds = (
        select(Reservation.stock_record_id,
               func.sum(Reservation.quantity).filter(Reservation.expires_at < now).label("quantity"),
               func.min(Reservation.expires_at).filter(Reservation.expires_at >= now).label("next_expiry"))
        .where(Reservation.state == "held")
        .group_by(Reservation.stock_record_id)
        .subquery("holds")
    )
    rows = session.execute(
        select(StockRecord.product_id, func.max(free(holds)), func.max(StockRecord.low_stock_threshold),
               func.min(holds.c.next_expiry))
        .join(Unit, Unit.id == StockRecord.unit_id)
        .outerjoin(holds, holds.c.stock_record_id == StockRecord.id)
        .where(StockRecord.product_id.in_(ids), Unit.active.is_(True), StockRecord.active.is_(True))
        .group_by(StockRecord.product_id)
    )
    return {pid: (max(0, int(available or 0)), int(threshold or 0), _aware(next_change))
            for pid, available, threshold, next_change in rows}


def next_hold_expiry(session: Session, *, now: datetime | None = None) -> datetime | None:
    """When the first hold still in force expires, anywhere (what a list filtered on stock depends on)."""
    now = now or datetime.now(UTC)
    return _aware(session.scalar(
        select(func.min(Reservation.expires_at)).where(Reservation.state == "held", Reservation.expires_at >= now)))


def _aware(moment):
    """SQLite gives timestamps back as text or naive datetimes; PostgreSQL aware ones."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def in_stock(product_id: ColumnElement[int], *, now: datetime | None = None) -> ColumnElement[bool]:
    """A condition for a product query: some active unit has some of the product free (see free())."""
    expired = expired_holds(now or datetime.now(UTC))
    return exists(
        select(StockRecord.id)
        .join(Unit, Unit.id == StockRecord.unit_id)
        .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
        .where(StockRecord.product_id == product_id, Unit.active.is_(True), StockRecord.active.is_(True),
               free(expired) > 0)
    )
