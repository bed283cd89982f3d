"""The national overview of the units: what each one offers, its stock, its open orders and how fresh its count is.

One statement for the whole country, whatever its size: the units joined to three grouped subqueries
(published listings, stock from inventory.overview, open fulfilments). A unit's stock is stale when its
newest confirmation is older than STOCK_STALE_DAYS, or when it has stock it never confirmed: the national
shop tells buyers what is in stock from those numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import REGIONS, Product, Unit
from inventory.overview import unit_stock, without_index
from shop.core.actor import Actor, NotPermitted
from shop.core.time import aware
from shop.orders.fulfilment import QUEUE_VIEWS
from shop.orders.models import WORKABLE_ORDER_STATUSES, Fulfilment, Order

# The columns the overview sorts by, and which way each goes first (the most telling end on top).
UNIT_SORTS = {"name": "asc", "region": "asc", "goods": "desc", "services": "desc", "value": "desc", "low": "desc",
              "out": "desc", "open": "desc", "oldest": "desc", "confirmed": "desc"}


@dataclass(frozen=True)
class UnitRow:
    """One unit in the national overview."""

    unit_id: int
    slug: str
    name: str
    region: str
    active: bool
    goods: int  # published goods
    services: int  # published services
    records: int  # stock records it keeps
    value_ore: int  # on hand × price excl. MVA
    low: int
    out: int
    stale_records: int  # records not confirmed within the limit
    open_fulfilments: int
    oldest_open_at: datetime | None  # when the oldest open part's order was placed
    last_confirmed_at: datetime | None  # its newest stock confirmation
    oldest_open_days: int | None
    confirmed_days: int | None  # days since last_confirmed_at; None: never
    stale: bool


@dataclass(frozen=True)
class Totals:
    goods: int
    services: int
    value_ore: int
    low: int
    out: int
    open_fulfilments: int
    stale_units: int


def _open_fulfilments():
    """Per unit, its parts of confirmed orders still to pack, send or hand over: how many, and the oldest order."""
    # The order is looked up per open part (a few hundred of 100 000 parts) by its primary key, as a correlated
    # subquery: a join lets both databases walk or hash every order (nearly all confirmed) instead.
    placed = (select(Order.created_at)
              .where(Order.id == Fulfilment.order_id, Order.status.in_(WORKABLE_ORDER_STATUSES))
              .scalar_subquery())
    return (
        select(without_index(Fulfilment.unit_id).label("unit_id"), func.count(placed).label("open"),
               func.min(placed).label("oldest"))
        .where(Fulfilment.status.in_(QUEUE_VIEWS["open"]))
        .group_by(without_index(Fulfilment.unit_id))
        .subquery("open_fulfilments")
    )


def _published():
    return (
        select(without_index(Product.unit_id).label("unit_id"),
               func.count().filter(Product.kind == "goods").label("goods"),
               func.count().filter(Product.kind == "service").label("services"))
        .where(Product.status == "published")
        .group_by(without_index(Product.unit_id))
        .subquery("published")
    )


def unit_overview(session: Session, actor: Actor, *, now: datetime, stale_days: int, region: str | None = None,
                  sort: str = "name", descending: bool | None = None) -> list[UnitRow]:
    """Every unit (in a region, if given) with its figures, sorted by one of UNIT_SORTS (one statement).

    descending=None sorts the column's own way first (UNIT_SORTS). Units that are not active are listed but
    never stale: nothing of theirs is for sale.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
    """
    if not actor.is_national:
        raise NotPermitted("only the coordinator sees the national overview")
    stale_before = now - timedelta(days=stale_days)
    published, stock, fulfilments = _published(), unit_stock(now=now, stale_before=stale_before), _open_fulfilments()
    zero = 0
    stmt = (
        select(Unit.id, Unit.slug, Unit.name, Unit.region, Unit.active,
               func.coalesce(published.c.goods, zero), func.coalesce(published.c.services, zero),
               func.coalesce(stock.c.records, zero), func.coalesce(stock.c.value_ore, zero),
               func.coalesce(stock.c.low, zero), func.coalesce(stock.c.out, zero),
               func.coalesce(stock.c.stale, zero), func.coalesce(fulfilments.c.open, zero), fulfilments.c.oldest,
               stock.c.last_confirmed)
        .outerjoin(published, published.c.unit_id == Unit.id)
        .outerjoin(stock, stock.c.unit_id == Unit.id)
        .outerjoin(fulfilments, fulfilments.c.unit_id == Unit.id)
    )
    if region:
        stmt = stmt.where(Unit.region == region)
    rows = [_unit_row(row, now=now, stale_before=stale_before) for row in session.execute(stmt.order_by(Unit.id))]
    return sort_units(rows, sort, descending)


def _unit_row(row, *, now: datetime, stale_before: datetime) -> UnitRow:
    (unit_id, slug, name, region, active, goods, services, records, value_ore, low, out, stale_records, open_count,
     oldest, confirmed) = row
    oldest, confirmed = aware(oldest), aware(confirmed)
    return UnitRow(
        unit_id=unit_id, slug=slug, name=name, region=region, active=active, goods=int(goods),
        services=int(services), records=int(records), value_ore=int(value_ore), low=int(low), out=int(out),
        stale_records=int(stale_records), open_fulfilments=int(open_count), oldest_open_at=oldest,
        last_confirmed_at=confirmed,
        oldest_open_days=None if oldest is None else max(0, (now - oldest).days),
        confirmed_days=None if confirmed is None else max(0, (now - confirmed).days),
        # Like a record on the stock page (StockRow.stale): never confirmed, or not since the limit.
        stale=bool(active and records and (confirmed is None or confirmed < stale_before)),
    )


def sort_units(rows: list[UnitRow], sort: str, descending: bool | None = None) -> list[UnitRow]:
    """Sort overview rows by one of UNIT_SORTS; ties (and rows without a value) by name."""
    if sort not in UNIT_SORTS:
        sort = "name"
    if descending is None:
        descending = UNIT_SORTS[sort] == "desc"
    by_name = sorted(rows, key=lambda r: (_collate(r.name), r.unit_id))
    if sort == "name":
        return list(reversed(by_name)) if descending else by_name

    def value(row: UnitRow):
        if sort == "confirmed":  # never confirmed is the stalest of all; no stock at all, the least stale
            if not row.records:
                return -1
            return float("inf") if row.confirmed_days is None else row.confirmed_days
        return {"region": _REGION_ORDER.get(row.region, len(_REGION_ORDER)), "goods": row.goods,
                "services": row.services, "value": row.value_ore, "low": row.low, "out": row.out,
                "open": row.open_fulfilments, "oldest": -1 if row.oldest_open_days is None else row.oldest_open_days,
                }[sort]

    return sorted(by_name, key=value, reverse=descending)


_REGION_ORDER = {code: n for n, code in enumerate(REGIONS)}  # north to east, as the regions are listed


def _collate(name: str) -> str:
    # Norwegian alphabetical order ends with æ, ø, å (in that order); code points put å before æ.
    return name.casefold().translate({ord("æ"): "{", ord("ø"): "|", ord("å"): "}"})


def totals(rows: list[UnitRow]) -> Totals:
    """The national sums of the rows shown."""
    return Totals(goods=sum(r.goods for r in rows), services=sum(r.services for r in rows),
                  value_ore=sum(r.value_ore for r in rows), low=sum(r.low for r in rows), out=sum(r.out for r in rows),
                  open_fulfilments=sum(r.open_fulfilments for r in rows), stale_units=sum(r.stale for r in rows))

