"""Collections: products the coordinator puts together ("Julegaver", "Til bedriften"), for the home page and
their own page.

The rules in one place:
- only the coordinator (or an admin) makes and changes collections; every change is in the audit log;
- a collection shows between its start and end day (Oslo calendar days, both included, either may be
  left open); outside them it is on no page and not in the sitemap, and its own address answers 404;
- a collection may hold any product, but the shop shows only those for sale: a product that is not
  published (or whose unit is inactive) is left out and the coordinator's page says so beside it; a
  sold-out product stays, with "sold out" on its card, and the coordinator's page marks it too;
- its picture goes through the same pipeline as product photos (catalogue.images) and needs alt text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalogue import browse, images, services
from catalogue.browse import Card, Picture
from catalogue.models import Collection, CollectionItem, Product, Unit, on_sale
from catalogue.storage import Storage, delete_on_commit, delete_on_rollback
from shop.core import audit
from shop.core.actor import Actor, NotPermitted

MAX_ITEMS = 60  # a collection is a selection, not a second catalogue
HOME_ITEMS = 4  # products of each collection on the home page
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CollectionNotFound(LookupError):
    """There is no such collection (or no such product in it)."""


class InvalidCollection(ValueError):
    """The collection breaks a rule; field names the form field, message says what is wrong (English)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class CollectionInput:
    title: str
    text: str = ""
    slug: str = ""  # made from the title when left empty
    starts_on: date | None = None
    ends_on: date | None = None
    on_home_page: bool = True
    position: int = 0


@dataclass(frozen=True)
class Item:
    """A product in a collection as the coordinator sees it: whether the shop shows it, and why not."""

    product_id: int
    title: str
    sku: str
    unit_name: str
    for_sale: bool
    sold_out: bool


@dataclass(frozen=True)
class Shown:
    """A collection as the shop shows it: its text, its picture and the cards of its products for sale."""

    collection: Collection
    picture: Picture | None
    cards: list[Card]


def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator curates collections")


def showing_on(today: date):
    """The condition "the collection shows on this Oslo day"."""
    return (or_(Collection.starts_on.is_(None), Collection.starts_on <= today)
            & or_(Collection.ends_on.is_(None), Collection.ends_on >= today))


# The coordinator

def all_collections(session: Session, actor: Actor) -> list[tuple[Collection, int]]:
    """Every collection with its number of products, in the home page's order."""
    _require_national(actor)
    counts = (select(CollectionItem.collection_id, func.count().label("n")).group_by(CollectionItem.collection_id)
              .subquery())
    return [(c, n or 0) for c, n in session.execute(
        select(Collection, counts.c.n).outerjoin(counts, counts.c.collection_id == Collection.id)
        .order_by(Collection.position, Collection.title))]


def load(session: Session, actor: Actor, collection_id: int, *, lock: bool = False) -> Collection:
    _require_national(actor)
    collection = session.get(Collection, collection_id, with_for_update=lock)
    if collection is None:
        raise CollectionNotFound(collection_id)
    return collection


def items(session: Session, actor: Actor, collection: Collection, *, now: datetime) -> list[Item]:
    """The collection's products in order, each saying whether the shop shows it and whether it is sold out."""
    _require_national(actor)
    rows = session.execute(
        select(Product.id, Product.title, Product.sku, Unit.name, on_sale(), Product.kind, Product.made_to_order)
        .join(CollectionItem, CollectionItem.product_id == Product.id).join(Unit, Unit.id == Product.unit_id)
        .where(CollectionItem.collection_id == collection.id).order_by(CollectionItem.position, CollectionItem.id)
    ).all()
    stock = browse.stock_totals(session, [r[0] for r in rows])
    return [Item(pid, title, sku, unit, bool(for_sale),
                 kind == "goods" and not made_to_order and stock.get(pid, (0, 0))[0] <= 0)
            for pid, title, sku, unit, for_sale, kind, made_to_order in rows]


def create(session: Session, actor: Actor, data: CollectionInput, *, now: datetime) -> Collection:
    """Raises: NotPermitted, InvalidCollection."""
    _require_national(actor)
    _check(data)
    slug = _slug(session, data)
    collection = Collection(title=data.title.strip(), text=data.text.strip(), slug=slug, starts_on=data.starts_on,
                            ends_on=data.ends_on, on_home_page=data.on_home_page, position=data.position,
                            image_widths=[], created_at=now, updated_at=now)
    session.add(collection)
    session.flush()
    audit.record(session, actor.user_id, "collection.created", "collection", collection.id, collection.title, now=now)
    return collection


def update(session: Session, actor: Actor, collection_id: int, data: CollectionInput, *, now: datetime) -> Collection:
    """Raises: NotPermitted, CollectionNotFound, InvalidCollection."""
    collection = load(session, actor, collection_id, lock=True)
    _check(data)
    slug = _slug(session, data, keep=collection)
    collection.title, collection.text, collection.slug = data.title.strip(), data.text.strip(), slug
    collection.starts_on, collection.ends_on = data.starts_on, data.ends_on
    collection.on_home_page, collection.position, collection.updated_at = data.on_home_page, data.position, now
    session.flush()
    audit.record(session, actor.user_id, "collection.changed", "collection", collection.id, collection.title, now=now)
    return collection


def delete(session: Session, actor: Actor, collection_id: int, *, storage: Storage, now: datetime) -> None:
    """Remove a collection (its products stay where they are); its picture's files go once the delete commits."""
    collection = load(session, actor, collection_id, lock=True)
    if collection.image_key:
        delete_on_commit(session, storage, collection.image_key)
    audit.record(session, actor.user_id, "collection.deleted", "collection", collection.id, collection.title, now=now)
    session.delete(collection)
    session.flush()


def set_picture(session: Session, actor: Actor, collection_id: int, data: bytes, *, alt_text: str, storage: Storage,
                now: datetime) -> Collection:
    """Run an upload through the image pipeline and make it the collection's picture (the old one's files go).

    Raises:
        NotPermitted, CollectionNotFound, InvalidCollection (no alt text), images.InvalidImage (reason says why).
    """
    collection = load(session, actor, collection_id, lock=True)
    alt_text = alt_text.strip()
    if not alt_text:
        raise InvalidCollection("image_alt", "describe the picture")
    stored = images.process_image(data, storage, prefix="collections")
    delete_on_rollback(session, storage, stored.storage_key)
    if collection.image_key:
        delete_on_commit(session, storage, collection.image_key)
    collection.image_key, collection.image_alt = stored.storage_key, alt_text[:300]
    collection.image_widths, collection.image_width, collection.image_height = stored.widths, stored.width, stored.height
    collection.updated_at = now
    session.flush()
    audit.record(session, actor.user_id, "collection.picture", "collection", collection.id, "", now=now)
    return collection


def add_product(session: Session, actor: Actor, collection_id: int, sku: str, *, now: datetime) -> Product:
    """Add the product with this item number at the end.

    Raises:
        NotPermitted, CollectionNotFound, InvalidCollection (unknown SKU, archived, already there, full).
    """
    collection = load(session, actor, collection_id, lock=True)
    product = session.scalar(select(Product).where(Product.sku == sku.strip()[:40]))
    if product is None or product.status == "archived":
        raise InvalidCollection("sku", "no such product")
    positions = dict(session.execute(select(CollectionItem.product_id, CollectionItem.position)
                                     .where(CollectionItem.collection_id == collection.id)).all())
    if product.id in positions:
        raise InvalidCollection("sku", "already in the collection")
    if len(positions) >= MAX_ITEMS:
        raise InvalidCollection("sku", "the collection is full")
    session.add(CollectionItem(collection_id=collection.id, product_id=product.id,
                               position=max(positions.values(), default=-1) + 1))
    collection.updated_at = now
    session.flush()
    audit.record(session, actor.user_id, "collection.product_added", "collection", collection.id, product.sku, now=now)
    return product


def remove_product(session: Session, actor: Actor, collection_id: int, product_id: int, *, now: datetime) -> None:
    """Raises: NotPermitted, CollectionNotFound (also when the product is not in it)."""
    collection = load(session, actor, collection_id, lock=True)
    item = _item(session, collection.id, product_id)
    session.delete(item)
    collection.updated_at = now
    session.flush()
    audit.record(session, actor.user_id, "collection.product_removed", "collection", collection.id, str(product_id),
                 now=now)


def move_product(session: Session, actor: Actor, collection_id: int, product_id: int, step: int, *,
                 now: datetime) -> None:
    """Move a product one place earlier (step -1) or later (+1); at either end nothing moves."""
    collection = load(session, actor, collection_id, lock=True)
    ordered = list(session.scalars(select(CollectionItem).where(CollectionItem.collection_id == collection.id)
                                   .order_by(CollectionItem.position, CollectionItem.id)))
    index = next((i for i, item in enumerate(ordered) if item.product_id == product_id), None)
    if index is None:
        raise CollectionNotFound(f"product {product_id} in collection {collection_id}")
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    collection.updated_at = now
    session.flush()


# The shop

def on_home_page(session: Session, *, today: date) -> list[Shown]:
    """The collections showing today that go on the home page, each with its first products for sale."""
    found = list(session.scalars(select(Collection).where(Collection.on_home_page.is_(True), showing_on(today))
                                 .order_by(Collection.position, Collection.title)))
    return [_shown(session, c, limit=HOME_ITEMS) for c in found]


def public(session: Session, slug: str, *, today: date) -> Shown | None:
    """The collection at this address if it shows today, with every product of it for sale."""
    collection = session.scalar(select(Collection).where(Collection.slug == slug, showing_on(today)))
    return _shown(session, collection) if collection else None


def sitemap_slugs(session: Session, *, today: date) -> list[tuple[str, datetime]]:
    return list(session.execute(select(Collection.slug, Collection.updated_at).where(showing_on(today))
                                .order_by(Collection.id)).tuples())


def _shown(session: Session, collection: Collection, *, limit: int | None = None) -> Shown:
    stmt = (select(CollectionItem.product_id).join(Product, Product.id == CollectionItem.product_id)
            .join(Unit, Unit.id == Product.unit_id)
            .where(CollectionItem.collection_id == collection.id, on_sale())
            .order_by(CollectionItem.position, CollectionItem.id))
    ids = list(session.scalars(stmt.limit(limit) if limit else stmt))
    picture = (Picture(collection.image_key, list(collection.image_widths), collection.image_width or 0,
                       collection.image_height or 0, collection.image_alt) if collection.image_key else None)
    return Shown(collection, picture, browse.cards(session, ids))


# The rules underneath

def _check(data: CollectionInput) -> None:
    if not data.title.strip() or len(data.title) > 200:
        raise InvalidCollection("title", "a title of at most 200 characters is required")
    if len(data.text) > 5000:
        raise InvalidCollection("text", "at most 5000 characters")
    if data.slug and (len(data.slug) > 80 or not SLUG.match(data.slug)):
        raise InvalidCollection("slug", "lower-case letters, digits and hyphens")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidCollection("ends_on", "the end is before the start")


def _slug(session: Session, data: CollectionInput, *, keep: Collection | None = None) -> str:
    if not data.slug:
        return keep.slug if keep else services.unique_slug(session, Collection, services.slugify(data.title)[:70])
    taken = session.scalar(select(Collection.id).where(Collection.slug == data.slug))
    if taken is not None and (keep is None or taken != keep.id):
        raise InvalidCollection("slug", "taken")
    return data.slug


def _item(session: Session, collection_id: int, product_id: int) -> CollectionItem:
    item = session.scalar(select(CollectionItem).where(CollectionItem.collection_id == collection_id,
                                                       CollectionItem.product_id == product_id))
    if item is None:
        raise CollectionNotFound(f"product {product_id} in collection {collection_id}")
    return item

