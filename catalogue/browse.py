"""Read side of the storefront: filtered, sorted, paginated product lists with a fixed number of queries."""
from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from catalogue import changes, fragments
from catalogue.models import REGIONS, Category, Product, ProductImage, Unit, on_sale, select_for_sale
from catalogue.search import matching
from catalogue.services import Availability, availability
from shop.core.paging import Page, PageOutOfRange, paginate

SORTS = ("newest", "price_asc", "price_desc", "name", "relevance")


@dataclass
class Filters:
    """What the shopper narrowed the list down to; every field is optional."""

    category_ids: list[int] | None = None
    unit_id: int | None = None
    region: str | None = None
    kind: str | None = None
    min_price_ore: int | None = None
    max_price_ore: int | None = None
    in_stock: bool = False
    query: str | None = None
    sort: str = "newest"


@dataclass(frozen=True)
class Picture:
    storage_key: str
    widths: list[int]
    width: int
    height: int
    alt_text: str


@dataclass
class Card:
    """A product as shown in a list."""

    id: int
    slug: str
    title: str
    summary: str
    price_ore: int
    kind: str
    unit_name: str
    unit_slug: str
    availability: Availability
    made_to_order: bool = False
    vat_rate_bp: int = 2500
    picture: Picture | None = None
    unit_id: int | None = None
    changes_at: datetime | None = None  # when its availability changes by itself (a hold expires)


def _filtered(session: Session, filters: Filters) -> tuple[Select, object | None]:
    """Return the filtered select of product ids (and the search rank column, if searching)."""
    rank = None
    if filters.query:
        found = matching(session, filters.query)
        if found is None:
            return select(Product.id).where(False), None
        stmt = select(Product.id).select_from(found.table).join(Product, Product.id == found.product_id).where(found.condition)
        rank = found.rank
    else:
        stmt = select(Product.id)
    stmt = stmt.join(Unit, Unit.id == Product.unit_id).where(on_sale())
    if filters.category_ids:
        stmt = stmt.where(Product.category_id.in_(filters.category_ids))
    if filters.unit_id is not None:
        stmt = stmt.where(Product.unit_id == filters.unit_id)
    if filters.region:
        stmt = stmt.where(Unit.region == filters.region)
    if filters.kind:
        stmt = stmt.where(Product.kind == filters.kind)
    if filters.min_price_ore is not None:
        stmt = stmt.where(Product.price_ore >= filters.min_price_ore)
    if filters.max_price_ore is not None:
        stmt = stmt.where(Product.price_ore <= filters.max_price_ore)
    if filters.in_stock:
        stmt = stmt.where(stock_source().in_stock(Product.id))
    return stmt, rank


def _ordering(sort: str, rank):
    if sort == "relevance" and rank is not None:
        return [rank, Product.published_at.desc(), Product.id.desc()]
    return {
        "price_asc": [Product.price_ore.asc(), Product.id.asc()],
        "price_desc": [Product.price_ore.desc(), Product.id.desc()],
        "name": [Product.title.asc(), Product.id.asc()],
    }.get(sort, [Product.published_at.desc(), Product.id.desc()])


def browse(session: Session, filters: Filters, *, page: int = 1, per_page: int = 24, load_cards: bool = True,
           keep_count: bool = False, kept_as: str | None = None) -> Page:
    """Return one page of published products matching the filters: their cards, or (load_cards=False) their
    ids, for catalogue.fragments.product_grid to show from the cached cards. With keep_count the number of
    matches is kept (catalogue.fragments.kept_count) until the lists change, rather than counted each time;
    with kept_as (a name for this page of this list, its address say) the page's ids are kept too, so a
    list page that is not cached builds no statement and asks the database nothing.

    A list filtered on stock changes when any hold expires: what is kept of it, and the page showing it, are
    kept no longer than that.

    Raises:
        PageOutOfRange: page is past the last page (page 1 of an empty result is fine).
    """
    def ordered() -> Select:
        stmt, rank = _filtered(session, filters)
        return stmt.order_by(*_ordering(filters.sort, rank))

    load = cards if load_cards else None
    if not keep_count:
        found = paginate(session, ordered(), page=page, per_page=per_page)
        return found.with_items(load(session, found.items)) if load else found
    tags = [changes.LISTINGS] + ([changes.IN_STOCK_LISTS] if filters.in_stock else [])
    until = stock_source().next_hold_expiry(session) if filters.in_stock else None
    changes.changes_at(until)  # the page showing the list, too
    key = repr(sorted((k, v) for k, v in vars(filters).items() if k != "sort"))  # the order changes no count

    def found_page() -> Page:
        if filters.query and fragments.enabled():
            matches = _kept_matches(session, ordered, filters, tags, until)
            if matches is not None:
                return _page_of(matches, page=page, per_page=per_page, load=None, session=session)
        return paginate(session, ordered(), page=page, per_page=per_page,
                        count=lambda counted: fragments.kept_count(key, tags, counted, until=until))

    if kept_as is None or not fragments.enabled():
        found = found_page()
    else:
        def page_record() -> str:
            found = found_page()
            return json.dumps([found.total, found.items, filters.query, filters.in_stock])

        total, ids, *_ = json.loads(fragments.kept(page_name(kept_as, page, per_page), tags, page_record, until=until))
        found = Page(items=ids, total=total, page=page, per_page=per_page)
    return found.with_items(load(session, found.items)) if load else found


def kept_page(session: Session, kept_as: str, *, page: int, per_page: int) -> tuple[Page, Filters] | None:
    """The page of product ids that browse(kept_as=...) kept, if catalogue.fragments.prefetch read it, with what
    the page shows of its filters (the search words; whether it lists only what is in stock); None otherwise.

    A page is kept only for filters that were valid, and under the same tags as what they were checked
    against (the units and categories), so a kept page needs no parsing of its filters."""
    value = fragments.peek(page_name(kept_as, page, per_page))
    if value is None:
        return None
    total, ids, query, in_stock = json.loads(value)
    filters = Filters(query=query, in_stock=in_stock)
    changes.shows(changes.LISTINGS, *([changes.IN_STOCK_LISTS] if in_stock else []))
    changes.changes_at(stock_source().next_hold_expiry(session) if in_stock else None)
    return Page(items=ids, total=total, page=page, per_page=per_page), filters


def page_name(kept_as: str, page: int, per_page: int) -> str:
    """What browse(kept_as=...) keeps a page of a list under (for catalogue.fragments.prefetch)."""
    return f"ids:{per_page}:{page}:{hashlib.sha1(kept_as.encode()).hexdigest()}"


KEPT_MATCHES = 5000


def _kept_matches(session: Session, ordered, filters: Filters, tags: list[str], until) -> list[int] | None:
    """Every match of a search in order, read once and kept until the lists change (None: too many to keep,
    page through the database instead). Each page of the search, and its count, come from the one list;
    ordered() builds the statement, only when the list is not kept."""
    key = "matches:" + hashlib.sha1(repr(sorted(vars(filters).items())).encode()).hexdigest()
    kept = fragments.kept(key, tags, lambda: json.dumps(list(session.scalars(ordered().limit(KEPT_MATCHES + 1)))),
                          until=until)
    ids = json.loads(kept)
    return ids if len(ids) <= KEPT_MATCHES else None


def _page_of(ids: list[int], *, page: int, per_page: int, load, session: Session) -> Page:
    if page < 1 or (page > 1 and (page - 1) * per_page >= len(ids)):
        raise PageOutOfRange(page)
    shown = ids[(page - 1) * per_page:page * per_page]
    return Page(items=load(session, shown) if load else shown, total=len(ids), page=page, per_page=per_page)


def for_sale_ids(session: Session, ids: list[int]) -> set[int]:
    """Which of these products are for sale now."""
    return set(session.scalars(select_for_sale(Product.id).where(Product.id.in_(ids))))


def featured_ids(session: Session, *, limit: int) -> list[int]:
    """The newest featured products for sale (kept until the lists change)."""
    def newest() -> str:
        return json.dumps(list(session.scalars(
            select_for_sale(Product.id).where(Product.featured.is_(True)).order_by(Product.published_at.desc())
            .limit(limit))))

    return json.loads(fragments.kept(f"featured:{limit}", [changes.LISTINGS], newest))


def product_for_sale(session: Session, slug: str) -> Product | None:
    """The product with this slug, with its unit and category, if it is for sale."""
    return session.scalar(
        select_for_sale(Product).where(Product.slug == slug)
        .options(joinedload(Product.unit), joinedload(Product.category).joinedload(Category.parent))
    )


def related_ids(session: Session, product: Product, *, limit: int = 4) -> list[int]:
    """Other products for sale in the same category, featured and newest first."""
    return list(session.scalars(
        select_for_sale(Product.id)
        .where(Product.category_id == product.category_id, Product.id != product.id)
        .order_by(Product.featured.desc(), Product.published_at.desc()).limit(limit)
    ))


def active_unit(session: Session, slug: str) -> Unit | None:
    """The active unit with this slug."""
    return session.scalar(select(Unit).where(Unit.slug == slug, Unit.active.is_(True)))


def sitemap_entries(session: Session):
    """What the sitemap lists, as (kind, slug, last modified) in a stable order, streamed from the database."""
    for slug in session.scalars(select(Category.slug).order_by(Category.id)):
        yield "category", slug, None
    for slug in session.scalars(select(Unit.slug).where(Unit.active.is_(True)).order_by(Unit.id)):
        yield "unit", slug, None
    rows = session.execute(
        select_for_sale(Product.slug, Product.updated_at).order_by(Product.id).execution_options(yield_per=2000)
    )
    for slug, updated_at in rows:
        yield "product", slug, updated_at


def cards(session: Session, ids: list[int]) -> list[Card]:
    """Load list cards for these product ids, in the given order, in three queries."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Product.id, Product.slug, Product.title, Product.summary, Product.price_ore, Product.kind, Product.vat_rate_bp,
            Product.made_to_order, Product.lead_time_days, Product.unit_id, Unit.name.label("unit_name"),
            Unit.slug.label("unit_slug"),
        )
        .join(Unit, Unit.id == Product.unit_id)
        .where(Product.id.in_(ids))
    ).all()
    stock = stock_source().shown(session, ids)
    pictures = first_pictures(session, ids)
    by_id = {}
    for row in rows:
        available, threshold, changes_at = stock.get(row.id, (0, 0, None))
        by_id[row.id] = Card(
            id=row.id, slug=row.slug, title=row.title, summary=row.summary, price_ore=row.price_ore, kind=row.kind,
            unit_name=row.unit_name, unit_slug=row.unit_slug, picture=pictures.get(row.id), made_to_order=row.made_to_order,
            vat_rate_bp=row.vat_rate_bp, unit_id=row.unit_id, changes_at=changes_at,
            availability=availability(
                kind=row.kind, made_to_order=row.made_to_order, lead_time_days=row.lead_time_days,
                available=available, low_threshold=threshold,
            ),
        )
    return [by_id[i] for i in ids if i in by_id]


def stock_source():
    """The stock questions the storefront asks, as the app wired them (``inventory.queries``).

    The catalogue does not import inventory: inventory depends on the catalogue (DESIGN.md), so
    create_app hands the catalogue its stock source.
    """
    return current_app.extensions["stock_source"]


def stock_totals(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return {product_id: (available, low-stock threshold)}, as one order line can get it."""
    return stock_source().totals(session, ids)


def first_pictures(session: Session, ids: list[int]) -> dict[int, Picture]:
    """Return the first live image of each product (pending ones wait for the coordinator's approval)."""
    first = (
        select(ProductImage.product_id, func.min(ProductImage.position).label("position"))
        .where(ProductImage.product_id.in_(ids), ProductImage.pending.is_(False))
        .group_by(ProductImage.product_id)
        .subquery()
    )
    rows = session.execute(
        select(ProductImage.product_id, ProductImage.storage_key, ProductImage.widths, ProductImage.width,
               ProductImage.height, ProductImage.alt_text)
        .join(first, and_(first.c.product_id == ProductImage.product_id, first.c.position == ProductImage.position))
        .where(ProductImage.pending.is_(False))
    )
    return {row.product_id: Picture(row.storage_key, list(row.widths), row.width, row.height, row.alt_text) for row in rows}


def pictures_of(session: Session, product_id: int) -> list[Picture]:
    """Return the product's live images in order; pending ones wait for the coordinator's approval."""
    rows = session.execute(
        select(ProductImage.storage_key, ProductImage.widths, ProductImage.width, ProductImage.height, ProductImage.alt_text)
        .where(ProductImage.product_id == product_id, ProductImage.pending.is_(False))
        .order_by(ProductImage.position, ProductImage.id)
    )
    return [Picture(r.storage_key, list(r.widths), r.width, r.height, r.alt_text) for r in rows]


def category_tree(session: Session) -> list[tuple[Category, list[Category]]]:
    """Return the top-level categories with their children, in position order (one query)."""
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.name)))
    children: dict[int | None, list[Category]] = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)
    return [(top, children[top.id]) for top in children[None]]


def find_category(tree: list[tuple[Category, list[Category]]], slug: str) -> tuple[Category | None, list[Category]]:
    """Return the category with this slug from a loaded tree, and its children (no extra query)."""
    for top, children in tree:
        if top.slug == slug:
            return top, children
        for child in children:
            if child.slug == slug:
                return child, []
    return None, []


def active_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)))


# The public national overview (/enheter, /enhet/<slug>): what each workshop can make or do

@dataclass(frozen=True)
class ServiceLink:
    slug: str
    title: str


@dataclass(frozen=True)
class UnitOffer:
    """An active unit with how many goods and services it has for sale, and the first of its services by title."""

    unit: Unit
    goods: int
    services: int
    service_links: list[ServiceLink]


def unit_offers(session: Session, *, region: str | None = None, unit_id: int | None = None,
                services_per_unit: int = 10) -> list[UnitOffer]:
    """Every active unit (in a region, or one unit) by name, with its counts of goods and services for sale and up
    to services_per_unit of its services (two queries, however many units)."""
    counts = (
        select(Product.unit_id.label("unit_id"),
               func.count().filter(Product.kind == "goods").label("goods"),
               func.count().filter(Product.kind == "service").label("services"))
        .where(Product.status == "published")
        .group_by(Product.unit_id)
        .subquery("offer_counts")
    )
    stmt = (select(Unit, func.coalesce(counts.c.goods, 0), func.coalesce(counts.c.services, 0))
            .outerjoin(counts, counts.c.unit_id == Unit.id).where(Unit.active.is_(True)))
    if region:
        stmt = stmt.where(Unit.region == region)
    if unit_id is not None:
        stmt = stmt.where(Unit.id == unit_id)
    rows = session.execute(stmt.order_by(Unit.name, Unit.id)).all()
    ids = [unit.id for unit, goods, services in rows if services]
    links: dict[int, list[ServiceLink]] = defaultdict(list)
    if ids and services_per_unit > 0:
        ranked = (
            select_for_sale(Product.unit_id, Product.slug, Product.title,
                            func.row_number().over(partition_by=Product.unit_id, order_by=(Product.title, Product.id))
                            .label("n"))
            .where(Product.kind == "service", Product.unit_id.in_(ids))
            .subquery("ranked_services")
        )
        for unit, slug, title in session.execute(
                select(ranked.c.unit_id, ranked.c.slug, ranked.c.title).where(ranked.c.n <= services_per_unit)
                .order_by(ranked.c.unit_id, ranked.c.n)):
            links[unit].append(ServiceLink(slug, title))
    return [UnitOffer(unit, int(goods), int(services), links.get(unit.id, [])) for unit, goods, services in rows]


# The categories and units every list page names, kept as plain values until the lists change

@dataclass(frozen=True)
class Shelf:
    """A category as the storefront shows it (the attributes its templates read of a Category)."""

    id: int
    slug: str
    name: str
    description: str | None
    parent: Shelf | None = None


@dataclass(frozen=True)
class Maker:
    """An active unit as the storefront's lists and filters show it."""

    id: int
    slug: str
    name: str
    region: str

    @property
    def region_label(self) -> str:
        return _region_label(self.region, str(get_locale()))


@functools.cache
def _region_label(region: str, locale: str) -> str:
    """A region's name in a language, translated once per process (the home page names every unit's)."""
    with force_locale(locale):
        return str(REGIONS[region])


SHELVES_AND_MAKERS = "shelves-and-makers"


def shelves_and_makers(session: Session) -> tuple[list[tuple[Shelf, list[Shelf]]], list[Maker]]:
    """The category tree (as category_tree) and the active units (as active_units), kept as plain values until
    the lists change (catalogue.fragments.kept), so a list page that is not cached does not load them."""
    def snapshot() -> str:
        return json.dumps({
            "tree": [[_shelf_row(top), [_shelf_row(c) for c in children]] for top, children in category_tree(session)],
            "units": [[u.id, u.slug, u.name, u.region] for u in active_units(session)],
        })

    kept = json.loads(fragments.kept(SHELVES_AND_MAKERS, [changes.LISTINGS], snapshot))
    tree = []
    for top_row, child_rows in kept["tree"]:
        top = Shelf(*top_row)
        tree.append((top, [Shelf(*row, parent=top) for row in child_rows]))
    return tree, [Maker(*row) for row in kept["units"]]


def _shelf_row(category: Category) -> list:
    return [category.id, category.slug, category.name, category.description]
