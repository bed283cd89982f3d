"""What was sold, as facts the coordinator's reports add up: the definition of a sale, the period a report covers,
and each month's sales read either from the orders themselves or from a summary of the month kept in the database.

A report over twelve months would otherwise read every order line of the year. So each calendar month (Europe/Oslo)
that has ended is summarized once, the first time a report needs it: its sold lines per unit, payment method, kind
and VAT rate, its orders, and its sales per product (shop.orders.models.SalesMonth*). A summary is used only while it
is up to date, which the month's version tells: every change to an order of a month that has ended (a refund, a
cancellation, an invoice completed) raises the month's version in the same transaction, through the session hook
below, so the summary of that month is made again before it is used. The month a report is in the middle of, and
the first and last month of a period that begins or ends inside a month, are always read from the orders.

What the hook sees: orders placed, deleted, or changed in their status, refunded amount or date through the ORM
(every service in shop.orders does that), a product that changes kind (goods or service) and a unit that moves
region, both of which raise every month, since summaries are sorted by them. An order's lines and parts are never
changed after it is placed. Code that changes orders with a bulk UPDATE must call changed() itself (the only one,
expire_unpaid, moves unpaid orders, which are no sales either way).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from catalogue.models import Product, Unit
from shop.core.time import OSLO, aware, utcnow
from shop.orders.models import (
    Fulfilment,
    Order,
    OrderLine,
    SalesMonth,
    SalesMonthLines,
    SalesMonthOrders,
    SalesMonthProducts,
)

# The statuses of an order that is a sale: paid by card, or placed on invoice (awaiting invoicing or invoiced),
# and those that went on to be completed. See sale().
SALE_STATUSES = ("paid", "awaiting_invoice", "invoiced", "completed")
# A report covers at most this many months (five years and a bit): the month grouping has a CASE branch each.
MAX_MONTHS = 61
_VAT_DENOMINATOR = 10000  # rates are in basis points: 2500 is 25 %
# A month is summarized only this long after it ended, and a change to its orders raises its version from half this
# long after: a transaction that changed an order in the month's last minutes has long committed when the summary
# is made (and the month a shop is busy with never takes a lock for its version).
SUMMARY_GRACE = timedelta(hours=1)


def sale() -> ColumnElement[bool]:
    """The one definition of a sale, used by every report (and said on the report pages).

    A sale is an order that is confirmed: paid by card ("paid"), or placed on invoice ("awaiting_invoice",
    "invoiced"), including those since completed. Orders awaiting card payment, expired, cancelled or
    refunded in full (status "refunded") are not sales. A partial refund reduces the sale: a refund is made
    on the order, not on a line, so every line keeps its share of what was not refunded (line total ×
    (order total − refunded) ÷ order total, rounded down to whole øre), shipping included in the order
    total. Amounts are the lines' prices including MVA; the MVA of a line is computed from its kept amount
    at its own rate, as at checkout (shop.core.money.vat_included). Shipping is not a sale of goods or
    services and is left out. The date of a sale is when the order was placed, in Europe/Oslo.
    """
    return _Unindexed(Order.status).in_(SALE_STATUSES)


class _Unindexed(FunctionElement):
    """A column that no index may serve, on SQLite: written +column there, the column itself elsewhere.

    On SQLite a condition on the status or on a long range of dates that an index can serve makes the planner
    read the orders through that index (ix_order_status_expires, ix_order_created_at), a random row lookup per
    order, several times slower than scanning the lines and fetching each order by its key. PostgreSQL needs the
    bare column, for its row estimates.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_Unindexed)
def _bare_column(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(_Unindexed, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.clauses.clauses[0], **kw)  # SQLite's way to keep an index out of a term


def _gross() -> ColumnElement[int]:
    """A line's total including MVA, before refunds (BIGINT: the products below overflow PostgreSQL's integer)."""
    return cast(OrderLine.unit_price_ore, BigInteger) * OrderLine.quantity


def _kept(amount: ColumnElement[int]) -> ColumnElement[int]:
    """The part of an amount of the order that was not refunded (rounded down to whole øre)."""
    return case((Order.refunded_ore == 0, amount),
                else_=amount * (Order.total_ore - Order.refunded_ore) // Order.total_ore)


def _vat(amount: ColumnElement[int], rate_bp) -> ColumnElement[int]:
    """The MVA an amount including MVA contains, rounded half up to whole øre (as shop.core.money.vat_included)."""
    return (amount * rate_bp * 2 + (_VAT_DENOMINATOR + rate_bp)) // (2 * (_VAT_DENOMINATOR + rate_bp))


def _service() -> ColumnElement[bool]:
    """The line is a service (the product's kind). An IN over the few service ids rather than a join of
    every line with its product, which on SQLite costs a random lookup per line."""
    return OrderLine.product_id.in_(select(Product.id).where(Product.kind == "service").scalar_subquery())


def _invoice() -> ColumnElement[int]:
    return case((Order.payment_method == "invoice", 1), else_=0)


# The period a report covers.

@dataclass(frozen=True)
class Month:
    """One calendar month of a report, cut to the report's period."""

    index: int
    first: date  # the first day of the month (whether or not the period starts later)
    start_utc: datetime  # where this month's part of the period begins and ends, in UTC
    end_utc: datetime

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def whole(self) -> bool:
        """The period covers the whole month."""
        return self.start_utc == _oslo_midnight(self.first) and self.end_utc == month_end(self.first)


class InvalidPeriod(ValueError):
    """A period that ends before it starts, or is longer than MAX_MONTHS."""


@dataclass(frozen=True)
class Period:
    """From one Oslo calendar day to another, both included."""

    first: date
    last: date

    def __post_init__(self):
        if self.last < self.first:
            raise InvalidPeriod("the period ends before it starts")
        if len(self.month_starts()) > MAX_MONTHS:
            raise InvalidPeriod(f"at most {MAX_MONTHS} months")

    @classmethod
    def last_twelve_months(cls, today: date) -> Period:
        """This month and the eleven before it, up to and including today."""
        return cls.last_months(today, 12)

    @classmethod
    def last_months(cls, today: date, months: int) -> Period:
        """This month and the months - 1 before it, up to and including today."""
        year, month = divmod(today.year * 12 + today.month - months, 12)
        return cls(date(year, month + 1, 1), today)

    @property
    def start_utc(self) -> datetime:
        return _oslo_midnight(self.first)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period (midnight in Oslo after its last day), in UTC."""
        return _oslo_midnight(self.last + timedelta(days=1))

    def month_starts(self) -> list[date]:
        firsts, month = [], self.first.replace(day=1)
        while month <= self.last:
            firsts.append(month)
            month = _next_month(month)
        return firsts

    def months(self) -> list[Month]:
        firsts = self.month_starts()
        return [Month(index=n, first=first, start_utc=max(self.start_utc, _oslo_midnight(first)),
                      end_utc=min(self.end_utc, month_end(first)))
                for n, first in enumerate(firsts)]

    def contains(self) -> ColumnElement[bool]:
        """The order was placed within the period."""
        return and_(Order.created_at >= self.start_utc, Order.created_at < self.end_utc)


# Up to this many days of orders are found through the index on their date; more are read by scanning (on SQLite:
# see _Unindexed).
_INDEXED_DAYS = timedelta(days=31)


def _within(months: Sequence[Month]) -> ColumnElement[bool]:
    """The order was placed within one of these months (parts of months), which follow each other in time."""
    span = sum((m.end_utc - m.start_utc for m in months), timedelta())
    placed = Order.created_at if span <= _INDEXED_DAYS else _Unindexed(Order.created_at)
    if all(a.end_utc == b.start_utc for a, b in pairwise(months)):
        return and_(placed >= months[0].start_utc, placed < months[-1].end_utc)
    return or_(*(and_(placed >= m.start_utc, placed < m.end_utc) for m in months))


def _month_index(column, months: Sequence[Month]) -> ColumnElement[int]:
    """The index of the month a timestamp within these months falls in: a CASE that halves the months at each step,
    about log2(n) comparisons per row instead of n/2 (SQL, the same on both databases: the month boundaries are
    computed here, in Europe/Oslo, and compared in UTC)."""
    if len(months) == 1:
        return literal_column(str(months[0].index))
    middle = len(months) // 2
    return case((column < months[middle].start_utc, _month_index(column, months[:middle])),
                else_=_month_index(column, months[middle:]))


def _oslo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=OSLO).astimezone(UTC)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_end(first: date) -> datetime:
    """The first instant after the Oslo month that begins on first, in UTC."""
    return _oslo_midnight(_next_month(first))


def month_of(when: datetime) -> date:
    """The first day of the Oslo month an instant falls in."""
    return aware(when).astimezone(OSLO).date().replace(day=1)


# The facts a report adds up, for the months of its period: from the summaries where they are up to date, the rest
# from the orders.

@dataclass(frozen=True)
class LineFact:
    """Sold order lines of one month, unit, payment method, kind and VAT rate."""

    month: int  # the month's index in the period
    unit_id: int
    invoice: bool
    service: bool
    vat_rate_bp: int
    items: int
    gross_ore: int
    vat_ore: int


@dataclass(frozen=True)
class OrderFact:
    """Sales of one month and payment method counted as orders: the orders themselves (unit_id None), or per unit the
    orders it has a part of, and how many of those are the order's first part in the unit's region (by unit id)."""

    month: int
    unit_id: int | None
    invoice: bool
    orders: int
    first_in_region: int = 0


@dataclass(frozen=True)
class Plan:
    """Which months of a period come from their summaries, and which are read from the orders."""

    summarized: list[Month]
    live: list[Month]


def plan(session: Session, period: Period) -> Plan:
    """One statement: the months of the period with an up-to-date summary."""
    months = period.months()
    current = _up_to_date(session, [m.first for m in months if m.whole])
    return Plan(summarized=[m for m in months if m.first in current], live=[m for m in months if m.first not in current])


def _up_to_date(session: Session, firsts: list[date]) -> set[date]:
    """Those of these months whose summary was made from their orders as they are."""
    if not firsts:
        return set()
    return set(session.scalars(select(SalesMonth.month).where(
        SalesMonth.month.in_(firsts), SalesMonth.summarized_version == SalesMonth.version)))


def _summarized(session: Session, plan: Plan, fact, table, *columns) -> list:
    """The facts of the plan's summarized months, from their summary table: one statement (none if there are none)."""
    if not plan.summarized:
        return []
    index = {m.first: m.index for m in plan.summarized}
    return [fact(index[month], *rest) for month, *rest in session.execute(
        select(table.month, *columns).where(table.month.in_(index)))]


def line_facts(session: Session, plan: Plan) -> list[LineFact]:
    """At most two statements."""
    s = SalesMonthLines
    facts = _summarized(session, plan, LineFact, s, s.unit_id, s.invoice, s.service, s.vat_rate_bp, s.items,
                        s.gross_ore, s.vat_ore)
    return facts + (_live_lines(session, plan.live) if plan.live else [])


def order_facts(session: Session, plan: Plan) -> list[OrderFact]:
    """At most two statements."""
    s = SalesMonthOrders
    facts = _summarized(session, plan, OrderFact, s, s.unit_id, s.invoice, s.orders, s.first_in_region)
    return facts + (_live_orders(session, plan.live) if plan.live else [])


def product_sales(plan: Plan) -> Select:
    """A query of sales per product over the plan's months: product_id, lines, items, gross and vat."""
    parts = []
    if plan.summarized:
        s = SalesMonthProducts
        parts.append(select(s.product_id.label("product_id"), s.lines.label("lines"), s.items.label("quantity"),
                            s.gross_ore.label("gross"), s.vat_ore.label("vat"))
                     .where(s.month.in_([m.first for m in plan.summarized])))
    if plan.live:
        parts.append(_live_products(plan.live))
    if not plan.summarized:
        return parts[0]  # grouped by product already
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()  # a product has a row per month
    return (select(rows.c.product_id, func.sum(rows.c.lines).label("lines"), func.sum(rows.c.quantity).label("quantity"),
                   func.sum(rows.c.gross).label("gross"), func.sum(rows.c.vat).label("vat"))
            .group_by(rows.c.product_id))


# Several dimensions are grouped as one integer key, packed in SQL and unpacked here: SQLite sorts every row to
# group them, and one integer sorts several times faster than five columns (PostgreSQL hashes either way). The
# key is grouped by its label: the expression holds bound parameters, and PostgreSQL would not see that a
# repeated one in GROUP BY is the same as in the select list.
_VAT_SLOTS = _VAT_DENOMINATOR + 1  # the key's last part is a VAT rate in basis points, 0..10000


def _live_lines(session: Session, months: Sequence[Month]) -> list[LineFact]:
    kept = _kept(_gross())
    service = case((_service(), 1), else_=0)
    month = cast(_month_index(Order.created_at, months), BigInteger)
    key = ((((cast(OrderLine.unit_id, BigInteger) * MAX_MONTHS + month) * 2 + _invoice()) * 2 + service) * _VAT_SLOTS
           + OrderLine.vat_rate_bp).label("k")
    rows = session.execute(
        select(key, func.sum(OrderLine.quantity), func.sum(kept), func.sum(_vat(kept, OrderLine.vat_rate_bp)))
        .join(Order, Order.id == OrderLine.order_id).where(sale(), _within(months))
        .group_by(literal_column(key.name))
    )
    facts = []
    for key, items, gross, vat in rows:
        rest, rate = divmod(int(key), _VAT_SLOTS)
        rest, is_service = divmod(rest, 2)
        rest, is_invoice = divmod(rest, 2)
        unit_id, index = divmod(rest, MAX_MONTHS)
        facts.append(LineFact(index, unit_id, bool(is_invoice), bool(is_service), rate, int(items or 0),
                              int(gross or 0), int(vat or 0)))
    return facts


def _live_orders(session: Session, months: Sequence[Month]) -> list[OrderFact]:
    """Orders are counted from the orders (each falls in one month and has one payment method) and, per unit, from
    their parts (one Fulfilment per order and unit), each marked when it is its order's first part in its region:
    no COUNT(DISTINCT), which both databases can only do by sorting."""
    month = _month_index(Order.created_at, months)
    order_key = (month * 2 + _invoice()).label("k")
    whole = (select(order_key, literal(0).label("unit_id"), func.count(Order.id), literal(0))
             .where(sale(), _within(months)).group_by(literal_column(order_key.name)))
    first_in_region = func.row_number().over(partition_by=(Fulfilment.order_id, Unit.region),
                                             order_by=Fulfilment.unit_id)
    part = (select((month * 2 + _invoice()).label("k"), Fulfilment.unit_id.label("unit_id"),
                   first_in_region.label("n"))
            .join(Order, Order.id == Fulfilment.order_id).join(Unit, Unit.id == Fulfilment.unit_id)
            .where(sale(), _within(months)).subquery())
    parts = (select(part.c.k, part.c.unit_id, func.count(), func.sum(case((part.c.n == 1, 1), else_=0)))
             .group_by(part.c.k, part.c.unit_id))
    facts = []
    for key, unit_id, count, first in session.execute(union_all(whole, parts)):
        index, is_invoice = divmod(int(key), 2)
        facts.append(OrderFact(index, int(unit_id) or None, bool(is_invoice), int(count), int(first or 0)))
    return facts


def _live_products(months: Sequence[Month]) -> Select:
    kept = _kept(_gross())
    return (select(OrderLine.product_id.label("product_id"), func.count(OrderLine.id).label("lines"),
                   func.sum(OrderLine.quantity).label("quantity"), func.sum(kept).label("gross"),
                   func.sum(_vat(kept, OrderLine.vat_rate_bp)).label("vat"))
            .join(Order, Order.id == OrderLine.order_id).where(sale(), _within(months))
            .group_by(OrderLine.product_id))


# Making the summaries.

def summarize(session: Session, period: Period, *, now: datetime | None = None) -> int:
    """Summarize the months of the period that ended at least SUMMARY_GRACE ago and whose summary is missing or
    out of date; commit each month on its own (so a month's version is locked only while it is summarized) and
    return how many were made. Whatever this finds, the reports add up the same numbers: it only makes them cheaper.
    """
    now = now or utcnow()
    due = [m.first for m in period.months() if m.whole and month_end(m.first) + SUMMARY_GRACE <= now]
    current = _up_to_date(session, due)
    made = 0
    for first in due:
        if first not in current:
            made += _summarize_month(session, first, now=now)
            session.commit()
    return made


def _summarize_month(session: Session, first: date, *, now: datetime) -> int:
    """Replace one month's summary under the lock of its version row; 0 if another process just made it."""
    _upsert(session, [first], bump=False)
    version, summarized = session.execute(
        select(SalesMonth.version, SalesMonth.summarized_version).where(SalesMonth.month == first).with_for_update()
    ).one()
    if version == summarized:
        return 0
    month = Month(index=0, first=first, start_utc=_oslo_midnight(first), end_utc=month_end(first))
    for table in (SalesMonthLines, SalesMonthOrders, SalesMonthProducts):
        session.execute(delete(table).where(table.month == first))
    lines = [{"month": first, "unit_id": f.unit_id, "invoice": f.invoice, "service": f.service,
              "vat_rate_bp": f.vat_rate_bp, "items": f.items, "gross_ore": f.gross_ore, "vat_ore": f.vat_ore}
             for f in _live_lines(session, [month])]
    orders = [{"month": first, "unit_id": f.unit_id, "invoice": f.invoice, "orders": f.orders,
               "first_in_region": f.first_in_region} for f in _live_orders(session, [month])]
    _insert(session, SalesMonthLines, lines)
    _insert(session, SalesMonthOrders, orders)
    products = _live_products([month]).subquery()
    session.execute(insert(SalesMonthProducts).from_select(
        ["month", "product_id", "lines", "items", "gross_ore", "vat_ore"],
        select(literal(first, type_=SalesMonthProducts.month.type), products.c.product_id, products.c.lines,
               products.c.quantity, products.c.gross, products.c.vat)))
    session.execute(update(SalesMonth).where(SalesMonth.month == first)
                    .values(summarized_version=version, summarized_at=now))
    return 1


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(model), rows)


# Keeping them up to date: every change to a sale raises its month's version, in the transaction that makes it.

def changed(session: Session, months: Iterable[date] = (), *, every_month: bool = False) -> None:
    """Mark these months' summaries (or all of them) out of date, in the session's transaction."""
    if every_month:
        session.execute(update(SalesMonth).values(version=SalesMonth.version + 1))
    months = sorted(set(months))  # always in the same order: two transactions never wait for each other in a ring
    if months:
        _upsert(session, months, bump=True)


def _upsert(session: Session, months: Sequence[date], *, bump: bool) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SalesMonth).values([{"month": month, "version": 1 if bump else 0} for month in months])
    if bump:
        statement = statement.on_conflict_do_update(index_elements=[SalesMonth.month],
                                                    set_={"version": SalesMonth.version + 1})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[SalesMonth.month])
    session.execute(statement)


def _changes(session: Session) -> tuple[set[date], bool]:
    """The months whose sales the pending changes of the session touch, and whether they touch every month."""
    now = utcnow()
    months, every_month = set(), False

    def note(when: datetime | None) -> None:
        month = month_of(when or now)
        if now >= month_end(month) + SUMMARY_GRACE / 2:  # not summarized yet: nothing to mark
            months.add(month)

    for obj in session.new:
        if isinstance(obj, Order):
            note(obj.created_at)
    for obj in session.deleted:
        if isinstance(obj, Order):
            note(obj.created_at)
    for obj in session.dirty:
        if isinstance(obj, Order):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in ("status", "refunded_ore", "created_at")):
                for when in (obj.created_at, *state.attrs.created_at.history.deleted):
                    note(when)
        elif ((isinstance(obj, Product) and inspect(obj).attrs.kind.history.has_changes())
              or (isinstance(obj, Unit) and inspect(obj).attrs.region.history.has_changes())):
            every_month = True
    return months, every_month


# The months are noted at each flush and their versions raised when the transaction commits, as its last
# statement: a transaction holds the lock of a month's version only while it commits, never while it waits for
# another lock (stock, orders), so the lock can never close a ring of waits with them.
_PENDING = "shop.orders.sales.months"


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    months, every_month = _changes(session)
    if months or every_month:
        pending = session.info.setdefault(_PENDING, [set(), False])
        pending[0] |= months
        pending[1] = pending[1] or every_month


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    session.flush()  # the last changes, so that they are noted too
    months, every_month = session.info.pop(_PENDING, (set(), False))
    if months or every_month:
        changed(session, months, every_month=every_month)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without committing what was noted
        session.info.pop(_PENDING, None)
