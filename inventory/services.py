"""Stock rules: every change is one conditional UPDATE plus a ledger row, never read-modify-write."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Integer, column, func, insert, select, text, update
from sqlalchemy.orm import Session

from inventory.changes import touched
from inventory.models import MOVEMENT_REASONS, Reservation, StockMovement, StockRecord
from inventory.queries import expired_hold


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
    touched(session, [stock_record_id])
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
    touched(session, [stock_record_id])
    delta = counted - expected_on_hand
    if delta == 0:
        return None
    return _record_movement(session, stock_record_id, delta, counted, "counted", now, actor_user_id, note, None)


def reserve(
    session: Session, lines: list[tuple[int, int, int]], *, expires_at: datetime, now: datetime,
    release_expired_on: set[int] = frozenset(),
) -> list[Reservation]:
    """Hold stock for (order_line_id, stock_record_id, quantity) lines until committed or released.

    Records are taken in ascending stock_record_id order, so that concurrent orders take the row
    locks in the same order and cannot deadlock. Expired holds on the records named in
    release_expired_on are released first (in the same order): they never block a sale.

    Raises:
        OutOfStock: a record has fewer than the quantity available (on_hand − reserved).
    """
    reservations = []
    for order_line_id, stock_record_id, quantity in sorted(lines, key=lambda line: line[1]):
        if stock_record_id in release_expired_on:
            release(session, now=now, expired_only=True, stock_record_id=stock_record_id)
        stmt = (
            update(StockRecord)
            .where(StockRecord.id == stock_record_id, StockRecord.on_hand - StockRecord.reserved >= quantity)
            .values(reserved=StockRecord.reserved + quantity)
        )
        if session.execute(stmt).rowcount != 1:
            raise OutOfStock(stock_record_id)
        touched(session, [stock_record_id])
        reservations.append(Reservation(
            order_line_id=order_line_id, stock_record_id=stock_record_id, quantity=quantity, expires_at=expires_at
        ))
    session.add_all(reservations)
    session.flush()  # one multi-row INSERT for all of the order's holds
    return reservations


def release(session: Session, *, now: datetime, reservation_ids: list[int] | None = None,
            expired_only: bool = False, stock_record_id: int | None = None) -> int:
    """Release held reservations (these ids, or every expired one) and give their stock back.

    Each reservation is claimed with a conditional UPDATE (state held → released), so two machines
    running this at once never release the same hold twice. Records are done one at a time in
    ascending id (claim its holds, then update it), the order place_order and commit take their
    locks in, so a release running beside them cannot deadlock. Returns how many were released.
    """
    where = [Reservation.state == "held"]
    if reservation_ids is not None:
        if not reservation_ids:
            return 0
        where.append(Reservation.id.in_(reservation_ids))
    if expired_only:
        where.append(expired_hold(now))
    if stock_record_id is not None:
        where.append(Reservation.stock_record_id == stock_record_id)
    record_ids = sorted(set(session.scalars(select(Reservation.stock_record_id).where(*where))))
    released = 0
    for record_id in record_ids:
        quantities = session.scalars(
            update(Reservation).where(*where, Reservation.stock_record_id == record_id)
            .values(state="released", updated_at=now).returning(Reservation.quantity)
        ).all()
        if quantities:
            session.execute(
                update(StockRecord).where(StockRecord.id == record_id)
                .values(reserved=StockRecord.reserved - sum(quantities), updated_at=now)
            )
            touched(session, [record_id])
        released += len(quantities)
    return released


def commit(
    session: Session, lines: list[tuple[int, int, int]], *, order_id: int, now: datetime,
    actor_user_id: int | None = None,
) -> list[int]:
    """Turn the reservations of these (order_line_id, stock_record_id, quantity) lines into sales.

    A held reservation is committed (on_hand and reserved both drop, plus a "sold" movement). A line
    whose hold was released meanwhile (expired, or a failed payment) takes the stock again if it is
    still available. Returns the order_line_ids that could not be covered.
    """
    uncovered = []
    for order_line_id, stock_record_id, quantity in sorted(lines, key=lambda line: line[1]):
        state = session.scalar(select(Reservation.state).where(Reservation.order_line_id == order_line_id))
        if state == "committed":
            continue  # already done by an earlier delivery of the same payment
        claimed = session.execute(
            update(Reservation)
            .where(Reservation.order_line_id == order_line_id, Reservation.state == "held")
            .values(state="committed", updated_at=now)
        ).rowcount
        condition = StockRecord.reserved >= quantity if claimed else StockRecord.on_hand - StockRecord.reserved >= quantity
        values = {"on_hand": StockRecord.on_hand - quantity, "updated_at": now}
        if claimed:
            values["reserved"] = StockRecord.reserved - quantity
        on_hand_after = session.execute(
            update(StockRecord).where(StockRecord.id == stock_record_id, condition).values(**values)
            .returning(StockRecord.on_hand)
        ).scalar_one_or_none()
        if on_hand_after is None:
            uncovered.append(order_line_id)
            continue
        touched(session, [stock_record_id])
        if not claimed:
            session.execute(
                update(Reservation).where(Reservation.order_line_id == order_line_id)
                .values(state="committed", updated_at=now)
            )
        _record_movement(session, stock_record_id, -quantity, on_hand_after, "sold", now, actor_user_id, "", order_id)
    return uncovered


def return_committed(
    session: Session, lines: list[tuple[int, int, int]], *, order_id: int, now: datetime,
    actor_user_id: int | None = None, note: str = "",
) -> int:
    """Put the stock of committed lines back on the shelf (an order cancelled after payment)."""
    returned = 0
    for order_line_id, stock_record_id, quantity in sorted(lines, key=lambda line: line[1]):
        claimed = session.execute(
            update(Reservation)
            .where(Reservation.order_line_id == order_line_id, Reservation.state == "committed")
            .values(state="released", updated_at=now)
        ).rowcount
        if not claimed:
            continue
        on_hand_after = session.execute(
            update(StockRecord).where(StockRecord.id == stock_record_id)
            .values(on_hand=StockRecord.on_hand + quantity, updated_at=now).returning(StockRecord.on_hand)
        ).scalar_one()
        touched(session, [stock_record_id])
        _record_movement(session, stock_record_id, quantity, on_hand_after, "returned", now, actor_user_id, note, order_id)
        returned += 1
    return returned


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



# Many records at once (a CSV import): set-based, so 10 000 rows take two statements, not 20 000.

# The rows arrive as one JSON parameter, read as a table of (id, expected, new) by each database's own
# JSON functions: one bound value however many rows (no limit on parameters, nothing to compile per row).
_GIVEN = {
    "postgresql": "SELECT (r->>0)::int AS id, (r->>1)::int AS expected, (r->>2)::int AS new"
                  " FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r",
    "sqlite": "SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS expected,"
              " json_extract(value, '$[2]') AS new FROM json_each(:rows)",
}


def set_many(
    session: Session, changes: list[tuple[int, int, int]], *, reason: str, now: datetime,
    actor_user_id: int | None = None, note: str = "",
) -> list[int]:
    """Compare-and-set many records: (stock_record_id, expected_on_hand, new_on_hand) each, one ledger row per change.

    The same rule as set_counted, for a whole file at once: one conditional UPDATE … FROM … RETURNING
    sets on_hand where it still equals the expected value and stays at or above what is reserved (and
    confirms the record), and one multi-row INSERT writes the movements with the reason given.

    Returns the ids of the records that did not match (moved since, or below what is held), in order. The
    matching ones are written all the same: the caller decides whether to roll the whole batch back.

    Raises:
        ValueError: unknown reason, a negative new value, or a record named twice.
    """
    if reason not in MOVEMENT_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if any(new < 0 for _, _, new in changes):
        raise ValueError("on hand cannot be negative")
    if len({record_id for record_id, _, _ in changes}) != len(changes):
        raise ValueError("a record is named twice")
    if not changes:
        return []
    ordered = sorted((int(r), int(e), int(n)) for r, e, n in changes)
    table = StockRecord.__table__
    wanted = (
        text(_GIVEN[session.get_bind().dialect.name]).bindparams(rows=json.dumps(ordered))
        .columns(column("id", Integer), column("expected", Integer), column("new", Integer)).subquery("wanted")
    )
    stmt = (
        update(table)
        .where(table.c.id == wanted.c.id, table.c.on_hand == wanted.c.expected, table.c.reserved <= wanted.c.new)
        .values(on_hand=wanted.c.new, confirmed_at=now, updated_at=now)
        .returning(table.c.id)
    )
    written = set(session.scalars(stmt))
    touched(session, written)
    movements = [
        {"stock_record_id": record_id, "delta": new - expected, "on_hand_after": new, "reason": reason,
         "actor_user_id": actor_user_id, "note": note, "order_id": None, "created_at": now}
        for record_id, expected, new in ordered if record_id in written and new != expected
    ]
    if movements:
        session.execute(insert(StockMovement.__table__), movements)
    return [record_id for record_id, _, _ in ordered if record_id not in written]
