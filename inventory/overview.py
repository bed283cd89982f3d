"""The national view of stock: each unit's stock figures, and every good and service in one filtered list.

Both are read models for the coordinator: grouped subqueries and a fixed number of statements, whatever
the size of the catalogue (the benchmark runs them over 20 000 products).

"Available" is the one definition in inventory.queries (on hand − held + held past expiry), and "low" is
the stock page's (inventory.stocktake: available at or below the record's threshold), split at zero:
a record is out when nothing is available, low when some is but no more than its threshold.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ColumnElement, Select, Subquery, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from catalogue.listings import STATUS_LABELS
from catalogue.models import KINDS, REGIONS, Category, Product, Unit
from inventory.csvio import _guard as guard_cell  # the workshop export's guard against formula injection
from inventory.models import StockRecord
from inventory.queries import expired_holds, free
from shop.core.actor import Actor, NotPermitted
from shop.core.money import net_of_vat
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate

STOCK_STATES = {"ok": _l("In stock"), "low": _l("Low stock"), "out": _l("Out of stock")}
PRODUCT_SORTS = ("title", "unit", "sku", "price_asc", "price_desc", "available", "newest")
# Exported rows are fetched in batches, so 20 000 products never sit in memory as ORM rows at once.
_EXPORT_BATCH = 2000


def record_state(available: ColumnElement[int], threshold: ColumnElement[int]) -> ColumnElement[str]:
    """A stock record's state: "out" (nothing available), "low" (at or below its threshold) or "ok"."""
    return case((available <= 0, "out"), (available <= threshold, "low"), else_="ok")


def net_price(price_ore: ColumnElement[int], vat_rate_bp: ColumnElement[int]) -> ColumnElement[int]:
    """A price incl. MVA without its MVA, in øre, in SQL: shop.core.money.net_of_vat, rounded the same way.

    Computed in bigint: a price in øre times a rate in basis points outgrows PostgreSQL's integer.
    """
    gross, rate = cast(price_ore, BigInteger), cast(vat_rate_bp, BigInteger)
    vat = (gross * rate * 2 + (10000 + rate)) // (2 * (10000 + rate))
    return gross - vat


def without_index(column: ColumnElement[int]) -> ColumnElement[int]:
    """An integer column as an expression, to group or join by: SQLite (without statistics) would otherwise walk
    the column's index, one random row read per row, instead of scanning the table: ten times slower over
    100 000 rows. PostgreSQL plans the same either way."""
    return column + literal_column("0")  # a literal, not a parameter: PostgreSQL must see the same expression twice


def _stock_value(price_ore, vat_rate_bp) -> ColumnElement[int]:
    return cast(StockRecord.on_hand, BigInteger) * net_price(price_ore, vat_rate_bp)


def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator sees the national overview")


# Each unit's stock

def unit_stock(*, now: datetime, stale_before: datetime) -> Subquery:
    """Per unit, over the records it keeps (its active records): unit_id, records, value_ore (on hand × price
    excl. MVA), low, out, stale (records not confirmed since stale_before) and last_confirmed (the newest
    confirmation of any of them, NULL if none)."""
    expired = expired_holds(now)
    available = free(expired)
    state = record_state(available, StockRecord.low_stock_threshold)
    return (
        select(
            without_index(StockRecord.unit_id).label("unit_id"),
            func.count().label("records"),
            func.sum(_stock_value(Product.price_ore, Product.vat_rate_bp)).label("value_ore"),
            func.count().filter(state == "low").label("low"),
            func.count().filter(state == "out").label("out"),
            func.count().filter(or_(StockRecord.confirmed_at.is_(None), StockRecord.confirmed_at < stale_before))
            .label("stale"),
            func.max(StockRecord.confirmed_at).label("last_confirmed"),
        )
        .join(Product, Product.id == StockRecord.product_id)
        .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
        .where(StockRecord.active.is_(True))
        .group_by(without_index(StockRecord.unit_id))
        .subquery("unit_stock")
    )


# Every good and service

@dataclass(frozen=True)
class ProductQuery:
    """What the coordinator narrowed the national list down to; every field is optional."""

    text: str = ""
    unit_id: int | None = None
    region: str | None = None
    category_ids: tuple[int, ...] = ()
    kind: str | None = None
    status: str | None = None
    stock: str | None = None  # one of STOCK_STATES: goods only
    made_to_order: bool | None = None
    sort: str = "title"


@dataclass(frozen=True)
class ProductRow:
    """One good or service in the national list, with its stock over every active unit that stocks it."""

    id: int
    sku: str
    slug: str
    title: str
    kind: str
    status: str
    price_ore: int
    vat_rate_bp: int
    made_to_order: bool
    lead_time_days: int | None
    unit_name: str
    unit_slug: str
    unit_active: bool
    region: str
    category_name: str
    records: int
    on_hand: int
    available: int
    value_ore: int
    stock_state: str | None  # None for services: they have no stock
    created_at: datetime

    @property
    def price_excl_ore(self) -> int:
        return net_of_vat(self.price_ore, self.vat_rate_bp)


def product_stock(*, now: datetime, product_ids: list[int] | None = None) -> Subquery:
    """Per product (of these, if given), over its active records at active units (what the shop can sell from):
    records, on_hand, available, value_ore and best (2 when some record is above its threshold, 1 when some has
    any, else 0)."""
    expired = expired_holds(now)
    available = free(expired)
    state = record_state(available, StockRecord.low_stock_threshold)
    stmt = (
        select(
            StockRecord.product_id.label("product_id"),
            func.count().label("records"),
            func.sum(StockRecord.on_hand).label("on_hand"),
            func.sum(available).label("available"),
            func.sum(_stock_value(Product.price_ore, Product.vat_rate_bp)).label("value_ore"),
            func.max(case((state == "ok", 2), (state == "low", 1), else_=0)).label("best"),
        )
        .join(Product, Product.id == StockRecord.product_id)
        .join(Unit, Unit.id == StockRecord.unit_id)
        .outerjoin(expired, expired.c.stock_record_id == StockRecord.id)
        .where(StockRecord.active.is_(True), Unit.active.is_(True))
    )
    if product_ids is not None:
        stmt = stmt.where(StockRecord.product_id.in_(product_ids))
    # Not without_index(): the list joins this on product_id, which SQLite then indexes only as a bare column.
    return stmt.group_by(StockRecord.product_id).subquery("product_stock")


def _product_state(stock: Subquery) -> ColumnElement[str | None]:
    # A product is as well stocked as its best record: an order line is filled by one unit (inventory.allocation).
    best = func.coalesce(stock.c.best, 0)
    return case((Product.kind != "goods", None), (best == 2, "ok"), (best == 1, "low"), else_="out")


def _stock_columns(stock: Subquery) -> list:
    return [func.coalesce(stock.c.records, 0).label("records"), func.coalesce(stock.c.on_hand, 0).label("on_hand"),
            func.coalesce(stock.c.available, 0).label("available"),
            func.coalesce(stock.c.value_ore, 0).label("value_ore"), _product_state(stock).label("stock_state")]


def _needs_stock(query: ProductQuery) -> bool:
    """Whether the list is filtered or sorted by stock, so that every product's stock must be summed first."""
    return bool(query.stock) or query.sort == "available"


def _product_select(query: ProductQuery, *, now: datetime, with_stock: bool = True) -> Select:
    """The filtered, sorted list; with_stock=False leaves out the stock columns (when neither filter nor order needs
    them, a page adds them for its own rows only: summing 20 000 products' stock for 50 rows is most of the work)."""
    stock = product_stock(now=now) if with_stock or _needs_stock(query) else None
    stmt = (
        select(
            Product.id, Product.sku, Product.slug, Product.title, Product.kind, Product.status, Product.price_ore,
            Product.vat_rate_bp, Product.made_to_order, Product.lead_time_days, Unit.name.label("unit_name"),
            Unit.slug.label("unit_slug"), Unit.active.label("unit_active"), Unit.region,
            Category.name.label("category_name"), Product.created_at,
            *(_stock_columns(stock) if stock is not None else ()),
        )
        .select_from(Product)
        .join(Unit, Unit.id == without_index(Product.unit_id))
        .join(Category, Category.id == Product.category_id)
    )
    if stock is not None:
        stmt = stmt.outerjoin(stock, stock.c.product_id == Product.id)
    if text := query.text.strip():
        pattern = like_pattern(text)
        stmt = stmt.where(or_(func.lower(Product.title).like(pattern, escape=LIKE_ESCAPE),
                              func.lower(Product.sku).like(pattern, escape=LIKE_ESCAPE)))
    if query.unit_id is not None:
        stmt = stmt.where(Product.unit_id == query.unit_id)
    if query.region:
        stmt = stmt.where(Unit.region == query.region)
    if query.category_ids:
        stmt = stmt.where(Product.category_id.in_(query.category_ids))
    if query.kind:
        stmt = stmt.where(Product.kind == query.kind)
    if query.status:
        stmt = stmt.where(Product.status == query.status)
    if query.stock:
        stmt = stmt.where(and_(Product.kind == "goods", _product_state(stock) == query.stock))
    if query.made_to_order is not None:
        stmt = stmt.where(Product.made_to_order.is_(query.made_to_order))
    return stmt.order_by(*_ordering(query.sort, stock))


def _ordering(sort: str, stock: Subquery | None) -> list:
    if sort == "available" and stock is not None:
        # Services have no stock: they come after the goods.
        return [(Product.kind != "goods"), func.coalesce(stock.c.available, 0).asc(), Product.title, Product.id]
    return {
        "unit": [Unit.name, Product.title, Product.id],
        "sku": [Product.sku, Product.id],
        "price_asc": [Product.price_ore.asc(), Product.id.asc()],
        "price_desc": [Product.price_ore.desc(), Product.id.desc()],
        "newest": [Product.created_at.desc(), Product.id.desc()],
    }.get(sort, [Product.title, Product.id])


def national_products(session: Session, actor: Actor, query: ProductQuery, *, now: datetime, page: int = 1,
                      per_page: int = 50) -> Page[ProductRow]:
    """One page of every good and service in the country, filtered and sorted (two or three statements).

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        PageOutOfRange: the page is past the end.
    """
    _require_national(actor)
    with_stock = _needs_stock(query)
    result = paginate(session, _product_select(query, now=now, with_stock=with_stock), page=page, per_page=per_page,
                      scalars=False)
    rows = [row._asdict() for row in result.items]
    if not with_stock and rows:
        stock = product_stock(now=now, product_ids=[row["id"] for row in rows])
        figures = {figure.id: figure._asdict() for figure in session.execute(
            select(Product.id, *_stock_columns(stock)).outerjoin(stock, stock.c.product_id == Product.id)
            .where(Product.id.in_([row["id"] for row in rows])))}
        rows = [row | figures[row["id"]] for row in rows]
    return result.with_items([_row(row) for row in rows])


def _row(row: dict) -> ProductRow:
    return ProductRow(**{**row, "records": int(row["records"]), "on_hand": int(row["on_hand"]),
                         "available": int(row["available"]), "value_ore": int(row["value_ore"])})


def _kroner(ore: int) -> str:
    """An amount in øre as Norwegian Excel reads a number: 1299,00 (no thousands separator)."""
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100},{abs(ore) % 100:02d}"


def _percent(bp: int) -> str:
    return f"{bp // 100},{bp % 100:02d}".removesuffix(",00")


def export_header() -> list[str]:
    return [_("SKU"), _("Title"), _("Unit"), _("Region"), _("Category"), _("Type"), _("Status"),
            _("Price incl. VAT (kr)"), _("VAT rate (%)"), _("Price excl. VAT (kr)"), _("Made to order"),
            _("Lead time (days)"), _("Stock records"), _("On hand"), _("Available"), _("Stock state"),
            _("Stock value excl. VAT (kr)")]


def _export_cells(row: ProductRow) -> list:
    return [
        guard_cell(row.sku), guard_cell(row.title), guard_cell(row.unit_name), str(REGIONS.get(row.region, row.region)),
        guard_cell(row.category_name), str(KINDS.get(row.kind, row.kind)), str(STATUS_LABELS.get(row.status, row.status)),
        _kroner(row.price_ore), _percent(row.vat_rate_bp), _kroner(row.price_excl_ore),
        _("Yes") if row.made_to_order else _("No"), "" if row.lead_time_days is None else row.lead_time_days,
        row.records if row.kind == "goods" else "", row.on_hand if row.kind == "goods" else "",
        row.available if row.kind == "goods" else "",
        str(STOCK_STATES[row.stock_state]) if row.stock_state else "",
        _kroner(row.value_ore) if row.kind == "goods" else "",
    ]


def export_products(session: Session, actor: Actor, query: ProductQuery, *, now: datetime) -> bytes:
    """The whole filtered national list as CSV bytes, as the workshop's stock export writes it: semicolons,
    UTF-8 with a BOM (Excel in Norway opens it), text cells that cannot run as formulas, kroner as 1299,00.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
    """
    _require_national(actor)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(export_header())
    writer.writerows(_export_cells(row) for row in _all_rows(session, query, now=now))
    return out.getvalue().encode("utf-8-sig")


def _all_rows(session: Session, query: ProductQuery, *, now: datetime) -> Iterable[ProductRow]:
    rows = session.execute(_product_select(query, now=now).execution_options(yield_per=_EXPORT_BATCH))
    for row in rows:
        yield _row(row._asdict())


def all_units(session: Session) -> list[Unit]:
    """Every unit, active or not, by name: what the national list can be filtered by."""
    return list(session.scalars(select(Unit).order_by(Unit.name, Unit.id)))
