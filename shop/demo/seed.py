"""Demo data: load the demo catalogue (units, categories, products, stock, pictures) and the demo logins."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Category, Product, ProductImage, Unit
from catalogue.search import index_products
from catalogue.services import (
    add_image,
    create_category,
    create_product,
    create_unit,
    publish,
    slugify,
)
from inventory.services import adjust, ensure_stock_record
from shop.accounts.models import User
from shop.accounts.services import create_user
from shop.demo import data
from shop.demo.pictures import PALETTES, SHAPE_NAMES, render_illustration

DEMO_SEED = 20261120  # the demo catalogue is the same every time it is loaded
PUBLISHED_WITHIN_DAYS = 120
LOW_STOCK_THRESHOLD = 3
OUT_OF_STOCK_COUNT = 7
LOW_STOCK_COUNT = 12


def _describe_login(role: str, unit_slug: str | None) -> str:
    unit_name = next((unit.name for unit in data.UNITS if unit.slug == unit_slug), "")
    return {
        "customer": "customer (private buyer)",
        "staff": f"staff at {unit_name}",
        "coordinator": f"coordinator at {unit_name} (operator unit)",
        "admin": "administrator",
    }[role]


# role -> (e-mail, password, what the login is); printed by `flask seed-demo`. Demo passwords only.
DEMO_LOGINS: dict[str, tuple[str, str, str]] = {
    role: (email, password, _describe_login(role, unit_slug))
    for role, (email, password, _name, unit_slug) in data.LOGINS.items()
}


# --- The demo catalogue as listings (pure: the same list every time) --------------------------

@dataclass(frozen=True)
class Listing:
    """One demo product: a variant of a product type, made at one unit."""

    ptype: data.ProductType
    variant: data.Variant
    unit: data.UnitSpec

    @property
    def title(self) -> str:
        return self.variant.title

    @property
    def slug(self) -> str:
        return slugify(self.variant.title)

    @property
    def featured(self) -> bool:
        return self.variant.title in data.FEATURED


def demo_listings() -> list[Listing]:
    """Expand the product types and services into listings, spreading each trade's types over its units."""
    units = {unit.slug: unit for unit in data.UNITS}
    by_trade: dict[str, list[data.UnitSpec]] = {}
    for unit in data.UNITS:
        for trade in unit.trades:
            by_trade.setdefault(trade, []).append(unit)
    turn: dict[str, int] = {}
    listings = []
    for ptype in data.PRODUCT_TYPES + data.SERVICES:
        if ptype.units:
            makers = [units[slug] for slug in ptype.units]
            listings += [Listing(ptype, v, makers[i % len(makers)]) for i, v in enumerate(ptype.variants)]
        else:
            makers = by_trade[ptype.trade]
            unit = makers[turn.get(ptype.trade, 0) % len(makers)]
            turn[ptype.trade] = turn.get(ptype.trade, 0) + 1
            listings += [Listing(ptype, v, unit) for v in ptype.variants]
    titles = [listing.title for listing in listings]
    if len(set(titles)) != len(titles):
        raise ValueError("demo titles must be unique: they give the slugs")
    return listings


def listing_texts(ptype: data.ProductType, variant: data.Variant, unit_name: str) -> dict[str, Any]:
    """Return summary, description, attributes and training value for a variant made at a unit."""
    material = data.MATERIALS.get(variant.material or "")
    fill = {"materiale": material.name if material else ""}
    sentences = [(variant.description or ptype.description).format(**fill)]
    if material:
        sentences.append(material.about)
    verb = "Utføres" if ptype.kind == "service" else "Laget"
    sentences.append(f"{verb} {data.WORKSHOPS[ptype.trade]} ved {unit_name}.")
    attributes: dict[str, str] = {}
    if material and ptype.kind == "goods":
        attributes["Materiale"] = material.name[:1].upper() + material.name[1:]
        if material.finish:
            attributes["Overflate"] = material.finish
    attributes |= ptype.attributes | variant.attributes
    return {
        "summary": (variant.summary or ptype.summary).format(**fill),
        "description": " ".join(sentences),
        "attributes": attributes,
        "training_value": data.TRAINING[ptype.trade],
    }


def top_level(category_slug: str) -> data.CategorySpec:
    return next(top for top in data.CATEGORIES if category_slug in dict(top.children))


# --- Loading the demo ------------------------------------------------------------------------------

def seed_demo(session: Session, *, media_root: str | Path) -> str:
    """Load the demo catalogue unless it is there already; return a summary, or "" when nothing changed.

    The operator unit's slug marks the demo as loaded. Flushes, never commits.
    """
    if session.scalar(select(Unit.id).where(Unit.slug == data.OPERATOR_UNIT_SLUG)) is not None:
        return ""
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(DEMO_SEED)
    units = {spec.slug: create_unit(
        session, name=spec.name, region=spec.region, slug=spec.slug, description=spec.description,
        trades=list(spec.trades), contact_email=spec.contact_email, postal_address=spec.postal_address,
    ) for spec in data.UNITS}
    categories = _create_categories(session)
    listings = demo_listings()
    products = _create_products(session, listings, units, categories, rng, now)
    _stock_products(session, products, units, rng)
    _illustrate_products(session, products, media_root)
    logins = _create_logins(session, units)
    index_products(session, [product.id for product, _ in products])
    session.flush()
    goods = sum(1 for _, listing in products if listing.ptype.kind == "goods")
    return (
        f"{len(units)} units, {len(categories)} categories, {goods} goods, {len(products) - goods} services, "
        f"{logins} logins"
    )


def _create_categories(session: Session) -> dict[str, Category]:
    categories = {}
    for position, top in enumerate(data.CATEGORIES, start=1):
        parent = create_category(
            session, name=top.name, slug=top.slug, position=position * 10, description=top.description,
        )
        categories[top.slug] = parent
        for child_position, (slug, name) in enumerate(top.children, start=1):
            categories[slug] = create_category(
                session, name=name, slug=slug, parent=parent, position=child_position * 10,
            )
    return categories


def _create_products(
    session: Session, listings: list[Listing], units: dict[str, Unit], categories: dict[str, Category],
    rng: random.Random, now: datetime,
) -> list[tuple[Product, Listing]]:
    made = []
    for listing in listings:
        ptype, variant = listing.ptype, listing.variant
        published_at = now - timedelta(minutes=rng.randint(5, PUBLISHED_WITHIN_DAYS * 24 * 60))
        product = create_product(
            session, unit=units[listing.unit.slug], category=categories[ptype.category], title=listing.title,
            price_ore=variant.price_kr * 100, index=False, slug=listing.slug, kind=ptype.kind,
            vat_rate_bp=ptype.vat_rate_bp, featured=listing.featured, made_to_order=ptype.made_to_order,
            lead_time_days=ptype.lead_time_days, created_at=published_at - timedelta(days=rng.randint(2, 14)),
            **listing_texts(ptype, variant, listing.unit.name),
        )
        publish(session, product, now=published_at)
        made.append((product, listing))
    return made


def _stock_products(
    session: Session, products: list[tuple[Product, Listing]], units: dict[str, Unit], rng: random.Random,
) -> None:
    """Give every goods listing a stock record: most in stock, some low, some sold out, a few at two units."""
    goods = [(p, listing) for p, listing in products if p.kind == "goods"]
    ordinary = [p.id for p, listing in goods
                if not p.made_to_order and not p.featured and listing.title not in data.SECOND_STOCKISTS]
    sold_out = set(rng.sample(ordinary, OUT_OF_STOCK_COUNT))
    low = set(rng.sample([i for i in ordinary if i not in sold_out], LOW_STOCK_COUNT))
    for product, listing in goods:
        if product.id in sold_out:
            quantity = 0
        elif product.id in low:
            quantity = rng.randint(1, 2)
        elif product.made_to_order:
            quantity = rng.choice((0, 0, 1, 2))
        else:
            quantity = rng.randint(5, 40)
        _stock(session, product, product.unit_id, quantity)
        second = data.SECOND_STOCKISTS.get(listing.title)
        if second:
            _stock(session, product, units[second].id, rng.randint(4, 15))


def _stock(session: Session, product: Product, unit_id: int, quantity: int) -> None:
    record = ensure_stock_record(
        session, product_id=product.id, unit_id=unit_id, low_stock_threshold=LOW_STOCK_THRESHOLD,
    )
    if quantity:
        adjust(session, record.id, quantity, reason="produced", now=product.published_at, note="Startlager (demodata)")


def _create_logins(session: Session, units: dict[str, Unit]) -> int:
    made = 0
    for role, (email, password, name, unit_slug) in data.LOGINS.items():
        if session.scalar(select(User.id).where(User.email == email)) is None:
            unit_id = units[unit_slug].id if unit_slug else None
            create_user(session, email=email, password=password, name=name, role=role, unit_id=unit_id)
            made += 1
    return made


# --- Pictures --------------------------------------------------------------------------------------

def _picture_key(listing: Listing) -> tuple[str, str]:
    """Featured listings get a picture of their own; the rest share one per (category, shape)."""
    if listing.featured:
        return (listing.ptype.category, "title:" + listing.title)
    return (listing.ptype.category, listing.ptype.shape)


def _illustrate_products(session: Session, products: list[tuple[Product, Listing]], media_root: str | Path) -> None:
    # Each picture goes through the real image pipeline once; listings that share it get their own
    # ProductImage row pointing at the same files, which keeps loading the demo quick.
    pictures: dict[tuple[str, str], ProductImage] = {}
    category_names = {slug: name for top in data.CATEGORIES for slug, name in top.children}
    for product, listing in products:
        key = _picture_key(listing)
        shared = pictures.get(key)
        if shared is not None:
            session.add(ProductImage(
                product_id=product.id, position=0, alt_text=shared.alt_text, storage_key=shared.storage_key,
                widths=list(shared.widths), width=shared.width, height=shared.height,
            ))
            continue
        palette = PALETTES[top_level(listing.ptype.category).slug]
        label = listing.title if listing.featured else category_names[listing.ptype.category]
        alt = (f"Tegnet illustrasjon av {SHAPE_NAMES[listing.ptype.shape]} på {palette.name} bakgrunn, "
               f"med teksten «{label}».")
        pictures[key] = add_image(
            session, product, render_illustration(label, listing.ptype.shape, palette), alt_text=alt,
            media_root=media_root,
        )
    session.flush()
