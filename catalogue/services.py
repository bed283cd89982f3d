"""Catalogue rules: creating units, categories and listings, the listing workflow, images and availability."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue import images
from catalogue.models import Category, Product, ProductImage, Unit
from catalogue.search import index_products
from catalogue.storage import LocalStorage, Storage, delete_on_commit, delete_on_rollback


class InvalidTransition(Exception):
    """A listing cannot move from its status to the one asked for."""


LISTING_FLOW: dict[str, set[str]] = {
    "draft": {"submitted", "archived"},
    "submitted": {"published", "rejected", "draft"},
    "rejected": {"draft", "submitted", "archived"},
    "published": {"archived", "draft"},
    "archived": {"draft"},
}


def slugify(value: str) -> str:
    """Return a URL slug with æ/ø/å spelt out as in Norwegian URLs (ae, o, a)."""
    value = value.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a"}))
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", value).strip("-")[:100] or "vare"


def unique_slug(session: Session, model, base: str) -> str:
    """Return base, or base-2, base-3 … whichever is not taken yet in model's table."""
    taken = set(session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_unit(session: Session, *, name: str, region: str, slug: str | None = None, **fields: Any) -> Unit:
    """Add a unit (prison or workshop)."""
    unit = Unit(name=name, region=region, slug=slug or unique_slug(session, Unit, slugify(name)), **fields)
    session.add(unit)
    session.flush()
    return unit


def create_category(
    session: Session, *, name: str, parent: Category | None = None, slug: str | None = None, position: int = 0,
    description: str = "",
) -> Category:
    """Add a category, under parent if given."""
    category = Category(
        name=name, parent=parent, slug=slug or unique_slug(session, Category, slugify(name)), position=position,
        description=description,
    )
    session.add(category)
    session.flush()
    return category


def create_product(
    session: Session, *, unit: Unit, category: Category, title: str, price_ore: int, index: bool = True, **fields: Any
) -> Product:
    """Add a draft listing owned by unit; slug and sku are made up when not given.

    Bulk loaders pass index=False and call catalogue.search.index_products once at the end.
    """
    fields.setdefault("slug", unique_slug(session, Product, slugify(title)))
    if "sku" not in fields:
        count = session.scalar(select(func.count()).select_from(Product).where(Product.unit_id == unit.id)) or 0
        fields["sku"] = f"{unit.slug[:4].upper().rstrip('-')}{unit.id}-{count + 1:05d}"
    product = Product(unit=unit, category=category, title=title, price_ore=price_ore, **fields)
    session.add(product)
    session.flush()
    if index:
        index_products(session, [product.id])
    return product


def set_status(session: Session, product: Product, target: str, *, now: datetime) -> Product:
    """Move a listing along LISTING_FLOW; asking for the status it already has changes nothing.

    Raises:
        InvalidTransition: the flow does not allow that move.
    """
    if product.status == target:
        return product
    if target not in LISTING_FLOW.get(product.status, set()):
        raise InvalidTransition(f"{product.status} → {target}")
    product.status = target
    if target == "published" and product.published_at is None:
        product.published_at = now
    session.flush()
    return product


def publish(session: Session, product: Product, *, now: datetime) -> Product:
    """Put a listing on sale, passing through submitted when it is still a draft."""
    if product.status in ("draft", "rejected"):
        set_status(session, product, "submitted", now=now)
    return set_status(session, product, "published", now=now)


def add_image(
    session: Session, product: Product, data: bytes, *, alt_text: str, storage: Storage | None = None,
    media_root: str | Path | None = None, pending: bool = False,
) -> ProductImage:
    """Run an upload through the image pipeline and attach it to the product, after its other images.

    storage is where the files go (storage_for(app.config)); media_root, a local folder, is the older form
    the demo and tests use. The files are deleted again if the transaction rolls back.

    Raises:
        images.InvalidImage: the data is not an accepted image (its reason says why).
        storage.StorageError: the storage could not take the files.
        ValueError: the alt text is empty.
    """
    alt_text = alt_text.strip()
    if not alt_text:
        raise ValueError("alt text is required")
    if (storage is None) == (media_root is None):
        raise TypeError("pass storage or media_root")
    storage = storage if storage is not None else LocalStorage(media_root)
    stored = images.process_image(data, storage)
    delete_on_rollback(session, storage, stored.storage_key)
    position = session.scalar(
        select(func.coalesce(func.max(ProductImage.position) + 1, 0)).where(ProductImage.product_id == product.id)
    )
    image = ProductImage(
        product_id=product.id, position=position, alt_text=alt_text, storage_key=stored.storage_key,
        widths=stored.widths, width=stored.width, height=stored.height, pending=pending,
    )
    session.add(image)
    session.flush()
    return image


def delete_image(session: Session, image: ProductImage, *, storage: Storage) -> None:
    """Remove a product image; its files go once the transaction commits, unless another row shares them."""
    key = image.storage_key
    session.delete(image)
    session.flush()
    # The demo and the benchmark catalogue point many rows at one picture's files.
    shared = session.scalar(select(func.count()).select_from(ProductImage).where(ProductImage.storage_key == key))
    if not shared:
        delete_on_commit(session, storage, key)


@dataclass(frozen=True)
class Availability:
    """What a shopper is told about whether they can get a product now."""

    code: str  # in_stock, few_left, made_to_order, sold_out, service
    available: int
    lead_time_days: int | None = None

    @property
    def schema_org(self) -> str:
        return "https://schema.org/" + {
            "in_stock": "InStock",
            "few_left": "LimitedAvailability",
            "made_to_order": "MadeToOrder",
            "sold_out": "OutOfStock",
            "service": "InStock",
        }[self.code]

    @property
    def can_buy(self) -> bool:
        return self.code != "sold_out"

    @property
    def color(self) -> str:
        """The tag colour the page shows it in."""
        return {"in_stock": "success", "few_left": "warning", "made_to_order": "info", "service": "info"}.get(
            self.code, "neutral")


def availability_label(a: Availability) -> str:
    """What the shopper reads: "In stock", "Made to order – about 14 days" … in the current language."""
    if a.code == "in_stock":
        return _("In stock")
    if a.code == "few_left":
        return _("Few left")
    if a.code == "made_to_order":
        return _("Made to order – about %(days)s days", days=a.lead_time_days)
    if a.code == "service":
        if a.lead_time_days:
            return _("Service – about %(days)s days", days=a.lead_time_days)
        return _("Service – by agreement")
    return _("Sold out")


def availability(*, kind: str, made_to_order: bool, lead_time_days: int | None, available: int, low_threshold: int) -> Availability:
    """Decide the availability wording from stock totals across all units that hold the product."""
    if kind == "service":
        return Availability("service", available, lead_time_days)
    if available > 0:
        return Availability("few_left" if available <= low_threshold else "in_stock", available, lead_time_days)
    if made_to_order:
        return Availability("made_to_order", 0, lead_time_days)
    return Availability("sold_out", 0, lead_time_days)
