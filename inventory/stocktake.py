"""Staff stock work: counting the shelf and adding or taking away, many rows at once, each compare-and-set.

What is counted is what stands on the shelf. A paid order lowers on_hand at once, but its goods stay
on the shelf until the unit packs them, so a count means on_hand = counted − sold and not yet packed
(DESIGN.md, "Staff stock updates"). The caller passes that number as the page showed it; inventory
does not know about orders.

Every change goes through inventory.services (one conditional UPDATE plus a ledger row). Each row is
written in its own savepoint, so a conflict or an error in one row never undoes the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Product, Unit
from inventory.changes import touched
from inventory.models import Reservation, StockMovement, StockRecord
from inventory.queries import expired_holds, free
from inventory.services import OutOfStock, StockConflict, adjust, ensure_stock_record, set_counted
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record as audit
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate
from shop.core.time import aware

# The reasons staff give for adding or taking away, and which way each one goes (0: either).
STAFF_REASONS = {"produced": 1, "returned": 1, "damaged": -1, "internal_use": -1, "staff_sale": -1, "correction": 0}
MAX_CHANGE = 1_000_000  # no workshop adds or counts a million of anything in one go


@dataclass(frozen=True)
class Change:
    """One row the staff member changed: a shelf count, or an amount to add (negative: take away)."""

    record_id: int
    mode: str  # "count" or "delta"
    value: int
    shown_on_hand: int  # on_hand as the page showed it (a count is compare-and-set against it)
    not_yet_packed: int = 0  # sold and still on the shelf, as the page showed it
    reason: str | None = None  # for deltas, one of STAFF_REASONS
    note: str = ""


@dataclass(frozen=True)
class Conflict:
    """The row's stock moved between showing the page and saving it: nothing was written for it."""

    shown_on_hand: int
    on_hand_now: int
    moved_by: list[StockMovement]


@dataclass
class Outcome:
    saved: dict[int, StockMovement | None] = field(default_factory=dict)  # None: the count matched (confirmed)
    conflicts: dict[int, Conflict] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)  # record id -> reason code (see ERROR_CODES)


ERROR_CODES = ("below_packed", "below_held", "reason", "reason_sign", "zero", "too_large")


def own_records(session: Session, actor: Actor, record_ids) -> dict[int, StockRecord]:
    """The actor's unit's records among these ids.

    Raises:
        NotPermitted: a record is unknown, stopped, or another unit's.
    """
    ids = sorted(set(record_ids))
    records = {r.id: r for r in session.scalars(select(StockRecord).where(StockRecord.id.in_(ids)))} if ids else {}
    for record_id in ids:
        record = records.get(record_id)
        if record is None or not record.active:
            raise NotPermitted(f"stock record {record_id}")
        actor.require_unit(record.unit_id, f"stock record {record_id}")
    return records


def apply_changes(session: Session, actor: Actor, changes: list[Change], *, now: datetime,
                  loaded_at: datetime | None = None) -> Outcome:
    """Write each changed row (count or add/take away) in its own savepoint; report conflicts and errors per row.

    Rows go in stock-record order, the order every other stock change takes its locks in.

    Raises:
        NotPermitted: any row belongs to another unit (nothing is written).
    """
    records = own_records(session, actor, [c.record_id for c in changes])
    outcome = Outcome()
    for change in sorted(changes, key=lambda c: c.record_id):
        error = _invalid(change)
        if error:
            outcome.errors[change.record_id] = error
            continue
        try:
            with session.begin_nested():
                outcome.saved[change.record_id] = _write(session, actor, change, now=now)
        except StockConflict as conflict:
            if conflict.current == change.shown_on_hand:  # unchanged: the count is below what is held
                outcome.errors[change.record_id] = "below_held"
            else:
                outcome.conflicts[change.record_id] = Conflict(
                    change.shown_on_hand, conflict.current or 0,
                    _moves_since(session, change.record_id, loaded_at))
        except OutOfStock:
            outcome.errors[change.record_id] = "below_held"
    if outcome.saved:
        unit_id = records[next(iter(outcome.saved))].unit_id
        audit(session, actor.user_id, "stock.update", "unit", unit_id, f"{len(outcome.saved)} rows", unit_id=unit_id,
              now=now)
    return outcome


def _invalid(change: Change) -> str | None:
    if abs(change.value) > MAX_CHANGE:
        return "too_large"
    if change.mode == "count":
        return "below_packed" if change.value < change.not_yet_packed else None
    if change.value == 0:
        return "zero"
    sign = STAFF_REASONS.get(change.reason or "")
    if sign is None:
        return "reason"
    if sign and (change.value > 0) != (sign > 0):
        return "reason_sign"
    return None


def _write(session: Session, actor: Actor, change: Change, *, now: datetime) -> StockMovement | None:
    if change.mode == "count":
        return set_counted(session, change.record_id, expected_on_hand=change.shown_on_hand,
                           counted=change.value - change.not_yet_packed, now=now, actor_user_id=actor.user_id,
                           note=change.note)
    return adjust(session, change.record_id, change.value, reason=change.reason, now=now,
                  actor_user_id=actor.user_id, note=change.note)


def _moves_since(session: Session, record_id: int, since: datetime | None) -> list[StockMovement]:
    stmt = select(StockMovement).where(StockMovement.stock_record_id == record_id)
    if since is not None:
        stmt = stmt.where(StockMovement.created_at > since)
    return list(session.scalars(stmt.order_by(StockMovement.id.desc()).limit(5)))


def confirm_all(session: Session, actor: Actor, record_ids, *, now: datetime) -> int:
    """ "Alt stemmer": note that these records were checked and are right (confirmed_at, no movement).

    Raises:
        NotPermitted: a record is another unit's.
    """
    records = own_records(session, actor, record_ids)
    if not records:
        return 0
    session.execute(update(StockRecord).where(StockRecord.id.in_(list(records))).values(confirmed_at=now))
    return len(records)


def set_threshold(session: Session, actor: Actor, record_id: int, threshold: int) -> None:
    """Set the low-stock threshold of one of the unit's records.

    Raises:
        NotPermitted: the record is another unit's.
        ValueError: a negative threshold.
    """
    if not 0 <= threshold <= MAX_CHANGE:
        raise ValueError("the threshold must be 0 or more")
    own_records(session, actor, [record_id])
    session.execute(update(StockRecord).where(StockRecord.id == record_id).values(low_stock_threshold=threshold))
    touched(session, [record_id])  # "few left" depends on it


class CannotStop(Exception):
    """The record still has goods held for unpaid orders, or sold and waiting to be packed."""


def start_stocking(session: Session, actor: Actor, product_id: int, *, now: datetime,
                   low_stock_threshold: int = 3) -> StockRecord:
    """Start keeping stock of a product at the actor's unit (a national design made in several workshops).

    Raises:
        NotPermitted: the actor is not staff of a unit, or the product is not goods for sale.
    """
    if actor.unit_id is None:
        raise NotPermitted("only staff of a unit keep stock")
    product = session.get(Product, product_id)
    if product is None or product.kind != "goods" or product.status not in ("published", "draft", "submitted") \
            or (product.status != "published" and product.unit_id != actor.unit_id):
        raise NotPermitted(f"product {product_id}")
    record = ensure_stock_record(session, product_id=product_id, unit_id=actor.unit_id,
                                 low_stock_threshold=low_stock_threshold)
    record.active = True
    audit(session, actor.user_id, "stock.start", "stock_record", record.id, product.sku, unit_id=actor.unit_id,
          now=now)
    session.flush()
    return record


def stop_stocking(session: Session, actor: Actor, record_id: int, *, not_yet_packed: int, now: datetime) -> None:
    """Stop keeping stock of a product: what is left is written off as a correction, and the record offers nothing.

    Raises:
        NotPermitted: the record is another unit's.
        CannotStop: goods are held for unpaid orders, or sold and waiting to be packed.
    """
    record = own_records(session, actor, [record_id])[record_id]
    if record.reserved or not_yet_packed:
        raise CannotStop(record_id)
    if record.on_hand:
        adjust(session, record_id, -record.on_hand, reason="correction", now=now, actor_user_id=actor.user_id,
               note="Sluttet å føre lager")
    # The conditional UPDATE keeps a hold that came in meanwhile from being stranded on a stopped record.
    if session.execute(update(StockRecord).where(StockRecord.id == record_id, StockRecord.reserved == 0)
                       .values(active=False, updated_at=now)).rowcount != 1:
        raise CannotStop(record_id)
    touched(session, [record_id])
    audit(session, actor.user_id, "stock.stop", "stock_record", record_id, unit_id=record.unit_id, now=now)


@dataclass(frozen=True)
class StockRow:
    """One record on the unit's stock page."""

    record_id: int
    product_id: int
    title: str
    sku: str
    owner_unit_id: int
    on_hand: int
    held: int  # held for unpaid orders (and not expired)
    available: int
    low_stock_threshold: int
    confirmed_at: datetime | None

    @property
    def low(self) -> bool:
        return self.available <= self.low_stock_threshold

    def stale(self, before: datetime) -> bool:
        """Not counted or confirmed since this time."""
        return self.confirmed_at is None or aware(self.confirmed_at) < before


def stock_rows(session: Session, unit_id: int, *, now: datetime, low_only: bool = False) -> list[StockRow]:
    """Every record the unit stocks, by title: on hand, held, available, threshold and last confirmation (one query)."""
    expired = expired_holds(now)
    available = free(expired)
    stmt = (
        select(StockRecord.id, StockRecord.product_id, Product.title, Product.sku, Product.unit_id,
               StockRecord.on_hand, StockRecord.reserved - func.coalesce(expired.c.quantity, 0), available,
               StockRecord.low_stock_threshold, StockRecord.confirmed_at)
        .join(Product, Product.id == StockRecord.product_id)
        .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
        .where(StockRecord.unit_id == unit_id, StockRecord.active.is_(True), Product.status != "archived")
        .order_by(Product.title, StockRecord.id)
    )
    if low_only:
        stmt = stmt.where(available <= StockRecord.low_stock_threshold)
    return [StockRow(*row) for row in session.execute(stmt)]


def stale_count(session: Session, unit_id: int, *, before: datetime) -> int:
    """How many of the unit's records were last confirmed before this time (or never)."""
    return session.scalar(
        select(func.count()).select_from(StockRecord)
        .where(StockRecord.unit_id == unit_id, StockRecord.active.is_(True),
               (StockRecord.confirmed_at.is_(None)) | (StockRecord.confirmed_at < before))
    ) or 0


@dataclass(frozen=True)
class StaleUnit:
    unit_id: int
    name: str
    last_confirmed: datetime | None  # the newest confirmation of any of its records; None: never
    stale_records: int


def stale_units(session: Session, *, before: datetime) -> list[StaleUnit]:
    """Active units that keep stock and have confirmed none of it since this time, the longest silent first.

    A unit's last confirmation is the newest count or "Alt stemmer" of any of its records; the national
    shop's stock status is only as current as that (one query).
    """
    stale = (StockRecord.confirmed_at.is_(None)) | (StockRecord.confirmed_at < before)
    last = func.max(StockRecord.confirmed_at)
    rows = session.execute(
        select(Unit.id, Unit.name, last, func.count().filter(stale))
        .join(StockRecord, StockRecord.unit_id == Unit.id)
        .where(Unit.active.is_(True), StockRecord.active.is_(True))
        .group_by(Unit.id, Unit.name)
        .having(last.is_(None) | (last < before))
    ).all()
    units = [StaleUnit(unit_id, name, aware(last) if last else None, count) for unit_id, name, last, count in rows]
    return sorted(units, key=lambda u: (u.last_confirmed is not None, u.last_confirmed or before, u.name))


def not_stocked(session: Session, unit_id: int, *, query: str = "", limit: int = 20) -> list[Product]:
    """Published goods the unit does not stock yet (to start stocking a national design), matching query."""
    stocked = select(StockRecord.product_id).where(StockRecord.unit_id == unit_id, StockRecord.active.is_(True))
    stmt = (select(Product).join(Unit, Unit.id == Product.unit_id)
            .where(Product.kind == "goods", Product.status == "published", Product.id.not_in(stocked)))
    if query := query.strip():
        pattern = like_pattern(query)
        stmt = stmt.where(func.lower(Product.title).like(pattern, escape=LIKE_ESCAPE)
                          | func.lower(Product.sku).like(pattern, escape=LIKE_ESCAPE))
    return list(session.scalars(stmt.order_by(Product.title).limit(limit)))


def history(session: Session, actor: Actor, record_id: int, *, reasons: tuple[str, ...] = (),
            since: datetime | None = None, until: datetime | None = None, page: int = 1, per_page: int = 50) -> Page:
    """The ledger of one of the unit's records, newest first, filtered by reason and time.

    Raises:
        NotPermitted: the record is another unit's.
        PageOutOfRange: the page is past the end.
    """
    record = session.get(StockRecord, record_id)
    if record is None:
        raise NotPermitted(f"stock record {record_id}")
    actor.require_unit(record.unit_id, f"stock record {record_id}")
    stmt = select(StockMovement).where(StockMovement.stock_record_id == record_id)
    if reasons:
        stmt = stmt.where(StockMovement.reason.in_(reasons))
    if since is not None:
        stmt = stmt.where(StockMovement.created_at >= since)
    if until is not None:
        stmt = stmt.where(StockMovement.created_at < until)
    stmt = stmt.options(selectinload(StockMovement.actor), selectinload(StockMovement.order))
    return paginate(session, stmt.order_by(StockMovement.id.desc()), page=page, per_page=per_page)


def reservation_mismatches(session: Session) -> list[tuple[int, int, int]]:
    """(stock_record_id, reserved, sum of held reservations) for every record where the two disagree."""
    held = (
        select(Reservation.stock_record_id, func.sum(Reservation.quantity).label("quantity"))
        .where(Reservation.state == "held").group_by(Reservation.stock_record_id).subquery()
    )
    rows = session.execute(
        select(StockRecord.id, StockRecord.reserved, func.coalesce(held.c.quantity, 0))
        .outerjoin(held, held.c.stock_record_id == StockRecord.id)
        .where(StockRecord.reserved != func.coalesce(held.c.quantity, 0))
        .order_by(StockRecord.id)
    )
    return [tuple(r) for r in rows]
