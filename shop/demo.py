"""Demo and benchmark data: load the demo catalogue (units, categories, products, stock, pictures, logins)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from catalogue.images import draw_illustration
from catalogue.models import Category, Product, ProductImage, Unit
from catalogue.search import index_products
from catalogue.services import add_image, create_category, create_product, create_unit, publish, slugify
from inventory.models import StockMovement, StockRecord
from inventory.services import adjust, ensure_stock_record
from shop import demo_data as data
from shop.accounts import create_user
from shop.models import User

DEMO_SEED = 20261120  # the demo catalogue is the same every time it is loaded
PUBLISHED_WITHIN_DAYS = 120
BENCH_PUBLISHED_WITHIN_DAYS = 365
BENCH_BATCH = 2000
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


def _top_level(category_slug: str) -> data.CategorySpec:
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
        palette = PALETTES[_top_level(listing.ptype.category).slug]
        label = listing.title if listing.featured else category_names[listing.ptype.category]
        alt = (f"Tegnet illustrasjon av {SHAPE_NAMES[listing.ptype.shape]} på {palette.name} bakgrunn, "
               f"med teksten «{label}».")
        pictures[key] = add_image(
            session, product, render_illustration(label, listing.ptype.shape, palette), alt_text=alt,
            media_root=media_root,
        )
    session.flush()


@dataclass(frozen=True)
class Palette:
    """The colours of one top-level category's pictures."""

    name: str  # the background colour in words, for the alt text
    bg: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]


PALETTES = {
    "mobler": Palette("lys beige", (236, 225, 206), (112, 76, 46), (184, 138, 92)),
    "hage-og-uterom": Palette("lys grønn", (214, 232, 208), (58, 96, 62), (132, 170, 112)),
    "kjokken-og-servering": Palette("ferskenfarget", (247, 226, 206), (140, 78, 50), (214, 150, 108)),
    "tekstil": Palette("lys blå", (220, 228, 243), (48, 68, 118), (122, 144, 196)),
    "trykk-og-papir": Palette("kremhvit", (246, 241, 222), (58, 60, 72), (204, 78, 62)),
    "metall-og-verktoy": Palette("lys grå", (224, 226, 230), (56, 60, 68), (168, 132, 88)),
    "barn-og-lek": Palette("lys rosa", (250, 226, 226), (168, 68, 80), (238, 180, 72)),
    "mat-og-bakst": Palette("lys gul", (250, 238, 200), (140, 88, 32), (212, 150, 62)),
    "tjenester": Palette("lys turkis", (222, 238, 238), (36, 98, 108), (112, 172, 172)),
}

# What each shape shows, for the alt text.
SHAPE_NAMES = {
    "bench": "en benk", "table": "et bord", "chair": "en stol", "stool": "en krakk", "nightstand": "et nattbord",
    "shelf": "en hylle med bøker og en plante", "box": "en trekasse med lokk", "armchair": "en polstret lenestol",
    "footstool": "en polstret skammel", "lounger": "en solseng", "planter": "en plantekasse med grønne blader",
    "birdhouse": "en fuglekasse", "insecthotel": "et insekthotell", "firepit": "en bålpanne med flammer",
    "grate": "en rund grillrist", "lograck": "et vedstativ med ved", "board": "et skjærebrett med håndtak",
    "utensil": "en sleiv og en stekespade", "mug": "et krus", "bowl": "en skål", "vase": "en vase med kvister",
    "basket": "en flettet kurv med hank", "tray": "et serveringsbrett", "bag": "en veske med hanker",
    "apron": "et forkle", "pillow": "en pute", "blanket": "et sammenbrettet pledd", "folded": "en stabel tekstiler",
    "notebook": "en notatbok", "cards": "et kort og en konvolutt", "poster": "en plakat med fjell og sol",
    "calendar": "en kalender", "axe": "en øks", "spade": "en spade", "candle": "en lysestake med tent lys",
    "lantern": "en lykt", "hooks": "en knaggrekke", "toolbox": "en verktøykasse", "toycar": "en lekebil",
    "pram": "en dukkevogn", "animal": "en elg på hjul", "blocks": "byggeklosser", "chess": "et sjakkbrett",
    "bread": "et brød", "jar": "et glass med lokk", "bottle": "en flaske", "washer": "en vaskemaskin",
    "printer": "en trykkpresse med ark", "wrench": "en fastnøkkel med gnister", "cloche": "et serveringsfat med lokk",
    "saw": "en håndsag",
}


# Shapes are lists of drawing steps, in coordinates from 0 to 1 across the object box, with colours
# named from the palette ("ink", "accent", "shade") or fixed ("paper", "metal", "wood", "flame" …).
Point = tuple[float, float]
Step = tuple[str, tuple, str, float]  # (kind, coordinates, colour, radius or line width)


def R(x0: float, y0: float, x1: float, y1: float, colour: str, radius: float = 0.0) -> Step:
    """A rectangle, rounded by radius (a fraction of its shorter side)."""
    return ("rect", (x0, y0, x1, y1), colour, radius)


def E(x0: float, y0: float, x1: float, y1: float, colour: str) -> Step:
    """An ellipse inside the box."""
    return ("ellipse", (x0, y0, x1, y1), colour, 0)


def P(colour: str, *points: Point) -> Step:
    """A filled polygon."""
    return ("poly", points, colour, 0)


def L(colour: str, width: int, *points: Point) -> Step:
    """A line through the points, width pixels wide."""
    return ("line", points, colour, width)


def A(x0: float, y0: float, x1: float, y1: float, start: float, end: float, colour: str, width: int) -> Step:
    """An arc of the ellipse in the box, from start to end degrees."""
    return ("arc", (x0, y0, x1, y1, start, end), colour, width)


def S(x0: float, y0: float, x1: float, y1: float, start: float, end: float, colour: str) -> Step:
    """A filled slice of the ellipse in the box."""
    return ("pie", (x0, y0, x1, y1, start, end), colour, 0)


def _grid(x0: float, y0: float, x1: float, y1: float, n: int, colour_a: str, colour_b: str) -> list[Step]:
    w, h = (x1 - x0) / n, (y1 - y0) / n
    return [R(x0 + i * w, y0 + j * h, x0 + (i + 1) * w, y0 + (j + 1) * h, colour_a if (i + j) % 2 else colour_b)
            for i in range(n) for j in range(n)]


SHAPES: dict[str, list[Step]] = {
    "bench": [R(0.02, 0.42, 0.98, 0.52, "ink", 0.2), R(0.08, 0.52, 0.15, 0.95, "ink"),
              R(0.85, 0.52, 0.92, 0.95, "ink"), R(0.15, 0.74, 0.85, 0.78, "accent"),
              R(0.04, 0.42, 0.96, 0.445, "accent")],
    "table": [R(0.0, 0.28, 1.0, 0.36, "ink", 0.2), R(0.05, 0.36, 0.95, 0.43, "accent"),
              R(0.05, 0.36, 0.12, 0.95, "ink"), R(0.88, 0.36, 0.95, 0.95, "ink")],
    "chair": [R(0.30, 0.05, 0.36, 0.95, "ink"), R(0.64, 0.05, 0.70, 0.95, "ink"),
              R(0.26, 0.52, 0.74, 0.60, "ink", 0.2), R(0.36, 0.10, 0.64, 0.17, "accent"),
              R(0.36, 0.23, 0.64, 0.29, "accent"), R(0.36, 0.35, 0.64, 0.41, "accent"),
              R(0.36, 0.78, 0.64, 0.81, "accent")],
    "stool": [P("ink", (0.30, 0.38), (0.37, 0.38), (0.25, 0.95), (0.18, 0.95)),
              P("ink", (0.63, 0.38), (0.70, 0.38), (0.82, 0.95), (0.75, 0.95)), R(0.47, 0.38, 0.53, 0.92, "accent"),
              R(0.27, 0.68, 0.73, 0.71, "accent"), R(0.24, 0.29, 0.76, 0.39, "ink", 0.5)],
    "nightstand": [R(0.32, 0.80, 0.36, 0.95, "ink"), R(0.64, 0.80, 0.68, 0.95, "ink"),
                   R(0.28, 0.22, 0.72, 0.82, "ink", 0.05), R(0.32, 0.27, 0.68, 0.44, "accent"),
                   E(0.47, 0.33, 0.53, 0.38, "ink"), R(0.32, 0.50, 0.68, 0.77, "shade"),
                   R(0.36, 0.60, 0.44, 0.77, "paper"), R(0.45, 0.63, 0.52, 0.77, "accent")],
    "shelf": [R(0.22, 0.03, 0.27, 0.97, "ink"), R(0.73, 0.03, 0.78, 0.97, "ink")]
             + [R(0.22, y, 0.78, y + 0.04, "ink") for y in (0.05, 0.30, 0.55, 0.80)]
             + [R(0.30, 0.14, 0.34, 0.30, "accent"), R(0.35, 0.17, 0.39, 0.30, "paper"),
                R(0.40, 0.12, 0.44, 0.30, "accent"), R(0.56, 0.47, 0.66, 0.55, "ink"),
                E(0.52, 0.34, 0.60, 0.49, "leaf"), E(0.60, 0.36, 0.70, 0.49, "leaf"),
                R(0.30, 0.66, 0.36, 0.80, "paper"), R(0.37, 0.64, 0.42, 0.80, "accent"),
                P("accent", (0.55, 0.80), (0.62, 0.66), (0.66, 0.68), (0.60, 0.80))],
    "box": [R(0.15, 0.42, 0.85, 0.92, "ink", 0.03), R(0.12, 0.34, 0.88, 0.43, "accent", 0.2),
            R(0.15, 0.58, 0.85, 0.60, "accent"), R(0.15, 0.75, 0.85, 0.77, "accent"),
            R(0.20, 0.48, 0.30, 0.53, "shade", 0.5), R(0.70, 0.48, 0.80, 0.53, "shade", 0.5)],
    "armchair": [R(0.22, 0.80, 0.27, 0.95, "ink"), R(0.73, 0.80, 0.78, 0.95, "ink"),
                 R(0.24, 0.10, 0.76, 0.62, "accent", 0.25), R(0.18, 0.55, 0.82, 0.82, "accent", 0.2),
                 L("shade", 6, (0.24, 0.66), (0.76, 0.66)), R(0.08, 0.40, 0.26, 0.84, "ink", 0.4),
                 R(0.74, 0.40, 0.92, 0.84, "ink", 0.4)],
    "footstool": [R(0.25, 0.66, 0.30, 0.92, "ink"), R(0.70, 0.66, 0.75, 0.92, "ink"),
                  R(0.18, 0.40, 0.82, 0.70, "accent", 0.35), L("shade", 6, (0.24, 0.55), (0.76, 0.55))],
    "lounger": [P("ink", (0.05, 0.62), (0.70, 0.62), (0.70, 0.68), (0.05, 0.68)),
                P("ink", (0.66, 0.62), (0.92, 0.25), (0.97, 0.29), (0.74, 0.64)), R(0.08, 0.68, 0.12, 0.90, "ink"),
                R(0.62, 0.68, 0.66, 0.88, "ink"), E(0.02, 0.80, 0.14, 0.95, "shade"),
                R(0.08, 0.56, 0.68, 0.62, "accent", 0.5),
                P("accent", (0.70, 0.58), (0.90, 0.26), (0.94, 0.30), (0.75, 0.60))],
    "planter": [E(0.24, 0.10, 0.46, 0.48, "leaf"), E(0.40, 0.02, 0.60, 0.47, "leaf2"),
                E(0.55, 0.14, 0.77, 0.48, "leaf"), P("ink", (0.18, 0.45), (0.82, 0.45), (0.76, 0.95), (0.24, 0.95)),
                R(0.14, 0.42, 0.86, 0.49, "accent", 0.3), L("accent", 8, (0.21, 0.62), (0.79, 0.62)),
                L("accent", 8, (0.23, 0.78), (0.77, 0.78))],
    "birdhouse": [R(0.47, 0.80, 0.53, 1.0, "shade"), R(0.30, 0.36, 0.70, 0.84, "ink", 0.03),
                  P("accent", (0.22, 0.40), (0.50, 0.06), (0.78, 0.40)), E(0.43, 0.48, 0.57, 0.62, "shade"),
                  R(0.48, 0.66, 0.52, 0.72, "accent")],
    "insecthotel": [R(0.28, 0.28, 0.72, 0.92, "ink", 0.02), P("accent", (0.22, 0.32), (0.50, 0.06), (0.78, 0.32))]
                   + [E(0.32 + i * 0.13, 0.36 + j * 0.18, 0.42 + i * 0.13, 0.48 + j * 0.18,
                        "paper" if (i + j) % 2 else "accent")
                      for i in range(3) for j in range(3)],
    "firepit": [P("flame", (0.34, 0.34), (0.40, 0.10), (0.47, 0.24), (0.52, 0.02), (0.58, 0.22), (0.63, 0.12),
                  (0.68, 0.34)),
                P("flame2", (0.42, 0.34), (0.47, 0.20), (0.52, 0.30), (0.57, 0.18), (0.60, 0.34)),
                S(0.12, -0.05, 0.88, 0.72, 0, 180, "ink"), R(0.10, 0.30, 0.90, 0.35, "shade", 0.5),
                P("ink", (0.28, 0.62), (0.33, 0.62), (0.24, 0.95), (0.19, 0.95)),
                P("ink", (0.67, 0.62), (0.72, 0.62), (0.81, 0.95), (0.76, 0.95))],
    "grate": [E(0.18, 0.12, 0.82, 0.88, "ink"), E(0.22, 0.17, 0.78, 0.83, "bg")]
             + [L("ink", 10, (0.22 + i * 0.08, 0.22), (0.22 + i * 0.08, 0.78)) for i in range(1, 7)]
             + [R(0.80, 0.46, 0.98, 0.54, "accent", 0.5)],
    "lograck": [L("ink", 14, (0.22, 0.10), (0.22, 0.90), (0.78, 0.90), (0.78, 0.10))]
               + [E(0.24 + i * 0.135, 0.20 + j * 0.17, 0.38 + i * 0.135, 0.38 + j * 0.17, "accent")
                  for i in range(4) for j in range(4)]
               + [E(0.29 + i * 0.135, 0.26 + j * 0.17, 0.33 + i * 0.135, 0.32 + j * 0.17, "shade")
                  for i in range(4) for j in range(4)],
    "board": [R(0.06, 0.36, 0.80, 0.72, "ink", 0.2), R(0.78, 0.47, 0.98, 0.61, "ink", 0.5),
              E(0.90, 0.51, 0.94, 0.57, "bg"), L("accent", 5, (0.12, 0.46), (0.74, 0.46)),
              L("accent", 5, (0.12, 0.55), (0.70, 0.55)), L("accent", 5, (0.16, 0.63), (0.74, 0.63))],
    "utensil": [R(0.31, 0.35, 0.36, 0.95, "ink", 0.5), E(0.24, 0.06, 0.43, 0.40, "ink"),
                E(0.28, 0.11, 0.39, 0.34, "shade"), R(0.62, 0.40, 0.67, 0.95, "accent", 0.5),
                R(0.56, 0.06, 0.73, 0.43, "accent", 0.25)],
    "mug": [A(0.56, 0.36, 0.82, 0.72, 270, 90, "ink", 30), R(0.28, 0.26, 0.66, 0.90, "ink", 0.12),
            R(0.28, 0.32, 0.66, 0.40, "accent"), A(0.36, 0.02, 0.46, 0.22, 90, 270, "shade", 6),
            A(0.48, 0.02, 0.58, 0.22, 90, 270, "shade", 6)],
    "bowl": [S(0.10, 0.05, 0.90, 0.85, 0, 180, "ink"), E(0.10, 0.39, 0.90, 0.51, "accent"),
             E(0.16, 0.41, 0.84, 0.49, "shade"), R(0.40, 0.83, 0.60, 0.88, "ink", 0.3)],
    "vase": [L("leaf", 6, (0.50, 0.20), (0.40, 0.0)), L("leaf", 6, (0.50, 0.20), (0.62, 0.02)),
             L("leaf", 6, (0.50, 0.20), (0.50, -0.02)), E(0.28, 0.40, 0.72, 0.96, "ink"),
             R(0.42, 0.14, 0.58, 0.50, "ink"), R(0.39, 0.12, 0.61, 0.17, "accent", 0.5),
             L("accent", 8, (0.31, 0.66), (0.69, 0.66))],
    "basket": [A(0.26, 0.08, 0.74, 0.80, 180, 360, "ink", 26),
               P("ink", (0.18, 0.44), (0.82, 0.44), (0.73, 0.93), (0.27, 0.93)), E(0.30, 0.38, 0.40, 0.48, "berry"),
               E(0.40, 0.36, 0.50, 0.46, "berry"), E(0.50, 0.38, 0.60, 0.48, "berry"),
               E(0.58, 0.37, 0.68, 0.47, "berry")]
              + [L("accent", 6, (0.20 + k * 0.015, 0.52 + k * 0.1), (0.80 - k * 0.015, 0.52 + k * 0.1))
                 for k in range(4)],
    "tray": [P("ink", (0.14, 0.48), (0.86, 0.48), (0.96, 0.76), (0.04, 0.76)),
             P("accent", (0.19, 0.52), (0.81, 0.52), (0.88, 0.70), (0.12, 0.70)),
             R(0.04, 0.76, 0.96, 0.82, "shade"), E(0.15, 0.40, 0.25, 0.56, "paper"),
             E(0.70, 0.38, 0.80, 0.56, "paper")],
    "bag": [A(0.32, 0.10, 0.48, 0.70, 180, 360, "accent", 16), A(0.52, 0.10, 0.68, 0.70, 180, 360, "accent", 16),
            R(0.24, 0.38, 0.76, 0.94, "ink", 0.05), R(0.34, 0.60, 0.66, 0.82, "accent", 0.05)],
    "apron": [A(0.38, -0.04, 0.62, 0.26, 180, 360, "accent", 12),
              P("ink", (0.38, 0.10), (0.62, 0.10), (0.62, 0.34), (0.76, 0.42), (0.72, 0.96), (0.28, 0.96),
                (0.24, 0.42), (0.38, 0.34)),
              L("accent", 10, (0.25, 0.43), (0.08, 0.55)), L("accent", 10, (0.75, 0.43), (0.92, 0.55)),
              R(0.38, 0.56, 0.62, 0.74, "accent", 0.1)],
    "pillow": [R(0.16, 0.24, 0.84, 0.82, "accent", 0.3), R(0.22, 0.30, 0.78, 0.76, "shade", 0.3),
               R(0.25, 0.33, 0.75, 0.73, "accent", 0.3), L("ink", 8, (0.30, 0.53), (0.70, 0.53)),
               L("ink", 8, (0.50, 0.38), (0.50, 0.68))],
    "blanket": [R(0.12, 0.58, 0.88, 0.80, "ink", 0.15), R(0.16, 0.38, 0.84, 0.60, "accent", 0.15),
                R(0.20, 0.20, 0.80, 0.40, "ink", 0.15), L("paper", 6, (0.20, 0.30), (0.80, 0.30)),
                L("paper", 6, (0.16, 0.49), (0.84, 0.49)), L("paper", 6, (0.12, 0.69), (0.88, 0.69))]
               + [L("ink", 4, (0.14 + k * 0.04, 0.80), (0.14 + k * 0.04, 0.86)) for k in range(19)],
    "folded": [R(0.14, 0.70, 0.86, 0.88, "ink", 0.2), R(0.18, 0.52, 0.82, 0.70, "accent", 0.2),
               R(0.22, 0.34, 0.78, 0.52, "paper", 0.2), L("accent", 8, (0.22, 0.40), (0.78, 0.40)),
               L("ink", 8, (0.18, 0.58), (0.82, 0.58)), L("accent", 8, (0.14, 0.76), (0.86, 0.76))],
    "notebook": [R(0.30, 0.06, 0.72, 0.94, "ink", 0.04), R(0.30, 0.06, 0.36, 0.94, "shade"),
                 R(0.63, 0.06, 0.66, 0.94, "accent"), R(0.42, 0.28, 0.60, 0.38, "paper", 0.1)],
    "cards": [P("paper", (0.14, 0.30), (0.48, 0.20), (0.58, 0.78), (0.24, 0.88)),
              E(0.28, 0.42, 0.42, 0.56, "accent"), P("accent", (0.40, 0.46), (0.48, 0.44), (0.42, 0.50)),
              R(0.46, 0.44, 0.90, 0.82, "accent", 0.03), L("ink", 6, (0.46, 0.44), (0.68, 0.64), (0.90, 0.44))],
    "poster": [R(0.24, 0.02, 0.76, 0.98, "ink"), R(0.27, 0.06, 0.73, 0.94, "paper"),
               E(0.52, 0.16, 0.64, 0.31, "accent"),
               P("shade", (0.27, 0.78), (0.40, 0.46), (0.50, 0.64), (0.58, 0.50), (0.73, 0.78)),
               P("accent", (0.27, 0.94), (0.27, 0.78), (0.73, 0.78), (0.73, 0.94))],
    "calendar": [R(0.22, 0.12, 0.78, 0.94, "paper", 0.03), R(0.22, 0.12, 0.78, 0.30, "accent", 0.03),
                 R(0.34, 0.06, 0.37, 0.16, "ink"), R(0.63, 0.06, 0.66, 0.16, "ink")]
                + [R(0.27 + i * 0.075, 0.36 + j * 0.115, 0.32 + i * 0.075, 0.43 + j * 0.115,
                     "ink" if (i, j) != (4, 2) else "accent")
                   for i in range(7) for j in range(5)],
    "axe": [P("wood", (0.36, 0.96), (0.43, 0.97), (0.60, 0.16), (0.53, 0.14)),
            P("metal", (0.46, 0.12), (0.64, 0.18), (0.80, 0.06), (0.84, 0.42), (0.64, 0.30), (0.48, 0.26))],
    "spade": [R(0.47, 0.08, 0.53, 0.60, "wood"), R(0.40, 0.04, 0.60, 0.09, "ink", 0.5),
              P("metal", (0.37, 0.58), (0.63, 0.58), (0.61, 0.86), (0.50, 0.98), (0.39, 0.86))],
    "candle": [E(0.30, 0.86, 0.70, 0.96, "ink"), R(0.47, 0.40, 0.53, 0.90, "ink"), E(0.44, 0.55, 0.56, 0.62, "ink"),
               R(0.41, 0.35, 0.59, 0.42, "ink", 0.3), R(0.46, 0.10, 0.54, 0.37, "paper"),
               E(0.47, 0.0, 0.53, 0.11, "flame")],
    "lantern": [A(0.42, 0.0, 0.58, 0.16, 180, 360, "ink", 10), P("ink", (0.30, 0.24), (0.50, 0.08), (0.70, 0.24)),
                R(0.32, 0.24, 0.68, 0.86, "ink", 0.02), R(0.36, 0.29, 0.64, 0.81, "glass"),
                L("ink", 8, (0.50, 0.29), (0.50, 0.81)), R(0.44, 0.56, 0.56, 0.78, "paper"),
                E(0.47, 0.46, 0.53, 0.56, "flame"), R(0.28, 0.86, 0.72, 0.92, "ink")],
    "hooks": [R(0.08, 0.34, 0.92, 0.46, "accent", 0.1)]
             + [A(x - 0.05, 0.40, x + 0.05, 0.66, 0, 180, "ink", 14) for x in (0.22, 0.41, 0.60, 0.79)]
             + [L("ink", 14, (x - 0.05, 0.40), (x - 0.05, 0.53)) for x in (0.22, 0.41, 0.60, 0.79)],
    "toolbox": [R(0.18, 0.24, 0.22, 0.55, "ink"), R(0.78, 0.24, 0.82, 0.55, "ink"),
                R(0.18, 0.24, 0.82, 0.29, "accent", 0.5), R(0.30, 0.32, 0.34, 0.56, "wood"),
                R(0.26, 0.30, 0.38, 0.36, "metal"), R(0.60, 0.36, 0.63, 0.56, "metal"),
                R(0.14, 0.50, 0.86, 0.92, "ink", 0.03), L("accent", 8, (0.14, 0.62), (0.86, 0.62))],
    "toycar": [R(0.12, 0.44, 0.88, 0.72, "accent", 0.2), R(0.30, 0.24, 0.66, 0.50, "accent", 0.15),
               R(0.36, 0.29, 0.60, 0.44, "paper", 0.15), E(0.18, 0.62, 0.38, 0.88, "ink"),
               E(0.62, 0.62, 0.82, 0.88, "ink"), E(0.25, 0.71, 0.31, 0.79, "paper"),
               E(0.69, 0.71, 0.75, 0.79, "paper")],
    "pram": [L("ink", 12, (0.70, 0.40), (0.86, 0.14)), S(0.18, 0.06, 0.78, 0.74, 0, 180, "accent"),
             R(0.18, 0.38, 0.78, 0.42, "ink"), E(0.20, 0.70, 0.36, 0.90, "ink"), E(0.60, 0.70, 0.76, 0.90, "ink")],
    "animal": [E(0.24, 0.36, 0.68, 0.62, "accent"), R(0.30, 0.55, 0.35, 0.80, "accent"),
               R(0.58, 0.55, 0.63, 0.80, "accent"),
               P("accent", (0.60, 0.42), (0.70, 0.20), (0.80, 0.22), (0.82, 0.34), (0.68, 0.50)),
               L("ink", 8, (0.72, 0.21), (0.66, 0.06)), L("ink", 8, (0.76, 0.21), (0.84, 0.06)),
               L("ink", 6, (0.69, 0.13), (0.62, 0.10)), L("ink", 6, (0.80, 0.13), (0.88, 0.12)),
               R(0.24, 0.78, 0.70, 0.82, "ink"), E(0.22, 0.76, 0.34, 0.92, "ink"), E(0.60, 0.76, 0.72, 0.92, "ink"),
               L("shade", 4, (0.24, 0.80), (0.05, 0.70))],
    "blocks": [R(0.18, 0.64, 0.40, 0.92, "accent"), R(0.41, 0.64, 0.63, 0.92, "ink"),
               R(0.64, 0.64, 0.86, 0.92, "accent"), R(0.30, 0.35, 0.52, 0.63, "ink"),
               R(0.53, 0.35, 0.75, 0.63, "accent"), P("shade", (0.30, 0.34), (0.52, 0.10), (0.75, 0.34))],
    "chess": [R(0.18, 0.06, 0.82, 0.94, "ink")]
             + _grid(0.21, 0.10, 0.79, 0.90, 8, "accent", "paper"),
    "bread": [E(0.10, 0.30, 0.90, 0.88, "ink"), R(0.10, 0.62, 0.90, 0.88, "ink", 0.2),
              A(0.24, 0.38, 0.40, 0.62, 200, 340, "accent", 10), A(0.42, 0.36, 0.58, 0.60, 200, 340, "accent", 10),
              A(0.60, 0.38, 0.76, 0.62, 200, 340, "accent", 10)],
    "jar": [R(0.30, 0.32, 0.70, 0.94, "accent", 0.12), R(0.28, 0.22, 0.72, 0.34, "ink", 0.1),
            R(0.35, 0.50, 0.65, 0.74, "paper", 0.05), L("ink", 5, (0.40, 0.58), (0.60, 0.58)),
            L("ink", 5, (0.42, 0.66), (0.58, 0.66))],
    "bottle": [R(0.36, 0.40, 0.64, 0.96, "accent", 0.12),
               P("accent", (0.36, 0.46), (0.45, 0.28), (0.55, 0.28), (0.64, 0.46)),
               R(0.45, 0.12, 0.55, 0.32, "accent"), R(0.44, 0.06, 0.56, 0.14, "ink", 0.2),
               R(0.38, 0.56, 0.62, 0.78, "paper", 0.05)],
    "washer": [R(0.22, 0.06, 0.78, 0.96, "ink", 0.05), R(0.24, 0.09, 0.76, 0.93, "paper", 0.05),
               R(0.24, 0.09, 0.76, 0.22, "accent"), E(0.30, 0.12, 0.36, 0.19, "ink"),
               E(0.40, 0.12, 0.46, 0.19, "ink"), E(0.32, 0.34, 0.68, 0.84, "ink"),
               E(0.36, 0.39, 0.64, 0.79, "glass"), A(0.40, 0.44, 0.60, 0.74, 200, 300, "paper", 8)],
    "printer": [R(0.28, 0.10, 0.72, 0.44, "paper"), L("shade", 6, (0.34, 0.20), (0.64, 0.20)),
                L("shade", 6, (0.34, 0.28), (0.60, 0.28)), R(0.14, 0.40, 0.86, 0.74, "ink", 0.06),
                R(0.70, 0.48, 0.80, 0.54, "accent", 0.4), R(0.24, 0.70, 0.76, 0.92, "paper"),
                R(0.32, 0.76, 0.68, 0.86, "accent")],
    "wrench": [P("metal", (0.20, 0.80), (0.26, 0.86), (0.66, 0.40), (0.60, 0.34)),
               E(0.54, 0.14, 0.80, 0.42, "metal"), P("bg", (0.68, 0.10), (0.78, 0.18), (0.68, 0.30), (0.60, 0.24)),
               E(0.14, 0.76, 0.30, 0.92, "metal"), E(0.19, 0.81, 0.25, 0.87, "bg")]
              + [L("flame", 6, (0.80, 0.60), (0.80 + dx, 0.60 + dy))
                 for dx, dy in ((0.12, 0.0), (0.09, 0.10), (0.0, 0.14), (-0.07, 0.11), (0.09, -0.10), (0.0, -0.14))],
    "cloche": [S(0.18, 0.26, 0.82, 1.30, 180, 360, "metal"), E(0.46, 0.18, 0.54, 0.28, "ink"),
               R(0.08, 0.76, 0.92, 0.82, "ink", 0.5), A(0.26, 0.34, 0.74, 1.2, 200, 240, "paper", 10)],
    "saw": [P("metal", (0.10, 0.44), (0.72, 0.30), (0.72, 0.62), (0.10, 0.58))]
           + [P("metal", (0.10 + k * 0.05, 0.58), (0.125 + k * 0.05, 0.64), (0.15 + k * 0.05, 0.59))
              for k in range(12)]
           + [R(0.70, 0.26, 0.92, 0.66, "wood", 0.3), R(0.76, 0.36, 0.86, 0.56, "bg", 0.4)],
}

CANVAS = (1600, 1200)
OBJECT_BOX = (380, 170, 1220, 830)
def _colours(palette: Palette) -> dict[str, tuple[int, int, int]]:
    darker = tuple(max(0, round(c * 0.72)) for c in palette.ink)
    return {
        "bg": palette.bg, "ink": palette.ink, "accent": palette.accent, "shade": darker,
        "paper": (252, 249, 242), "metal": (150, 156, 166), "wood": (176, 128, 82), "flame": (240, 144, 48),
        "flame2": (250, 206, 90), "leaf": (92, 148, 82), "leaf2": (120, 172, 96), "glass": (206, 228, 238),
        "berry": (190, 40, 70),
    }


def render_illustration(label: str, shape: str, palette: Palette) -> bytes:
    """Draw a simple product illustration with the label under it; return it as JPEG bytes."""
    return draw_illustration(
        label, SHAPES[shape], _colours(palette), canvas=CANVAS, object_box=OBJECT_BOX,
        background=palette.bg, ink=palette.ink,
    )


def seed_bench(session: Session, *, products: int, media_root: str | Path) -> int:
    """Add this many published goods, each with stock, a "produced" movement and a picture; return how many.

    Loads the demo first if needed. Rows go in with bulk inserts, batch by batch, and reuse the demo pictures'
    files, so most of the time goes into the search index. Flushes, never commits.

    Raises:
        RuntimeError: the demo units, categories or pictures are missing.
    """
    seed_demo(session, media_root=media_root)
    if products <= 0:
        return 0
    now = datetime.now(UTC).replace(microsecond=0)
    units = {row.slug: row for row in session.execute(
        select(Unit.slug, Unit.id, Unit.name).where(Unit.slug.in_([u.slug for u in data.UNITS]))
    )}
    categories = dict(session.execute(select(Category.slug, Category.id)).tuples().all())
    pictures = _bench_pictures(session)
    types = [t for t in data.PRODUCT_TYPES if t.category in categories]
    if not units or not types or not pictures:
        raise RuntimeError(
            "seed_bench needs the demo units, categories and pictures; run seed-demo on an empty database first"
        )
    by_trade = {trade: [slug for slug in units if trade in _trades(slug)] for trade in data.TRAINING}
    first = (session.scalar(select(func.max(Product.id))) or 0) + 1
    rng = random.Random(first)
    for start in range(0, products, BENCH_BATCH):
        numbers = range(first + start, first + min(start + BENCH_BATCH, products))
        rows, quantities, images = [], [], []
        for number in numbers:
            ptype = rng.choice(types)
            unit_slug = rng.choice([s for s in ptype.units if s in units] or by_trade.get(ptype.trade) or list(units))
            row, image = _bench_product(rng, number, ptype, units[unit_slug], categories, pictures, now)
            rows.append(row)
            images.append(image)
            quantities.append(rng.randint(1, 2) if rng.random() < 0.12 else rng.randint(3, 40))
        _insert_bench_batch(session, rows, quantities, images)
    session.flush()
    return products


def _trades(unit_slug: str) -> tuple[str, ...]:
    return next(u.trades for u in data.UNITS if u.slug == unit_slug)


def _bench_pictures(session: Session) -> dict[str, dict[str, Any]]:
    """Map each (category, shape) of the demo, and each category, to a stored demo picture to reuse."""
    wanted: dict[str, str] = {}  # demo product slug -> picture key
    for listing in demo_listings():
        if not listing.featured:
            wanted.setdefault(listing.slug, f"{listing.ptype.category}:{listing.ptype.shape}")
    rows = session.execute(
        select(Product.slug, Category.slug.label("category"), ProductImage.alt_text, ProductImage.storage_key,
               ProductImage.widths, ProductImage.width, ProductImage.height)
        .join(Product, Product.id == ProductImage.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(Product.slug.in_(list(wanted)), ProductImage.position == 0)
    )
    pictures: dict[str, dict[str, Any]] = {}
    for row in rows:
        picture = {"alt_text": row.alt_text, "storage_key": row.storage_key, "widths": list(row.widths),
                   "width": row.width, "height": row.height}
        pictures.setdefault(wanted[row.slug], picture)
        pictures.setdefault(row.category, picture)
    return pictures


def _bench_product(
    rng: random.Random, number: int, ptype: data.ProductType, unit: Row[Any], categories: dict[str, int],
    pictures: dict[str, dict[str, Any]], now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the product row and its picture for one benchmark product."""
    variant = rng.choice(ptype.variants)
    top = _top_level(ptype.category).slug
    title = _bench_title(rng, variant, top)
    texts = listing_texts(ptype, variant, unit.name)
    texts["attributes"] |= title.attributes
    kroner = variant.price_kr * rng.uniform(0.8, 1.3)
    published_at = now - timedelta(minutes=rng.randint(5, BENCH_PUBLISHED_WITHIN_DAYS * 24 * 60))
    made_to_order = ptype.made_to_order or (top != "mat-og-bakst" and rng.random() < 0.05)
    row = {
        "unit_id": unit.id, "category_id": categories[ptype.category], "kind": "goods", "sku": f"BENCH-{number:07d}",
        "slug": f"{slugify(title.text)}-{number}", "title": title.text, "price_ore": _round_price(kroner) * 100,
        "vat_rate_bp": ptype.vat_rate_bp, "status": "published", "featured": False, "made_to_order": made_to_order,
        "lead_time_days": (ptype.lead_time_days or 21) if made_to_order else None,
        "created_at": published_at - timedelta(days=rng.randint(1, 20)), "updated_at": published_at,
        "published_at": published_at, **texts,
    }
    picture = (pictures.get(f"{ptype.category}:{ptype.shape}") or pictures.get(ptype.category)
               or next(iter(pictures.values())))
    return row, picture


@dataclass(frozen=True)
class BenchTitle:
    text: str
    attributes: dict[str, str]


def _bench_title(rng: random.Random, variant: data.Variant, top: str) -> BenchTitle:
    """Vary a demo title with a series name, a colour or finish and a size; never the bare demo title."""
    food = top == "mat-og-bakst"
    parts: dict[str, str] = {}
    if not food and rng.random() < 0.6:
        parts["Serie"] = rng.choice(data.SERIES)
    if "Farge" not in variant.attributes and rng.random() < 0.6:  # some titles already name the colour
        parts["Variant" if food else "Farge"] = rng.choice(data.BENCH_COLOURS[top])
    if not parts or rng.random() < 0.4:
        parts["Pakning" if food else "Størrelse"] = rng.choice(data.BENCH_SIZES.get(top, data.DEFAULT_BENCH_SIZES))
    text = variant.title + (f" «{parts['Serie']}»" if "Serie" in parts else "")
    text += "".join(f", {value}" for key, value in parts.items() if key != "Serie")
    return BenchTitle(text, parts)


def _round_price(kroner: float) -> int:
    """Round to a shop-like price: 49, 99, 449, 1 290 …"""
    if kroner < 100:
        return max(9, round(kroner / 10) * 10 - 1)
    if kroner < 1000:
        return round(kroner / 50) * 50 - 1
    return round(kroner / 100) * 100 - 10


def _insert_bench_batch(
    session: Session, rows: list[dict[str, Any]], quantities: list[int], pictures: list[dict[str, Any]],
) -> None:
    """Insert products, their stock records, one "produced" movement each and a shared picture each."""
    product_ids = session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True), rows).all()
    records = [
        {"product_id": pid, "unit_id": row["unit_id"], "on_hand": qty, "reserved": 0,
         "low_stock_threshold": LOW_STOCK_THRESHOLD, "confirmed_at": row["published_at"],
         "updated_at": row["published_at"]}
        for pid, row, qty in zip(product_ids, rows, quantities, strict=True)
    ]
    record_ids = session.scalars(
        insert(StockRecord).returning(StockRecord.id, sort_by_parameter_order=True), records
    ).all()
    # on_hand equals the one movement each record starts with, so the ledger check holds.
    session.execute(insert(StockMovement), [
        {"stock_record_id": rid, "delta": record["on_hand"], "on_hand_after": record["on_hand"], "reason": "produced",
         "note": "Startlager (benchmark)", "created_at": record["confirmed_at"]}
        for rid, record in zip(record_ids, records, strict=True)
    ])
    session.execute(insert(ProductImage), [
        {"product_id": pid, "position": 0, "created_at": row["published_at"], **picture}
        for pid, row, picture in zip(product_ids, rows, pictures, strict=True)
    ])
    index_products(session, product_ids)

