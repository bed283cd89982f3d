"""Listings as workshop staff keep them: create and edit, images, review by the coordinator, and revisions.

The rules in one place (DESIGN.md, "Listing review"):
- a listing that is not on sale (draft, submitted, rejected, archived) is edited directly;
- a published listing keeps its published fields live: every content change (fields and images) goes
  into ONE pending ProductRevision, which the coordinator approves (applied in one transaction) or
  sends back with a comment; made-to-order and lead time are availability, not content, and apply at once;
- staff act only for their own unit (checked here, not only by the page's guard), and only the
  coordinator (or an admin) approves or sends back;
- every decision writes an AuditEvent with the unit, so the unit can see what was decided.

Decorative pictures: the database requires alt text on every image (a CHECK), so a picture marked
decorative is stored with the listing's title as its alt text. That says what the picture belongs to
without describing it, which is what a screen reader user needs from a decorative picture.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from catalogue import services
from catalogue.images import InvalidImage
from catalogue.models import KINDS, VAT_RATES_BP, Category, Product, ProductImage, ProductRevision, Unit
from catalogue.search import index_products
from catalogue.services import InvalidTransition
from catalogue.storage import Storage
from shop.core import audit
from shop.core.actor import Actor, NotPermitted
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate

# What review covers (content) and what applies at once (availability). Stock never goes through review.
CONTENT_FIELDS = ("category_id", "kind", "title", "summary", "description", "price_ore", "vat_rate_bp", "attributes",
                  "training_value")
AVAILABILITY_FIELDS = ("made_to_order", "lead_time_days")
# The statuses staff may ask for from the listing page, each with the rule that moves it there.
STAFF_STATUSES = ("archived", "draft")
MAX_LEAD_TIME_DAYS = 365

APPLIED, PENDING, UNCHANGED = "applied", "pending", "unchanged"
STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for review"),
    "published": _l("Published"),
    "rejected": _l("Sent back"),
    "archived": _l("Archived"),
}


class ListingNotFound(LookupError):
    """There is no such listing (or no such image of it)."""


class RefusedPicture(InvalidImage):
    """One of several uploads is not an image we accept; index says which (counting from 0)."""

    def __init__(self, index: int, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.index = index


class InvalidListing(ValueError):
    """The listing's data breaks a rule; field names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ListingInput:
    """What staff type for a listing; price_ore includes MVA."""

    category_id: int
    kind: str
    title: str
    summary: str
    description: str
    price_ore: int
    vat_rate_bp: int
    attributes: dict[str, str] = field(default_factory=dict)
    made_to_order: bool = False
    lead_time_days: int | None = None
    training_value: str = ""

    def content(self) -> dict[str, Any]:
        """The fields that go through review, as a revision stores them."""
        return {name: (dict(self.attributes) if name == "attributes" else getattr(self, name)) for name in CONTENT_FIELDS}

    @classmethod
    def of(cls, product: Product, content: dict[str, Any] | None = None) -> ListingInput:
        """The product's own data, or its availability with this (proposed) content."""
        values = _content_of(product) | (content or {})
        return cls(**{name: values[name] for name in CONTENT_FIELDS}, made_to_order=product.made_to_order,
                   lead_time_days=product.lead_time_days)


@dataclass(frozen=True)
class Update:
    """What update_listing did: applied, pending (a revision waits for review) or unchanged."""

    outcome: str
    availability_changed: bool = False


@dataclass(frozen=True)
class ImageView:
    id: int
    storage_key: str
    widths: list[int]
    width: int
    height: int
    alt_text: str
    pending: bool
    decorative: bool


@dataclass(frozen=True)
class Version:
    """One version of a listing: its fields (content and availability) and its images, in order."""

    fields: dict[str, Any]
    images: list[ImageView]


@dataclass(frozen=True)
class SideBySide:
    """A listing as it is and as proposed: what staff and the coordinator compare.

    current is the listing's own data (the published version, for a published listing); proposed is the
    pending revision, or the one the coordinator sent back until staff change it again (its comment then
    says why); changed names the fields that differ ("images" for the pictures).
    """

    product: Product
    current: Version
    proposed: Version | None
    revision: ProductRevision | None
    changed: frozenset[str]

    @property
    def pending(self) -> bool:
        return self.revision is not None and self.revision.state == "pending"

    @property
    def sent_back(self) -> bool:
        return self.revision is not None and self.revision.state == "rejected"

    @property
    def awaiting_review(self) -> bool:
        return self.product.status == "submitted" or self.pending

    @property
    def comment(self) -> str:
        """What the coordinator said last: on the listing, or on the revision sent back."""
        if self.sent_back and self.revision.comment:
            return self.revision.comment
        return self.product.review_comment if self.product.status in ("rejected", "published", "draft") else ""


@dataclass(frozen=True)
class Row:
    """One listing in a list of listings."""

    id: int
    sku: str
    title: str
    status: str
    unit_name: str
    review_comment: str
    changes_pending: bool
    last_change: datetime


# Reading

def load(session: Session, actor: Actor, product_id: int, *, lock: bool = False) -> Product:
    """The listing, if the actor may act for its unit.

    Raises:
        ListingNotFound: there is no such listing.
        NotPermitted: it belongs to another unit.
    """
    product = session.get(Product, product_id, with_for_update=lock)
    if product is None:
        raise ListingNotFound(product_id)
    actor.require_unit(product.unit_id, f"product {product_id}")
    return product


def pending_revision(session: Session, product: Product) -> ProductRevision | None:
    return session.scalar(select(ProductRevision).where(ProductRevision.product_id == product.id,
                                                        ProductRevision.state == "pending"))


def _latest_revision(session: Session, product: Product) -> ProductRevision | None:
    return session.scalar(select(ProductRevision).where(ProductRevision.product_id == product.id)
                          .order_by(ProductRevision.id.desc()).limit(1))


def proposal(session: Session, product: Product) -> ProductRevision | None:
    """The revision staff are working on: the pending one, or the newest when it was sent back."""
    latest = _latest_revision(session, product)
    return latest if latest is not None and latest.state in ("pending", "rejected") else None


def published_vs_pending(session: Session, product: Product) -> SideBySide:
    """The listing as it is and as its revision proposes, side by side."""
    live = _live_images(product)
    current = Version(_content_of(product) | _availability_of(product), [_image_view(product, i) for i in live])
    revision = proposal(session, product)
    if revision is None:
        return SideBySide(product, current, None, None, frozenset())
    by_id = {image.id: image for image in product.images}
    images = []
    for entry in revision.images:
        image = by_id.get(entry["id"])
        if image is not None:
            images.append(_image_view(product, image, alt_text=entry["alt_text"],
                                      decorative=entry.get("decorative", False)))
    proposed = Version(dict(revision.fields) | _availability_of(product), images)
    changed = {name for name in CONTENT_FIELDS if proposed.fields.get(name) != current.fields.get(name)}
    if _image_entries(live) != _strip(revision.images):
        changed.add("images")
    return SideBySide(product, current, proposed, revision, frozenset(changed))


def working_input(session: Session, product: Product) -> ListingInput:
    """What the edit form starts from: the proposal staff are working on, else the listing itself."""
    revision = proposal(session, product)
    return ListingInput.of(product, dict(revision.fields) if revision else None)


def working_images(session: Session, product: Product) -> list[ImageView]:
    """The images the edit page offers to reorder, describe and delete."""
    side = published_vs_pending(session, product)
    return side.proposed.images if side.proposed is not None else side.current.images


def category_names(tree) -> dict[int, str]:
    """{category id: name} from browse.category_tree, for showing a version's category."""
    return {category.id: category.name for top, children in tree for category in (top, *children)}


def unit_listings(session: Session, actor: Actor, *, status: str | None = None, text: str = "", page: int = 1,
                  per_page: int = 50) -> Page[Row]:
    """The actor's unit's listings, newest change first; status "changes" means a revision awaits review.

    Raises:
        NotPermitted: the actor acts for no unit.
        PageOutOfRange: past the last page.
    """
    if actor.unit_id is None:
        raise NotPermitted("no unit")
    stmt = select(Product).where(Product.unit_id == actor.unit_id)
    if status == "changes":
        stmt = stmt.where(Product.id.in_(select(ProductRevision.product_id).where(ProductRevision.state == "pending")))
    elif status:
        stmt = stmt.where(Product.status == status)
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(func.lower(Product.title).like(pattern, escape=LIKE_ESCAPE),
                              func.lower(Product.sku).like(pattern, escape=LIKE_ESCAPE)))
    result = paginate(session, stmt.order_by(Product.updated_at.desc(), Product.id.desc()), page=page,
                      per_page=per_page)
    return result.with_items(_rows(session, result.items))


def review_queue(session: Session, actor: Actor) -> list[Row]:
    """What waits for the coordinator: submitted listings and pending revisions, oldest first.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
    """
    _require_national(actor)
    pending = select(ProductRevision.product_id).where(ProductRevision.state == "pending")
    products = list(session.scalars(select(Product).where(or_(Product.status == "submitted", Product.id.in_(pending)))
                                    .order_by(Product.updated_at, Product.id)))
    return _rows(session, products)


def _rows(session: Session, products: list[Product]) -> list[Row]:
    ids = [p.id for p in products]
    if not ids:
        return []
    revisions = session.execute(
        select(ProductRevision.product_id, func.max(ProductRevision.created_at), func.max(ProductRevision.decided_at),
               func.count().filter(ProductRevision.state == "pending"))
        .where(ProductRevision.product_id.in_(ids)).group_by(ProductRevision.product_id)
    ).all()
    by_product = {product_id: (created, decided, pending) for product_id, created, decided, pending in revisions}
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_({p.unit_id for p in products}))).all())
    rows = []
    for product in products:
        created, decided, pending = by_product.get(product.id, (None, None, 0))
        last = max(_aware(t) for t in (product.updated_at, created, decided) if t is not None)
        rows.append(Row(id=product.id, sku=product.sku, title=product.title, status=product.status,
                        unit_name=units.get(product.unit_id, ""), review_comment=product.review_comment,
                        changes_pending=bool(pending), last_change=last))
    return rows


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Staff: creating and editing

def create_listing(session: Session, actor: Actor, data: ListingInput, *, now: datetime) -> Product:
    """Add a draft listing owned by the actor's unit.

    Raises:
        NotPermitted: the actor acts for no unit.
        InvalidListing: the data breaks a rule.
    """
    if actor.unit_id is None:
        raise NotPermitted("no unit")
    actor.require_unit(actor.unit_id)
    category = _validated(session, data)
    unit = session.get(Unit, actor.unit_id)
    product = services.create_product(
        session, unit=unit, category=category, title=data.title, price_ore=data.price_ore, kind=data.kind,
        summary=data.summary, description=data.description, vat_rate_bp=data.vat_rate_bp,
        attributes=dict(data.attributes), made_to_order=data.made_to_order, lead_time_days=data.lead_time_days,
        training_value=data.training_value, created_at=now, updated_at=now,
    )
    audit.record(session, actor.user_id, "listing.created", "product", product.id, product.title, unit_id=product.unit_id,
                 now=now)
    return product


def update_listing(session: Session, actor: Actor, product_id: int, data: ListingInput, *, now: datetime) -> Update:
    """Save staff's edit: directly for a listing not on sale; for a published one, availability at once and
    the content into its one pending revision.

    Raises:
        ListingNotFound, NotPermitted, InvalidListing.
    """
    product = load(session, actor, product_id, lock=True)
    _validated(session, data)
    availability_changed = _set_fields(product, {"made_to_order": data.made_to_order,
                                                 "lead_time_days": data.lead_time_days})
    if availability_changed and product.status == "published":
        # Availability is not content: it goes live without review, so the unit's log shows it.
        audit.record(session, actor.user_id, "listing.availability_changed", "product", product.id,
                     f"made_to_order={data.made_to_order} lead_time_days={data.lead_time_days}",
                     unit_id=product.unit_id, now=now)
    if product.status != "published":
        content_changed = _set_fields(product, data.content())
        session.flush()
        if content_changed:
            index_products(session, [product.id])
        return Update(APPLIED if content_changed or availability_changed else UNCHANGED, availability_changed)

    revision = pending_revision(session, product)
    before = (dict(revision.fields), list(revision.images)) if revision else None
    revision = _propose(session, actor, product, None, now=now, fields=data.content())
    session.flush()
    if revision is None:
        return Update(APPLIED if availability_changed else UNCHANGED, availability_changed)
    if revision.state == "applied":
        return Update(APPLIED, availability_changed)
    if before == (revision.fields, revision.images):
        return Update(PENDING if availability_changed else UNCHANGED, availability_changed)
    return Update(PENDING, availability_changed)


def submit(session: Session, actor: Actor, product_id: int, *, now: datetime) -> Product:
    """Send a draft (or a listing sent back) to the coordinator; asking again changes nothing.

    Raises:
        ListingNotFound, NotPermitted, InvalidTransition.
    """
    product = load(session, actor, product_id, lock=True)
    if product.status == "submitted":
        return product
    if product.status not in ("draft", "rejected"):
        raise InvalidTransition(f"{product.status} → submitted")
    services.set_status(session, product, "submitted", now=now)
    audit.record(session, actor.user_id, "listing.submitted", "product", product.id, "", unit_id=product.unit_id, now=now)
    return product


def withdraw_revision(session: Session, actor: Actor, product_id: int, *, storage: Storage,
                      now: datetime) -> ProductRevision:
    """Take back the pending revision; its new pictures, never shown, are deleted.

    Raises:
        ListingNotFound, NotPermitted, InvalidTransition: nothing is pending.
    """
    product = load(session, actor, product_id, lock=True)
    revision = pending_revision(session, product)
    if revision is None:
        raise InvalidTransition("no pending revision")
    _close(session, actor, product, revision, "withdrawn", storage, now=now)
    audit.record(session, actor.user_id, "listing.revision_withdrawn", "product", product.id, "",
                 unit_id=product.unit_id, now=now)
    return revision


def archive(session: Session, actor: Actor, product_id: int, *, storage: Storage, now: datetime) -> Product:
    """Take a listing off sale (or out of the drafts); a pending revision is withdrawn with it.

    Raises:
        ListingNotFound, NotPermitted, InvalidTransition: a submitted listing waits for the coordinator.
    """
    product = load(session, actor, product_id, lock=True)
    if product.status == "archived":
        return product
    services.set_status(session, product, "archived", now=now)
    revision = pending_revision(session, product)
    if revision is not None:
        # An archived listing goes back to draft to be sold again, and drafts are edited directly.
        _close(session, actor, product, revision, "withdrawn", storage, now=now)
    index_products(session, [product.id])
    audit.record(session, actor.user_id, "listing.archived", "product", product.id, "", unit_id=product.unit_id, now=now)
    return product


def unarchive(session: Session, actor: Actor, product_id: int, *, now: datetime) -> Product:
    """Bring an archived listing back as a draft, to be edited and sent for review again.

    Raises:
        ListingNotFound, NotPermitted, InvalidTransition: the listing is not archived.
    """
    product = load(session, actor, product_id, lock=True)
    if product.status != "archived":
        raise InvalidTransition(f"{product.status} → draft")
    services.set_status(session, product, "draft", now=now)
    audit.record(session, actor.user_id, "listing.unarchived", "product", product.id, "", unit_id=product.unit_id,
                 now=now)
    return product


def set_status(session: Session, actor: Actor, product_id: int, target: str, *, storage: Storage,
               now: datetime) -> Product:
    """Archive ("archived") or bring back ("draft") a listing, as staff ask from its page.

    Raises:
        ListingNotFound, NotPermitted, InvalidTransition: not a status staff may ask for from here.
    """
    if target == "archived":
        return archive(session, actor, product_id, storage=storage, now=now)
    if target == "draft":
        return unarchive(session, actor, product_id, now=now)
    raise InvalidTransition(f"→ {target}")


# Staff: images

def add_images(session: Session, actor: Actor, product_id: int, uploads: list[bytes], *, alt_text: str,
               decorative: bool, storage: Storage, now: datetime) -> list[ProductImage]:
    """Run uploads through the image pipeline; for a published listing they wait in its revision.

    All or nothing: when one file is refused the error is raised, and the caller's rollback removes the
    rows and (services.add_image sees to it) the files already stored.

    Raises:
        ListingNotFound, NotPermitted, RefusedPicture (an InvalidImage), InvalidListing: no alt text for a
        described picture.
    """
    product = load(session, actor, product_id, lock=True)
    text = _alt_text(product, alt_text, decorative)
    added: list[ProductImage] = []
    published = product.status == "published"
    for index, data in enumerate(uploads):
        try:
            added.append(services.add_image(session, product, data, alt_text=text, storage=storage, pending=published))
        except InvalidImage as error:
            raise RefusedPicture(index, error.reason, error.detail) from error
    session.refresh(product, ["images"])
    if published:
        entries = [{"id": image.id, "alt_text": text, "decorative": decorative} for image in added]
        _propose(session, actor, product, storage, now=now, images=lambda current: current + entries)
    session.flush()
    return added


def move_image(session: Session, actor: Actor, product_id: int, image_id: int, step: int, *, storage: Storage,
               now: datetime) -> None:
    """Move an image one place earlier (step -1) or later (+1); at either end nothing moves.

    Raises:
        ListingNotFound: no such image in the listing's working version. NotPermitted.
    """
    def moved(entries: list[dict]) -> list[dict]:
        index = _index_of(entries, image_id)
        other = index + step
        if 0 <= other < len(entries):
            entries[index], entries[other] = entries[other], entries[index]
        return entries

    _edit_images(session, actor, product_id, moved, storage, now=now)


def describe_image(session: Session, actor: Actor, product_id: int, image_id: int, alt_text: str, *,
                   decorative: bool, storage: Storage, now: datetime) -> None:
    """Set an image's alt text, or mark it decorative (see the module docstring).

    Raises:
        ListingNotFound, NotPermitted, InvalidListing: no alt text for a described picture.
    """
    def described(entries: list[dict]) -> list[dict]:
        index = _index_of(entries, image_id)
        entries[index] = {"id": image_id, "alt_text": text, "decorative": decorative}
        return entries

    product = load(session, actor, product_id)
    text = _alt_text(product, alt_text, decorative)
    _edit_images(session, actor, product_id, described, storage, now=now)


def remove_image(session: Session, actor: Actor, product_id: int, image_id: int, *, storage: Storage,
                 now: datetime) -> None:
    """Delete an image: at once from a listing not on sale, through the revision from a published one.

    Raises:
        ListingNotFound, NotPermitted.
    """
    def removed(entries: list[dict]) -> list[dict]:
        index = _index_of(entries, image_id)
        return entries[:index] + entries[index + 1:]

    _edit_images(session, actor, product_id, removed, storage, now=now)


def _edit_images(session: Session, actor: Actor, product_id: int, change, storage: Storage, *, now: datetime) -> None:
    product = load(session, actor, product_id, lock=True)
    if product.status == "published":
        _propose(session, actor, product, storage, now=now, images=change)
    else:
        live = _live_images(product)
        by_id = {image.id: image for image in live}
        entries = change(_image_entries(live))
        kept = {entry["id"] for entry in entries}
        for image in live:
            if image.id not in kept:
                _drop(session, product, image, storage)
        for position, entry in enumerate(entries):
            by_id[entry["id"]].position = position
            by_id[entry["id"]].alt_text = entry["alt_text"]
        product.updated_at = now
    session.flush()


# The coordinator: approving and sending back

def approve(session: Session, actor: Actor, product_id: int, *, storage: Storage, now: datetime) -> Product:
    """Publish a submitted listing, or apply its pending revision (fields and images) in one transaction.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator. InvalidTransition: nothing waits for review.
    """
    _require_national(actor)
    product = load(session, actor, product_id, lock=True)
    revision = pending_revision(session, product)
    if product.status == "submitted":
        services.publish(session, product, now=now)
        action = "listing.approved"
    elif revision is not None and product.status == "published":
        _apply(session, product, revision, storage)
        revision.state, revision.decided_by_user_id, revision.decided_at = "approved", actor.user_id, now
        action = "listing.revision_approved"
    else:
        raise InvalidTransition(f"{product.status}: nothing to approve")
    product.review_comment = ""
    session.flush()
    index_products(session, [product.id])
    audit.record(session, actor.user_id, action, "product", product.id, "", unit_id=product.unit_id, now=now)
    return product


def send_back(session: Session, actor: Actor, product_id: int, comment: str, *, now: datetime) -> Product:
    """Send a submitted listing or a pending revision back to the unit with a comment; the published
    version stays on sale.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator. InvalidListing: no comment.
        InvalidTransition: nothing waits for review.
    """
    _require_national(actor)
    comment = comment.strip()
    if not comment:
        raise InvalidListing("comment", "a comment is required")
    product = load(session, actor, product_id, lock=True)
    revision = pending_revision(session, product)
    if product.status == "submitted":
        services.set_status(session, product, "rejected", now=now)
        action = "listing.sent_back"
    elif revision is not None and product.status == "published":
        revision.state, revision.comment = "rejected", comment
        revision.decided_by_user_id, revision.decided_at = actor.user_id, now
        action = "listing.revision_sent_back"
    else:
        raise InvalidTransition(f"{product.status}: nothing to send back")
    product.review_comment = comment
    session.flush()
    audit.record(session, actor.user_id, action, "product", product.id, comment, unit_id=product.unit_id, now=now)
    return product


def reject(session: Session, actor: Actor, product_id: int, comment: str, *, storage: Storage,
           now: datetime) -> Product:
    """Say no: a submitted listing is archived, a pending revision is discarded (its new pictures deleted);
    the published version stays on sale. The comment says why, and the unit sees it.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator. InvalidListing: no comment.
        InvalidTransition: nothing waits for review.
    """
    _require_national(actor)
    comment = _comment(comment)
    product = load(session, actor, product_id, lock=True)
    revision = pending_revision(session, product)
    if product.status == "submitted":
        services.set_status(session, product, "rejected", now=now)
        services.set_status(session, product, "archived", now=now)
        index_products(session, [product.id])
        action = "listing.rejected"
    elif revision is not None and product.status == "published":
        revision.comment = comment
        _close(session, actor, product, revision, "withdrawn", storage, now=now)
        action = "listing.revision_rejected"
    else:
        raise InvalidTransition(f"{product.status}: nothing to reject")
    product.review_comment = comment
    session.flush()
    audit.record(session, actor.user_id, action, "product", product.id, comment, unit_id=product.unit_id, now=now)
    return product


def unpublish(session: Session, actor: Actor, product_id: int, comment: str, *, storage: Storage,
              now: datetime) -> Product:
    """Take a published listing out of the shop and back to its unit as a draft, with a comment saying why.

    A pending revision is withdrawn with it: the unit now edits the listing directly and sends it again.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator. InvalidListing: no comment.
        InvalidTransition: the listing is not published.
    """
    _require_national(actor)
    comment = _comment(comment)
    product = load(session, actor, product_id, lock=True)
    if product.status != "published":
        raise InvalidTransition(f"{product.status}: not published")
    revision = pending_revision(session, product)
    if revision is not None:
        _close(session, actor, product, revision, "withdrawn", storage, now=now)
    services.set_status(session, product, "draft", now=now)
    product.review_comment = comment
    session.flush()
    index_products(session, [product.id])
    audit.record(session, actor.user_id, "listing.unpublished", "product", product.id, comment, unit_id=product.unit_id,
                 now=now)
    return product


def coordinator_archive(session: Session, actor: Actor, product_id: int, *, storage: Storage, now: datetime) -> Product:
    """The coordinator archives a listing of any unit (off sale, out of review); archive() does the work.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator.
    """
    _require_national(actor)
    return archive(session, actor, product_id, storage=storage, now=now)


def set_featured(session: Session, actor: Actor, product_id: int, featured: bool, *, now: datetime) -> Product:
    """Feature a listing on the home page, or stop; only a listing for sale is ever shown there.

    Raises:
        ListingNotFound, NotPermitted: not the coordinator.
    """
    _require_national(actor)
    product = load(session, actor, product_id, lock=True)
    if product.featured != featured:
        product.featured = featured
        session.flush()
        audit.record(session, actor.user_id, "listing.featured" if featured else "listing.unfeatured", "product",
                     product.id, "", unit_id=product.unit_id, now=now)
    return product


# Trusted units: their revisions go live at once, and the coordinator looks at them after the fact

def set_trusted(session: Session, actor: Actor, unit_id: int, trusted: bool, *, now: datetime) -> Unit:
    """Mark a unit trusted or not.

    Raises:
        NotPermitted: not the coordinator. ListingNotFound: no such unit.
    """
    _require_national(actor)
    unit = session.get(Unit, unit_id, with_for_update=True)
    if unit is None:
        raise ListingNotFound(f"unit {unit_id}")
    if unit.trusted != trusted:
        unit.trusted = trusted
        session.flush()
        audit.record(session, actor.user_id, "unit.trusted" if trusted else "unit.untrusted", "unit", unit.id, "",
                     unit_id=unit.id, now=now)
    return unit


def trusted_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.trusted.is_(True)).order_by(Unit.name)))


@dataclass(frozen=True)
class AfterTheFact:
    """A trusted unit's change that went live without review, for the coordinator to look at."""

    revision_id: int
    product_id: int
    title: str
    unit_name: str
    applied_at: datetime


def after_the_fact(session: Session, actor: Actor) -> list[AfterTheFact]:
    """Revisions trusted units put live at once that the coordinator has not looked at, oldest first."""
    _require_national(actor)
    rows = session.execute(
        select(ProductRevision.id, Product.id, Product.title, Unit.name, ProductRevision.decided_at)
        .join(Product, Product.id == ProductRevision.product_id).join(Unit, Unit.id == Product.unit_id)
        .where(ProductRevision.state == "applied").order_by(ProductRevision.decided_at, ProductRevision.id)
    ).all()
    return [AfterTheFact(r, p, t, u, _aware(a)) for r, p, t, u, a in rows]


def mark_seen(session: Session, actor: Actor, revision_id: int, *, now: datetime) -> ProductRevision:
    """The coordinator has looked at a change a trusted unit put live: it leaves the after-the-fact list.

    Raises:
        NotPermitted: not the coordinator. InvalidTransition: not a change waiting to be looked at.
    """
    _require_national(actor)
    revision = session.get(ProductRevision, revision_id, with_for_update=True)
    if revision is None or revision.state != "applied":
        raise InvalidTransition(f"revision {revision_id} is not waiting to be looked at")
    revision.state, revision.decided_by_user_id = "approved", actor.user_id
    session.flush()
    audit.record(session, actor.user_id, "listing.revision_seen", "product", revision.product_id, "",
                 unit_id=revision.product.unit_id, now=now)
    return revision


# The review page: what changed, word by word, and what to check

TEXT_FIELDS = ("title", "summary", "description", "training_value")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The change from old to new as (op, text) pieces, op "same", "del" or "ins"; words keep their spaces."""
    a, b = re.findall(r"\S+\s*", old or ""), re.findall(r"\S+\s*", new or "")
    pieces: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def text_diffs(side: SideBySide) -> dict[str, list[tuple[str, str]]]:
    """{field: word diff} for the text fields the proposal changes."""
    if side.proposed is None:
        return {}
    return {name: word_diff(str(side.current.fields.get(name) or ""), str(side.proposed.fields.get(name) or ""))
            for name in TEXT_FIELDS if name in side.changed}


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool | None  # None: the coordinator has to look (a photo, a marking)
    label: str


# Food is sold at 15 % MVA; other goods and services at 25 %. 12 % and 0 % exist, but are rare enough here
# to be worth a second look.
FOOD_CATEGORY_WORDS = ("mat", "food", "bakst", "honning", "drikke")


def checklist(side: SideBySide, category: Category | None) -> list[Check]:
    """What the coordinator checks before approving: the automatic checks answered, the others to look at."""
    version = side.proposed or side.current
    fields, images = version.fields, version.images
    names = " ".join(c.slug + " " + c.name.lower() for c in (category, category.parent if category else None) if c)
    food = any(word in names for word in FOOD_CATEGORY_WORDS)
    expected_vat = 1500 if food else 2500
    return [
        Check("photos", bool(images) and all(i.alt_text.strip() for i in images),
              _l("At least one photo, each with alt text")),
        Check("price", (fields.get("price_ore") or 0) > 0 and fields.get("vat_rate_bp") == expected_vat,
              _l("Price above zero and a VAT rate usual for the category (15 %% for food, else 25 %%)")),
        Check("description", len((fields.get("description") or "").strip()) >= 40,
              _l("A description of at least a few sentences")),
        Check("no_person", None, _l("No person can be recognised in the photos or the text")),
        Check("safety", None, _l("Product safety marking where relevant (CE on toys, fire safety, food labelling)")),
    ]


def _comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidListing("comment", "a comment is required")
    return comment


# The rules underneath

def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator reviews listings")


def _validated(session: Session, data: ListingInput) -> Category:
    """The listing's category, once the data keeps the rules the database and the shop set."""
    if data.kind not in KINDS:
        raise InvalidListing("kind", "unknown kind")
    if not data.title.strip() or len(data.title) > 200:
        raise InvalidListing("title", "a title of at most 200 characters is required")
    if len(data.summary) > 300:
        raise InvalidListing("summary", "at most 300 characters")
    if data.price_ore < 0:
        raise InvalidListing("price", "the price cannot be negative")
    if data.vat_rate_bp not in VAT_RATES_BP:
        raise InvalidListing("vat_rate_bp", "not a Norwegian VAT rate")
    if data.lead_time_days is not None and not 0 <= data.lead_time_days <= MAX_LEAD_TIME_DAYS:
        raise InvalidListing("lead_time_days", "out of range")
    if data.made_to_order and data.lead_time_days is None:
        raise InvalidListing("lead_time_days", "made to order needs a lead time")
    category = session.get(Category, data.category_id)
    if category is None:
        raise InvalidListing("category_id", "no such category")
    return category


def _content_of(product: Product) -> dict[str, Any]:
    return {name: (dict(product.attributes or {}) if name == "attributes" else getattr(product, name))
            for name in CONTENT_FIELDS}


def _availability_of(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in AVAILABILITY_FIELDS}


def _set_fields(product: Product, values: dict[str, Any]) -> bool:
    """Set the fields that differ; return whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(product, name) != value:
            setattr(product, name, dict(value) if isinstance(value, dict) else value)
            changed = True
    return changed


def _live_images(product: Product) -> list[ProductImage]:
    return sorted((i for i in product.images if not i.pending), key=lambda i: (i.position, i.id))


def _image_entries(images: list[ProductImage]) -> list[dict[str, Any]]:
    return [{"id": image.id, "alt_text": image.alt_text} for image in images]


def _strip(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries as compared with the live images (the decorative mark is only a hint for the form)."""
    return [{"id": entry["id"], "alt_text": entry["alt_text"]} for entry in entries]


def _image_view(product: Product, image: ProductImage, *, alt_text: str | None = None,
                decorative: bool | None = None) -> ImageView:
    text = image.alt_text if alt_text is None else alt_text
    return ImageView(id=image.id, storage_key=image.storage_key, widths=list(image.widths), width=image.width,
                     height=image.height, alt_text=text, pending=image.pending,
                     decorative=(text == product.title) if decorative is None else decorative)


def _index_of(entries: list[dict], image_id: int) -> int:
    for index, entry in enumerate(entries):
        if entry["id"] == image_id:
            return index
    raise ListingNotFound(f"image {image_id}")


def _alt_text(product: Product, alt_text: str, decorative: bool) -> str:
    text = product.title if decorative else alt_text.strip()
    if not text:
        raise InvalidListing("alt_text", "describe the picture, or mark it decorative")
    return text[:300]


def _propose(session: Session, actor: Actor, product: Product, storage: Storage | None, *, now: datetime,
             fields: dict[str, Any] | None = None, images=None) -> ProductRevision | None:
    """Put a change to a published listing into its one pending revision; return it, or None when the
    change leaves nothing to review (a revision that now matches the live listing is withdrawn).

    For a trusted unit the revision is applied at once and returned in the state "applied".

    storage is None for a change of fields alone: no picture is dropped then.
    """
    revision = pending_revision(session, product)
    if revision is None:
        base = proposal(session, product)  # continue from a revision sent back, as staff last saw it
        revision = ProductRevision(
            product_id=product.id, state="pending", created_by_user_id=actor.user_id, created_at=now,
            fields=dict(base.fields) if base else _content_of(product),
            images=_existing(product, base.images) if base else _image_entries(_live_images(product)),
        )
        opened = True
    else:
        opened = False
    if fields is not None:
        revision.fields = dict(fields)
    if images is not None:
        # A new list each time: the JSON column notices reassignment, not changes made in place.
        revision.images = images([dict(entry) for entry in revision.images])
    _drop_unused_pending_images(session, product, storage, keep={entry["id"] for entry in revision.images})
    if revision.fields == _content_of(product) and _strip(revision.images) == _image_entries(_live_images(product)):
        if not opened:
            _close(session, actor, product, revision, "withdrawn", storage, now=now)
        return None
    if opened:
        session.add(revision)
        session.flush()
        audit.record(session, actor.user_id, "listing.revision_opened", "product", product.id, "",
                     unit_id=product.unit_id, now=now)
    if product.unit.trusted and (storage is not None or _strip(revision.images) == _image_entries(_live_images(product))):
        # A trusted unit's change goes live at once; the coordinator looks at it after the fact.
        _apply(session, product, revision, storage)
        revision.state, revision.decided_at = "applied", now
        session.flush()
        index_products(session, [product.id])
        audit.record(session, actor.user_id, "listing.revision_applied", "product", product.id,
                     "trusted unit: live at once", unit_id=product.unit_id, now=now)
    return revision


def _existing(product: Product, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {image.id for image in product.images}
    return [dict(entry) for entry in entries if entry["id"] in ids]


def _drop(session: Session, product: Product, image: ProductImage, storage: Storage) -> None:
    """Delete an image row; services.delete_image deletes its files once the transaction commits."""
    product.images.remove(image)
    services.delete_image(session, image, storage=storage)


def _drop_unused_pending_images(session: Session, product: Product, storage: Storage | None, *,
                                keep: set[int]) -> None:
    """Pending pictures no revision proposes any more were never shown: delete them."""
    if storage is None:
        return
    for image in list(product.images):
        if image.pending and image.id not in keep:
            _drop(session, product, image, storage)


def _close(session: Session, actor: Actor, product: Product, revision: ProductRevision, state: str,
           storage: Storage | None, *, now: datetime) -> None:
    revision.state, revision.decided_by_user_id, revision.decided_at = state, actor.user_id, now
    _drop_unused_pending_images(session, product, storage, keep=set())
    session.flush()


def _apply(session: Session, product: Product, revision: ProductRevision, storage: Storage) -> None:
    """Make the revision the published version: its fields, and its images in its order with its alt text."""
    _set_fields(product, {name: revision.fields[name] for name in CONTENT_FIELDS if name in revision.fields})
    by_id = {image.id: image for image in product.images}
    proposed = [entry for entry in revision.images if entry["id"] in by_id]
    kept = {entry["id"] for entry in proposed}
    for image in list(product.images):
        if image.id not in kept:
            _drop(session, product, image, storage)
    for position, entry in enumerate(proposed):
        image = by_id[entry["id"]]
        image.position, image.alt_text, image.pending = position, entry["alt_text"], False


@dataclass(frozen=True)
class QueueSummary:
    count: int
    oldest_since: datetime | None  # when the longest-waiting item was sent for review


def review_summary(session: Session, actor: Actor) -> QueueSummary:
    """How many listings and revisions wait for review, and since when the oldest has waited (two counts).

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
    """
    _require_national(actor)
    new = session.execute(select(func.count(), func.min(Product.updated_at)).where(Product.status == "submitted")).one()
    changed = session.execute(select(func.count(), func.min(ProductRevision.created_at))
                              .where(ProductRevision.state == "pending")).one()
    since = [_aware(t) for t in (new[1], changed[1]) if t is not None]
    return QueueSummary(count=(new[0] or 0) + (changed[0] or 0), oldest_since=min(since) if since else None)
