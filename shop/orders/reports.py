"""Sales reports for the national coordinator: what was sold, by month, unit, region, category, product, VAT rate
and payment method, with a fixed number of SQL statements per report, and the same numbers as CSV.

What counts as a sale, and the months of a period, are defined in shop.orders.sales, which also keeps the monthly
summaries the reports read for the months that have ended; months and days are Europe/Oslo calendar days
(shop.core.time.OSLO), so an order placed at 23:30 UTC on 31 January is February's.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from catalogue.models import REGIONS, Category, Product, Unit
from shop.orders import sales as facts
from shop.orders.sales import (  # noqa: F401 - the reports' callers use the period and sale from here
    MAX_MONTHS,
    SALE_STATUSES,
    InvalidPeriod,
    Month,
    Period,
    sale,
    summarize,
)

TOP_PRODUCTS = 20


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


# The reports: each a fixed number of SQL statements, whatever the number of orders or months, over the facts of
# shop.orders.sales (the months' summaries and what is read from the orders).

def month_report(session: Session, period: Period) -> MonthReport:
    """Sales per Oslo month, per VAT rate, per payment method and per kind (goods, services): at most five
    statements."""
    plan = facts.plan(session, period)
    months = {m.index: Row(key=m.key, label=m.key, sales=Sales(), first=m.first) for m in period.months()}
    methods = {method: Row(key=method, label=method, sales=Sales()) for method in ("card", "invoice")}
    kinds = {kind: Row(key=kind, label=kind, sales=Sales(orders=None)) for kind in ("goods", "service")}
    rates: dict[int, Row] = {}
    total = Sales()
    for fact in facts.order_facts(session, plan):
        if fact.unit_id is None:
            months[fact.month].sales.orders += fact.orders
            methods["invoice" if fact.invoice else "card"].sales.orders += fact.orders
            total.orders += fact.orders
    for fact in facts.line_facts(session, plan):
        sums = _sums(fact.items, fact.gross_ore, fact.vat_ore, fact.gross_ore if fact.service else 0, orders=0)
        months[fact.month].sales.add(sums)
        methods["invoice" if fact.invoice else "card"].sales.add(sums)
        rate = fact.vat_rate_bp
        rates.setdefault(rate, Row(key=str(rate), label=str(rate), sales=Sales(orders=None))).sales.add(sums)
        kinds["service" if fact.service else "goods"].sales.add(sums)
        total.add(sums)
    return MonthReport(
        period=period, months=list(months.values()), vat_rates=[rates[r] for r in sorted(rates, reverse=True)],
        payment_methods=list(methods.values()), kinds=list(kinds.values()), total=total,
    )


def unit_report(session: Session, period: Period) -> UnitReport:
    """Sales per unit (every unit, with or without sales) and per region: at most six statements.

    A line counts for the unit that fulfils it. An order with lines from two units counts once for each,
    and once for a region however many of its units are there.
    """
    units = session.execute(select(Unit.id, Unit.name, Unit.region, Unit.active).order_by(Unit.name, Unit.id)).all()
    plan = facts.plan(session, period)
    sold: dict[int, Sales] = {}
    for fact in facts.line_facts(session, plan):
        sums = _sums(fact.items, fact.gross_ore, fact.vat_ore, fact.gross_ore if fact.service else 0, orders=0)
        sold.setdefault(fact.unit_id, Sales()).add(sums)
    region_of = {unit_id: region for unit_id, _name, region, _active in units}
    region_orders: dict[str, int] = {}
    for fact in facts.order_facts(session, plan):
        if fact.unit_id is not None:
            sold.setdefault(fact.unit_id, Sales()).orders += fact.orders
            region = region_of[fact.unit_id]
            region_orders[region] = region_orders.get(region, 0) + fact.first_in_region

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
    """Sales per top-level category (every one, with or without sales) and the best-selling products: four
    statements.

    The lines are summed per product first and only those sums are joined with the products and their
    categories: on SQLite a join of every line with its product is a random lookup per line. So a category
    counts order lines, not orders (an order with two of its products counts twice); a product's order
    lines are the orders it is in (an order has one line per product).
    """
    categories = session.execute(
        select(Category.id, Category.name).where(Category.parent_id.is_(None)).order_by(Category.position, Category.name)
    ).all()
    sold = facts.product_sales(facts.plan(session, period)).cte("sold")  # used twice below: computed once
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

