"""Catalogue models: units, the category tree, products and their images."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, ColumnElement, Date, ForeignKey, Index, Integer, Select, String
from sqlalchemy import Text, UniqueConstraint
from sqlalchemy import and_, false, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.money import vat_included
from shop.core.time import utcnow
from shop.extensions import db


REGIONS = {
    "nord": _l("North"),
    "vest": _l("West"),
    "sor": _l("South"),
    "sorvest": _l("South-west"),
    "ost": _l("East"),
}
KINDS = {"goods": _l("Goods"), "service": _l("Service")}
PRODUCT_STATUSES = ("draft", "submitted", "published", "rejected", "archived")
VAT_RATES_BP = (0, 1200, 1500, 2500)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Unit(db.Model):
    """A prison or workshop that produces goods or services."""

    __tablename__ = "unit"
    __table_args__ = (CheckConstraint(_in("region", REGIONS), name="region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    trades: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    visiting_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When customers may collect orders there, as the unit writes it ("Man–fre 09–14").
    opening_hours: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A trusted unit's changes to published listings go live at once, and the coordinator looks after the fact.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    products: Mapped[list[Product]] = relationship(back_populates="unit")

    @property
    def region_label(self) -> str:
        return str(REGIONS[self.region])


class Category(db.Model):
    """A node in the two-level category tree."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position, Category.name"
    )


class Product(db.Model):
    """One listing in the national catalogue: goods or a service, owned by the unit that lists it."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("kind IN ('goods', 'service')", name="kind"),
        CheckConstraint(_in("status", PRODUCT_STATUSES), name="status"),
        CheckConstraint("price_ore >= 0", name="price_not_negative"),
        CheckConstraint(_in("vat_rate_bp", VAT_RATES_BP), name="vat_rate"),
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time"),
        CheckConstraint("NOT made_to_order OR lead_time_days IS NOT NULL", name="made_to_order_lead_time"),
        CheckConstraint("status != 'published' OR published_at IS NOT NULL", name="published_at"),
        Index("ix_product_listing", "status", "category_id", "published_at"),
        Index("ix_product_status_price", "status", "price_ore"),
        Index("ix_product_status_published", "status", "published_at"),
        # The front page's featured products: a handful among thousands.
        Index("ix_product_featured", "featured", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    kind: Mapped[str] = mapped_column(String(10), default="goods")
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    price_ore: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=2500)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    made_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    training_value: Mapped[str] = mapped_column(Text, default="")
    # What the coordinator said when sending the listing back or rejecting it (the unit sees it).
    review_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    unit: Mapped[Unit] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[ProductRevision]] = relationship(
        back_populates="product", order_by="ProductRevision.id", cascade="all, delete-orphan"
    )

    @property
    def vat_ore(self) -> int:
        """The MVA included in the price, rounded to the nearest øre."""
        return vat_included(self.price_ore, self.vat_rate_bp)


def on_sale() -> ColumnElement[bool]:
    """The one definition of "for sale": the product is published and its unit is active.

    The condition names Unit, so the query must join it (select_for_sale does).
    """
    return and_(Product.status == "published", Unit.active.is_(True))


def select_for_sale(*columns) -> Select:
    """A select of these product columns (or Product) over the products for sale, their unit joined."""
    return select(*columns).join(Unit, Unit.id == Product.unit_id).where(on_sale())


class ProductImage(db.Model):
    """A product photo: the original and its resized variants, stored under MEDIA_ROOT."""

    __tablename__ = "product_image"
    __table_args__ = (
        CheckConstraint("length(alt_text) > 0", name="alt_text_required"),
        Index("ix_product_image_product_position", "product_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt_text: Mapped[str] = mapped_column(String(300))
    # Folder (relative to MEDIA_ROOT) that holds original.<ext> and <width>.webp / <width>.jpg.
    # Not unique: the benchmark catalogue lets many products share the demo pictures.
    storage_key: Mapped[str] = mapped_column(String(200))
    widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Uploaded into a pending revision of a published listing: not shown in the shop until it is approved.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")


REVISION_STATES = ("pending", "approved", "rejected", "withdrawn", "applied")


class ProductRevision(db.Model):
    """A proposed change to a published listing: a snapshot of its editable fields and its images.

    The published fields stay live until the coordinator approves the revision; then it is applied in
    one transaction. "applied" marks a trusted unit's revision that went live at once and waits for a
    look after the fact. At most one revision per product is pending (a partial unique index).
    """

    __tablename__ = "product_revision"
    __table_args__ = (
        CheckConstraint(_in("state", REVISION_STATES), name="state"),
        Index("uq_product_revision_pending", "product_id", unique=True, postgresql_where=text("state = 'pending'"),
              sqlite_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    # The editable fields as proposed: {title, summary, description, category_id, price_ore, ...}.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The images as proposed, in order: [{"id": product_image id, "alt_text": "..."}].
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    product: Mapped[Product] = relationship(back_populates="revisions")


class Collection(db.Model):
    """A curated set of products ("Julegaver", "Til bedriften"), shown on the home page and at its own URL.

    The dates are Oslo calendar days, both included: outside them the collection is not shown anywhere.
    """

    __tablename__ = "collection"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    # Its picture, made by the same pipeline as product photos: a folder under the storage with its variants.
    image_key: Mapped[str | None] = mapped_column(String(200))
    image_alt: Mapped[str] = mapped_column(String(300), default="")
    image_widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    on_home_page: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", order_by="CollectionItem.position", cascade="all, delete-orphan"
    )


class CollectionItem(db.Model):
    """One product in a collection, in the coordinator's order."""

    __tablename__ = "collection_item"
    __table_args__ = (UniqueConstraint("collection_id", "product_id", name="uq_collection_item_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
