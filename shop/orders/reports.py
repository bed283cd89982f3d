"""Sales reports for the national coordinator: what was sold, by month, unit, region, category, product, VAT rate
and payment method, grouped in SQL with a fixed number of statements per report, and the same numbers as CSV.

What counts as a sale is defined once, here (SALE_STATUSES and sale()); months and days are Europe/Oslo
calendar days (shop.core.time.OSLO), so an order placed at 23:30 UTC on 31 January is February's.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import BigInteger, ColumnElement, String, and_, case, cast, func, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from catalogue.models import REGIONS, Category, Product, Unit
from shop.core.time import OSLO
from shop.orders.models import Fulfilment, Order, OrderLine

# The statuses of an order that is a sale: paid by card, or placed on invoice (awaiting invoicing or invoiced),
# and those that went on to be completed. See sale().
SALE_STATUSES = ("paid", "awaiting_invoice", "invoiced", "completed")
# A report covers at most this many months (five years and a bit): the month grouping has a CASE branch each.
MAX_MONTHS = 61
TOP_PRODUCTS = 20
_VAT_DENOMINATOR = 10000  # rates are in basis points: 2500 is 25 %


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

    On SQLite a status condition an index can serve makes the planner read the orders through
    ix_order_status_expires, a random row lookup per order, several times slower than scanning the lines
    and fetching each order by its key. PostgreSQL needs the bare column, for its row estimates.
    """

    type = String()
    inherit_cache = True
    name = "unindexed"


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
        year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
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
                      end_utc=min(self.end_utc, _oslo_midnight(_next_month(first))))
                for n, first in enumerate(firsts)]

    def contains(self) -> ColumnElement[bool]:
        """The order was placed within the period."""
        return and_(Order.created_at >= self.start_utc, Order.created_at < self.end_utc)

    def month_of(self, column) -> ColumnElement[int]:
        """The index of the Oslo month a timestamp within the period falls in (SQL, the same on both databases:
        the month boundaries are computed here, in Europe/Oslo, and compared in UTC)."""
        return _bisect(column, self.months())


def _bisect(column, months: list[Month]) -> ColumnElement[int]:
    """A CASE that halves the months at each step: about log2(n) comparisons per row instead of n/2."""
    if len(months) == 1:
        return literal_column(str(months[0].index))
    middle = len(months) // 2
    return case((column < months[middle].start_utc, _bisect(column, months[:middle])),
                else_=_bisect(column, months[middle:]))


def _oslo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=OSLO).astimezone(UTC)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


# What the reports hold.

@dataclass
class Sales:
    """Sums of sales: orders, items and amounts in øre (including MVA, and the MVA in them)."""

    orders: int | None = 0  # None where orders cannot be added up (an order may count in several rows)
    items: int = 0
    gross_ore: int = 0
    vat_ore: int = 0
    goods_gross_ore: int = 0
    services_gross_ore: int = 0

    @property
    def net_ore(self) -> int:
        """Excluding MVA."""
        return self.gross_ore - self.vat_ore

    def without_orders(self) -> Sales:
        """The same sums with no orders (to add to a row whose orders were counted on their own)."""
        return Sales(orders=0, items=self.items, gross_ore=self.gross_ore, vat_ore=self.vat_ore,
                     goods_gross_ore=self.goods_gross_ore, services_gross_ore=self.services_gross_ore)

    def add(self, other: Sales) -> None:
        if self.orders is not None and other.orders is not None:
            self.orders += other.orders
        self.items += other.items
        self.gross_ore += other.gross_ore
        self.vat_ore += other.vat_ore
        self.goods_gross_ore += other.goods_gross_ore
        self.services_gross_ore += other.services_gross_ore


@dataclass
class Row:
    """One row of a report table: what it is about (key and label) and its sales."""

    key: str
    label: str
    sales: Sales
    first: date | None = None  # months: the month's first day
    extra: dict = field(default_factory=dict)


@dataclass
class MonthReport:
    """Sales per month with goods and services side by side, per VAT rate and per payment method."""

    period: Period
    months: list[Row]
    vat_rates: list[Row]
    payment_methods: list[Row]
    kinds: list[Row]
    total: Sales

    @property
    def invoice_share(self) -> float | None:
        """The share of sales (including MVA) paid by invoice, 0–1; None when nothing was sold."""
        return _share(self.payment_methods, "invoice", lambda s: s.gross_ore)

    @property
    def invoice_order_share(self) -> float | None:
        """The share of orders paid by invoice, 0–1; None when there were none."""
        return _share(self.payment_methods, "invoice", lambda s: s.orders or 0)


@dataclass
class UnitReport:
    """Sales per unit (the unit that fulfils the line) and per region."""

    period: Period
    units: list[Row]
    regions: list[Row]
    total: Sales


@dataclass
class CategoryReport:
    """Sales per top-level category, and the best-selling products."""

    period: Period
    categories: list[Row]
    products: list[Row]
    total: Sales


def _share(rows: list[Row], key: str, measure) -> float | None:
    whole = sum(measure(row.sales) for row in rows)
    return None if not whole else sum(measure(row.sales) for row in rows if row.key == key) / whole


def _sums(items, gross, vat, services_gross=None, orders=None) -> Sales:
    gross, services_gross = int(gross or 0), int(services_gross or 0)
    return Sales(orders=None if orders is None else int(orders), items=int(items or 0), gross_ore=gross,
                 vat_ore=int(vat or 0), goods_gross_ore=gross - services_gross, services_gross_ore=services_gross)


# The reports: each a fixed number of SQL statements, whatever the number of orders.

# Several dimensions are grouped as one integer key, packed in SQL and unpacked here: SQLite sorts every row to
# group them, and one integer sorts several times faster than four columns (PostgreSQL hashes either way). The
# key is grouped by its label: the expression holds bound parameters, and PostgreSQL would not see that a
# repeated one in GROUP BY is the same as in the select list.
_VAT_SLOTS = _VAT_DENOMINATOR + 1  # the key's last part is a VAT rate in basis points, 0..10000


def _invoice() -> ColumnElement[int]:
    return case((Order.payment_method == "invoice", 1), else_=0)


def month_report(session: Session, period: Period) -> MonthReport:
    """Sales per Oslo month, per VAT rate, per payment method and per kind (goods, services): two statements.

    Orders are counted from the orders (each falls in one month and has one payment method), the rest is
    summed from the lines; no COUNT(DISTINCT), which both databases can only do by sorting.
    """
    month = period.month_of(Order.created_at)
    order_key = (month * 2 + _invoice()).label("k")
    order_rows = session.execute(
        select(order_key, func.count(Order.id)).where(sale(), period.contains())
        .group_by(literal_column(order_key.name))
    ).all()
    kept = _kept(_gross())
    service = case((_service(), 1), else_=0)
    line_key = (((cast(month, BigInteger) * 2 + _invoice()) * 2 + service) * _VAT_SLOTS + OrderLine.vat_rate_bp)
    line_key = line_key.label("k")
    line_rows = session.execute(
        select(line_key, func.sum(OrderLine.quantity), func.sum(kept), func.sum(_vat(kept, OrderLine.vat_rate_bp)))
        .join(Order, Order.id == OrderLine.order_id).where(sale(), period.contains())
        .group_by(literal_column(line_key.name))
    ).all()

    months = {m.index: Row(key=m.key, label=m.key, sales=Sales(), first=m.first) for m in period.months()}
    methods = {method: Row(key=method, label=method, sales=Sales()) for method in ("card", "invoice")}
    kinds = {kind: Row(key=kind, label=kind, sales=Sales(orders=None)) for kind in ("goods", "service")}
    rates: dict[int, Row] = {}
    total = Sales()
    for key, count in order_rows:
        index, is_invoice = divmod(int(key), 2)
        months[index].sales.orders += count
        methods["invoice" if is_invoice else "card"].sales.orders += count
        total.orders += count
    for key, items, gross, vat in line_rows:
        rest, rate = divmod(int(key), _VAT_SLOTS)
        rest, is_service = divmod(rest, 2)
        index, is_invoice = divmod(rest, 2)
        sums = _sums(items, gross, vat, services_gross=gross if is_service else 0, orders=0)  # orders: counted above
        months[index].sales.add(sums)
        methods["invoice" if is_invoice else "card"].sales.add(sums)
        rates.setdefault(rate, Row(key=str(rate), label=str(rate), sales=Sales(orders=None))).sales.add(sums)
        kinds["service" if is_service else "goods"].sales.add(sums)
        total.add(sums)
    return MonthReport(
        period=period, months=list(months.values()), vat_rates=[rates[r] for r in sorted(rates, reverse=True)],
        payment_methods=list(methods.values()), kinds=list(kinds.values()), total=total,
    )


def unit_report(session: Session, period: Period) -> UnitReport:
    """Sales per unit (every unit, with or without sales) and per region: three statements.

    A line counts for the unit that fulfils it. An order with lines from two units counts once for each,
    and once for a region however many of its units are there. Orders are counted from their parts (one
    Fulfilment per order and unit), so nothing needs COUNT(DISTINCT), which both databases do by sorting.
    """
    units = session.execute(select(Unit.id, Unit.name, Unit.region, Unit.active).order_by(Unit.name, Unit.id)).all()
    kept = _kept(_gross())
    lines = session.execute(
        select(OrderLine.unit_id, func.sum(OrderLine.quantity), func.sum(kept),
               func.sum(_vat(kept, OrderLine.vat_rate_bp)), func.sum(case((_service(), kept), else_=0)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(sale(), period.contains()).group_by(OrderLine.unit_id)
    ).all()
    # The orders' parts (one Fulfilment per order and unit), each marked when it is its order's first part in
    # its region (by unit id): per unit, the parts are its orders, and the marked ones add up to the regions'.
    first_in_region = func.row_number().over(partition_by=(Fulfilment.order_id, Unit.region),
                                             order_by=Fulfilment.unit_id)
    part = (select(Fulfilment.unit_id.label("unit_id"), first_in_region.label("n"))
            .join(Order, Order.id == Fulfilment.order_id).join(Unit, Unit.id == Fulfilment.unit_id)
            .where(sale(), period.contains()).subquery())
    parts = {unit_id: (count, first) for unit_id, count, first in session.execute(
        select(part.c.unit_id, func.count(), func.sum(case((part.c.n == 1, 1), else_=0))).group_by(part.c.unit_id)
    )}
    region_orders: dict[str, int] = {}
    for unit_id, _name, region, _active in units:
        region_orders[region] = region_orders.get(region, 0) + int(parts.get(unit_id, (0, 0))[1] or 0)

    sold = {unit_id: _sums(items, gross, vat, services_gross, parts.get(unit_id, (0, 0))[0])
            for unit_id, items, gross, vat, services_gross in lines}
    rows, regions, total = [], {}, Sales(orders=None)
    for region in REGIONS:
        regions[region] = Row(key=region, label=REGIONS[region], sales=Sales(orders=region_orders.get(region, 0)))
    for unit_id, name, region, active in units:
        sales = sold.get(unit_id) or Sales()
        if not active and not sales.items:
            continue
        rows.append(Row(key=str(unit_id), label=name, sales=sales, extra={"region": region, "active": active}))
        regions[region].sales.add(sales.without_orders())
        total.add(sales)
    return UnitReport(period=period, units=rows, regions=list(regions.values()), total=total)


def category_report(session: Session, period: Period, *, top: int = TOP_PRODUCTS) -> CategoryReport:
    """Sales per top-level category (every one, with or without sales) and the best-selling products: three
    statements.

    The lines are summed per product first and only those sums are joined with the products and their
    categories: on SQLite a join of every line with its product is a random lookup per line. So a category
    counts order lines, not orders (an order with two of its products counts twice); a product's order
    lines are the orders it is in (an order has one line per product).
    """
    categories = session.execute(
        select(Category.id, Category.name).where(Category.parent_id.is_(None)).order_by(Category.position, Category.name)
    ).all()
    kept = _kept(_gross())
    sold = (
        select(OrderLine.product_id.label("product_id"), func.count(OrderLine.id).label("lines"),
               func.sum(OrderLine.quantity).label("quantity"), func.sum(kept).label("gross"),
               func.sum(_vat(kept, OrderLine.vat_rate_bp)).label("vat"))
        .join(Order, Order.id == OrderLine.order_id).where(sale(), period.contains())
        .group_by(OrderLine.product_id)
        .cte("sold")  # used twice below: both databases compute it once
    )
    top_id = func.coalesce(Category.parent_id, Category.id)
    by_category = (
        select(literal_column("0").label("best"), top_id.label("id"), func.sum(sold.c.lines), func.sum(sold.c.quantity),
               func.sum(sold.c.gross), func.sum(sold.c.vat), func.sum(case((Product.kind == "service", sold.c.gross),
                                                                           else_=0)))
        .select_from(sold).join(Product, Product.id == sold.c.product_id)
        .join(Category, Category.id == Product.category_id).group_by(top_id)
    )
    best = (select(sold).order_by(sold.c.gross.desc(), sold.c.product_id).limit(top).subquery("best"))
    by_product = select(literal_column("1"), best.c.product_id, best.c.lines, best.c.quantity, best.c.gross, best.c.vat,
                        literal_column("0"))
    rows = session.execute(union_all(by_category, by_product)).all()
    sums = {(is_best, key): (lines, items, gross, vat, services) for is_best, key, lines, items, gross, vat, services
            in rows}
    ranked = [key for is_best, key, *_ in sorted((r for r in rows if r[0] == 1), key=lambda r: (-r[4], r[1]))]
    names = {row.id: row for row in session.execute(
        select(Product.id, Product.title, Product.sku, Product.kind, Unit.name.label("unit"))
        .join(Unit, Unit.id == Product.unit_id).where(Product.id.in_(ranked))
    )} if ranked else {}

    category_rows, total = [], Sales(orders=None)
    for category_id, name in categories:
        lines, items, gross, vat, services = sums.get((0, category_id), (0, 0, 0, 0, 0))
        sales = _sums(items, gross, vat, services, orders=lines)
        category_rows.append(Row(key=str(category_id), label=name, sales=sales))
        total.add(sales.without_orders())
    products = []
    for product_id in ranked:
        lines, items, gross, vat, _services = sums[(1, product_id)]
        product = names[product_id]
        products.append(Row(key=str(product_id), label=product.title,
                            sales=_sums(items, gross, vat, gross if product.kind == "service" else 0, orders=lines),
                            extra={"sku": product.sku, "kind": product.kind, "unit": product.unit}))
    total.orders = None
    return CategoryReport(period=period, categories=category_rows, products=products, total=total)


# CSV: the tables of a report as Excel in Norway opens them (semicolons, UTF-8 with BOM), amounts in kroner with a
# decimal comma, text cells guarded against formulas.

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(text: str) -> str:
    """A text cell that Excel or LibreOffice will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def kroner(amount_ore: int) -> str:
    """øre as kroner with a decimal comma and no thousands separator ("-1234,50"), as Excel in Norway reads it."""
    sign = "-" if amount_ore < 0 else ""
    whole, ore = divmod(abs(amount_ore), 100)
    return f"{sign}{whole},{ore:02d}"


SALES_HEADER = ("Ordrer", "Varer (antall)", "Salg inkl. MVA (kr)", "Salg eks. MVA (kr)", "MVA (kr)",
                "Varer inkl. MVA (kr)", "Tjenester inkl. MVA (kr)")


def _sales_cells(sales: Sales) -> list[str]:
    return ["" if sales.orders is None else str(sales.orders), str(sales.items), kroner(sales.gross_ore),
            kroner(sales.net_ore), kroner(sales.vat_ore), kroner(sales.goods_gross_ore),
            kroner(sales.services_gross_ore)]


def to_csv(first_columns: Sequence[str], rows: Iterable[tuple[Sequence[str], Sales]],
           total: tuple[Sequence[str], Sales] | None = None) -> bytes:
    """A table of sales as CSV bytes: first_columns name what each row is about, then the sales columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*first_columns, *SALES_HEADER])
    for cells, sales in [*rows, *([total] if total else [])]:
        writer.writerow([*(_guard(str(cell)) for cell in cells), *_sales_cells(sales)])
    return out.getvalue().encode("utf-8-sig")

