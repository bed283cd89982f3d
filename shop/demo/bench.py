"""The benchmark catalogue: thousands of published goods with stock, pictures and search, loaded in bulk."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from catalogue.models import Category, Product, ProductImage, Unit
from catalogue.search import index_products
from catalogue.services import slugify
from inventory.models import StockMovement, StockRecord
from shop.demo import data
from shop.demo.seed import (
    LOW_STOCK_THRESHOLD,
    demo_listings,
    listing_texts,
    seed_demo,
    top_level,
)

BENCH_PUBLISHED_WITHIN_DAYS = 365
BENCH_BATCH = 2000


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
    top = top_level(ptype.category).slug
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
