"""Product development rules and read models: who may read and change a concept, moving it between stages,
notes, partners, pictures, the units involved and the products it became.

The rules in one place:
- every member of staff (of any unit), the coordinator and admins read every concept: one workshop learns
  from another; customers read none;
- any of them may propose an idea and add a note; a member of staff's idea starts at "idea" with their unit
  involved;
- staff of a unit involved in a concept may add partners and pictures (and take away a picture, so a photo
  that should not have been sent can go at once); staff of other units may not;
- only the coordinator (or an admin) edits the title and description, sets the units involved, links the
  products the concept became, moves it between stages (STAGE_FLOW) and removes partners;
- every change writes one AuditEvent on the concept. Its unit is the acting member of staff's unit; for the
  coordinator, the unit the change is about (a unit added or removed), else the concept's unit when it has
  exactly one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from catalogue.development import (
    DESCRIPTION_MAX,
    MAX_IMAGES_PER_CONCEPT,
    NOTE_MAX,
    PARTNER_CONTACT_MAX,
    PARTNER_KIND_LABELS,
    PARTNER_KINDS,
    PARTNER_NAME_MAX,
    STAGE_LABELS,
    STAGES,
    TITLE_MAX,
    ConceptImage,
    ConceptNote,
    ConceptPartner,
    ConceptProduct,
    ConceptUnit,
    DevelopmentConcept,
)
from catalogue.images import InvalidImage, process_image
from catalogue.listings import STATUS_LABELS, RefusedPicture
from catalogue.models import Product, Unit
from catalogue.services import InvalidTransition
from catalogue.storage import Storage, delete_on_commit, delete_on_rollback
from shop.core import audit
from shop.core.actor import Actor, NotPermitted
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate
from shop.core.time import aware

OBJECT_TYPE = "development_concept"
# Where a concept may move from each stage. Forward any number of steps (a workshop may skip a pilot), back one
# step (a prototype that needs more design), dropped from anywhere, and a dropped concept may be taken up again.
# Moving to the stage it is in changes nothing.
STAGE_FLOW: dict[str, frozenset[str]] = {
    "idea": frozenset({"design", "prototype", "pilot", "launched", "dropped"}),
    "design": frozenset({"idea", "prototype", "pilot", "launched", "dropped"}),
    "prototype": frozenset({"design", "pilot", "launched", "dropped"}),
    "pilot": frozenset({"prototype", "launched", "dropped"}),
    "launched": frozenset({"pilot", "dropped"}),
    "dropped": frozenset({"idea", "design", "prototype", "pilot"}),
}
PRODUCT_SEARCH_LIMIT = 20


class ConceptNotFound(LookupError):
    """There is no such concept (or no such partner, picture or product link on it)."""


class InvalidConcept(ValueError):
    """The data breaks a rule; field names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


# What the pages show

@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str


@dataclass(frozen=True)
class ConceptRow:
    """One concept in a list or on the board."""

    id: int
    title: str
    stage: str
    units: list[str]
    notes: int
    partners: int
    images: int
    products: int
    updated_at: datetime
    stage_changed_at: datetime

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def targets(self) -> list[str]:
        """The stages it may move to, in the board's order."""
        return [stage for stage in STAGES if stage in STAGE_FLOW[self.stage]]


@dataclass(frozen=True)
class BoardColumn:
    stage: str
    cards: list[ConceptRow]

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.stage])


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    unit_name: str
    created_at: datetime
    body: str


@dataclass(frozen=True)
class PartnerView:
    id: int
    kind: str
    name: str
    contact: str

    @property
    def kind_label(self) -> str:
        return str(PARTNER_KIND_LABELS[self.kind])


@dataclass(frozen=True)
class ImageView:
    """A concept picture as macros.picture shows it."""

    id: int
    storage_key: str
    widths: list[int]
    width: int
    height: int
    alt_text: str


@dataclass(frozen=True)
class ProductRef:
    id: int
    title: str
    sku: str
    slug: str
    status: str
    unit_name: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


@dataclass(frozen=True)
class ConceptView:
    """Everything a concept page shows, and what the actor may do there."""

    id: int
    title: str
    description: str
    stage: str
    proposed_by: str
    created_at: datetime
    updated_at: datetime
    stage_changed_at: datetime
    units: list[UnitRef]
    partners: list[PartnerView]
    notes: list[NoteView]
    images: list[ImageView]
    products: list[ProductRef]
    may_contribute: bool
    is_national: bool

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def targets(self) -> list[str]:
        return [stage for stage in STAGES if stage in STAGE_FLOW[self.stage]]

    @property
    def unit_ids(self) -> list[int]:
        return [unit.id for unit in self.units]


@dataclass(frozen=True)
class ProductConcept:
    """A concept a product came from, with its notes: what a workshop's listing page shows."""

    id: int
    title: str
    stage: str
    notes: list[NoteView]

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])


# Who may do what

def may_read(actor: Actor) -> bool:
    """Staff of any unit, the coordinator and admins read every concept."""
    return actor.is_national or (actor.role == "staff" and actor.unit_id is not None)


def may_contribute(actor: Actor, unit_ids) -> bool:
    """Add partners and pictures: staff of an involved unit, the coordinator and admins."""
    return actor.is_national or (actor.role == "staff" and actor.unit_id is not None and actor.unit_id in set(unit_ids))


def _require_reader(actor: Actor) -> None:
    if not may_read(actor):
        raise NotPermitted("product development is for staff and the coordinator")


def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator does this")


def _unit_ids(session: Session, concept_id: int) -> list[int]:
    return list(session.scalars(select(ConceptUnit.unit_id).where(ConceptUnit.concept_id == concept_id)
                                .order_by(ConceptUnit.unit_id)))


def _require_contributor(session: Session, actor: Actor, concept: DevelopmentConcept) -> list[int]:
    unit_ids = _unit_ids(session, concept.id)
    if not may_contribute(actor, unit_ids):
        raise NotPermitted(f"concept {concept.id}: the unit is not involved")
    return unit_ids


def load(session: Session, actor: Actor, concept_id: int, *, lock: bool = False) -> DevelopmentConcept:
    """The concept, for an actor who may read concepts.

    Raises:
        NotPermitted: the actor reads no concepts (a customer).
        ConceptNotFound: there is no such concept.
    """
    _require_reader(actor)
    concept = session.get(DevelopmentConcept, concept_id, with_for_update=lock)
    if concept is None:
        raise ConceptNotFound(concept_id)
    return concept


def _record(session: Session, actor: Actor, action: str, concept: DevelopmentConcept, detail: str = "", *,
            unit_ids: list[int] | None = None, unit_id: int | None = None, now: datetime) -> None:
    if actor.role == "staff":
        unit_id = actor.unit_id
    elif unit_id is None:
        ids = _unit_ids(session, concept.id) if unit_ids is None else unit_ids
        unit_id = ids[0] if len(ids) == 1 else None
    audit.record(session, actor.user_id, action, OBJECT_TYPE, concept.id, detail, unit_id=unit_id, now=now)


def _text(field: str, value: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidConcept(field, "required")
    if len(value) > limit:
        raise InvalidConcept(field, f"at most {limit} characters")
    return value


def _touch(concept: DevelopmentConcept, now: datetime) -> None:
    concept.updated_at = now


# Everyone who reads: ideas and notes

def propose(session: Session, actor: Actor, *, title: str, description: str, now: datetime) -> DevelopmentConcept:
    """Start a concept at stage "idea"; a member of staff's unit is involved from the start.

    Raises:
        NotPermitted: the actor reads no concepts. InvalidConcept: no title, or too long a text.
    """
    _require_reader(actor)
    concept = DevelopmentConcept(title=_text("title", title, TITLE_MAX),
                                 description=_text("description", description, DESCRIPTION_MAX, required=False),
                                 stage="idea", proposed_by_user_id=actor.user_id, created_at=now, updated_at=now,
                                 stage_changed_at=now)
    session.add(concept)
    session.flush()
    if actor.role == "staff":
        session.add(ConceptUnit(concept_id=concept.id, unit_id=actor.unit_id))
        session.flush()
    _record(session, actor, "development.proposed", concept, concept.title, now=now)
    return concept


def add_note(session: Session, actor: Actor, concept_id: int, body: str, *, now: datetime) -> ConceptNote:
    """Add a note to the concept's thread, signed with the author and their unit.

    Raises:
        NotPermitted, ConceptNotFound, InvalidConcept: an empty or too long note.
    """
    concept = load(session, actor, concept_id)
    note = ConceptNote(concept_id=concept.id, author_user_id=actor.user_id,
                       unit_id=actor.unit_id if actor.role == "staff" else None,
                       body=_text("note", body, NOTE_MAX), created_at=now)
    session.add(note)
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.note_added", concept, f"note {note.id}", now=now)
    return note


# Staff of an involved unit (and the coordinator): partners and pictures

def add_partner(session: Session, actor: Actor, concept_id: int, *, kind: str, name: str, contact: str,
                now: datetime) -> ConceptPartner:
    """Add a business, school, NAV office or other partner (a name and a contact; never an account).

    Raises:
        NotPermitted: staff of a unit not involved. ConceptNotFound. InvalidConcept: no kind or name.
    """
    concept = load(session, actor, concept_id)
    unit_ids = _require_contributor(session, actor, concept)
    if kind not in PARTNER_KINDS:
        raise InvalidConcept("kind", "unknown kind of partner")
    partner = ConceptPartner(concept_id=concept.id, kind=kind, name=_text("partner_name", name, PARTNER_NAME_MAX),
                             contact=_text("contact", contact, PARTNER_CONTACT_MAX, required=False),
                             added_by_user_id=actor.user_id, created_at=now)
    session.add(partner)
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.partner_added", concept, f"{kind}: {partner.name}", unit_ids=unit_ids,
            now=now)
    return partner


def remove_partner(session: Session, actor: Actor, concept_id: int, partner_id: int, *, now: datetime) -> None:
    """Take a partner off the concept (the coordinator).

    Raises:
        NotPermitted, ConceptNotFound: no such concept or no such partner on it.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id)
    partner = session.get(ConceptPartner, partner_id)
    if partner is None or partner.concept_id != concept.id:
        raise ConceptNotFound(f"partner {partner_id}")
    detail = f"{partner.kind}: {partner.name}"
    session.delete(partner)
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.partner_removed", concept, detail, now=now)


def add_images(session: Session, actor: Actor, concept_id: int, uploads: list[bytes], *, alt_text: str,
               storage: Storage, now: datetime) -> list[ConceptImage]:
    """Run uploads through the image pipeline (catalogue/images.py) and add them after the concept's pictures.

    All or nothing: when one file is refused the error is raised, and the caller's rollback removes the rows
    and (delete_on_rollback) the files already stored.

    Raises:
        NotPermitted: staff of a unit not involved. ConceptNotFound. RefusedPicture (an InvalidImage): index
        says which upload. InvalidConcept: no alt text, or more pictures than a concept may have.
    """
    concept = load(session, actor, concept_id, lock=True)
    unit_ids = _require_contributor(session, actor, concept)
    text = _text("alt_text", alt_text, 300)
    count = session.scalar(select(func.count()).select_from(ConceptImage).where(ConceptImage.concept_id == concept.id))
    if count + len(uploads) > MAX_IMAGES_PER_CONCEPT:
        raise InvalidConcept("pictures", f"at most {MAX_IMAGES_PER_CONCEPT} pictures per concept")
    position = session.scalar(select(func.coalesce(func.max(ConceptImage.position) + 1, 0))
                              .where(ConceptImage.concept_id == concept.id))
    added = []
    for index, data in enumerate(uploads):
        try:
            stored = process_image(data, storage, prefix="development")
        except InvalidImage as error:
            raise RefusedPicture(index, error.reason, error.detail) from error
        delete_on_rollback(session, storage, stored.storage_key)
        image = ConceptImage(concept_id=concept.id, position=position + index, alt_text=text,
                             storage_key=stored.storage_key, widths=stored.widths, width=stored.width,
                             height=stored.height, uploaded_by_user_id=actor.user_id, created_at=now)
        session.add(image)
        added.append(image)
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.images_added", concept, ", ".join(str(i.id) for i in added),
            unit_ids=unit_ids, now=now)
    return added


def remove_image(session: Session, actor: Actor, concept_id: int, image_id: int, *, storage: Storage,
                 now: datetime) -> None:
    """Delete a picture; its files go once the transaction commits.

    Raises:
        NotPermitted: staff of a unit not involved. ConceptNotFound: no such concept or picture on it.
    """
    concept = load(session, actor, concept_id, lock=True)
    unit_ids = _require_contributor(session, actor, concept)
    image = session.get(ConceptImage, image_id)
    if image is None or image.concept_id != concept.id:
        raise ConceptNotFound(f"image {image_id}")
    key = image.storage_key
    session.delete(image)
    _touch(concept, now)
    session.flush()
    delete_on_commit(session, storage, key)
    _record(session, actor, "development.image_removed", concept, str(image_id), unit_ids=unit_ids, now=now)


# The coordinator: the concept itself, its units, its products and its stage

def edit(session: Session, actor: Actor, concept_id: int, *, title: str, description: str, now: datetime) -> bool:
    """Change the title and description; return whether anything changed.

    Raises:
        NotPermitted, ConceptNotFound, InvalidConcept.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id, lock=True)
    values = {"title": _text("title", title, TITLE_MAX),
              "description": _text("description", description, DESCRIPTION_MAX, required=False)}
    changed = [name for name, value in values.items() if getattr(concept, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(concept, name, values[name])
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.edited", concept, ", ".join(changed), now=now)
    return True


def set_units(session: Session, actor: Actor, concept_id: int, unit_ids, *, now: datetime) -> tuple[set[int], set[int]]:
    """Make these the units involved; return the unit ids (added, removed). Each change is in the audit log with
    its unit.

    Raises:
        NotPermitted, ConceptNotFound, InvalidConcept: an unknown unit.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id, lock=True)
    wanted = set(unit_ids)
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all()) if wanted else {}
    if set(names) != wanted:
        raise InvalidConcept("unit_ids", "unknown unit")
    current = set(_unit_ids(session, concept.id))
    added, removed = wanted - current, current - wanted
    for link in list(concept.units):
        if link.unit_id in removed:
            concept.units.remove(link)
    for unit_id in sorted(added):
        concept.units.append(ConceptUnit(concept_id=concept.id, unit_id=unit_id))
    if not (added or removed):
        return added, removed
    _touch(concept, now)
    session.flush()
    removed_names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(removed))).all())
    for unit_id in sorted(added):
        _record(session, actor, "development.unit_added", concept, names[unit_id], unit_id=unit_id, now=now)
    for unit_id in sorted(removed):
        _record(session, actor, "development.unit_removed", concept, removed_names.get(unit_id, ""), unit_id=unit_id,
                now=now)
    return added, removed


def link_product(session: Session, actor: Actor, concept_id: int, product_id: int, *, now: datetime) -> bool:
    """Record that the concept became this product (published or not); return False when it already was.

    Raises:
        NotPermitted, ConceptNotFound: no such concept or product.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id, lock=True)
    product = session.get(Product, product_id)
    if product is None:
        raise ConceptNotFound(f"product {product_id}")
    if session.get(ConceptProduct, (concept.id, product.id)) is not None:
        return False
    session.add(ConceptProduct(concept_id=concept.id, product_id=product.id, created_at=now))
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.product_linked", concept, product.sku, now=now)
    return True


def unlink_product(session: Session, actor: Actor, concept_id: int, product_id: int, *, now: datetime) -> None:
    """Take a product off the concept.

    Raises:
        NotPermitted, ConceptNotFound: no such concept, or the product is not linked to it.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id, lock=True)
    link = session.get(ConceptProduct, (concept.id, product_id))
    if link is None:
        raise ConceptNotFound(f"product {product_id}")
    concept.products.remove(link)
    _touch(concept, now)
    session.flush()
    sku = session.scalar(select(Product.sku).where(Product.id == product_id)) or str(product_id)
    _record(session, actor, "development.product_unlinked", concept, sku, now=now)


def move(session: Session, actor: Actor, concept_id: int, stage: str, *, now: datetime) -> bool:
    """Move the concept to another stage (STAGE_FLOW); return False when it is there already (nothing changes).

    Raises:
        NotPermitted, ConceptNotFound, InvalidTransition: a move STAGE_FLOW does not allow.
    """
    _require_national(actor)
    concept = load(session, actor, concept_id, lock=True)
    if stage == concept.stage:
        return False
    if stage not in STAGE_FLOW.get(concept.stage, ()):
        raise InvalidTransition(f"{concept.stage} → {stage}")
    before = concept.stage
    concept.stage, concept.stage_changed_at = stage, now
    _touch(concept, now)
    session.flush()
    _record(session, actor, "development.stage_changed", concept, f"{before} → {stage}", now=now)
    return True


# Reading

def concept_list(session: Session, actor: Actor, *, stage: str | None = None, unit_id: int | None = None,
                 page: int = 1, per_page: int = 50) -> Page[ConceptRow]:
    """Every concept (of every unit), last activity first; optionally one stage, or those a unit is involved in.

    Raises:
        NotPermitted: the actor reads no concepts. PageOutOfRange: past the last page.
    """
    _require_reader(actor)
    stmt = select(DevelopmentConcept)
    if stage:
        stmt = stmt.where(DevelopmentConcept.stage == stage)
    if unit_id is not None:
        stmt = stmt.where(DevelopmentConcept.id.in_(select(ConceptUnit.concept_id).where(ConceptUnit.unit_id == unit_id)))
    result = paginate(session, stmt.order_by(DevelopmentConcept.updated_at.desc(), DevelopmentConcept.id.desc()),
                      page=page, per_page=per_page)
    return result.with_items(_rows(session, result.items))


def board(session: Session, actor: Actor) -> list[BoardColumn]:
    """Every concept in a column per stage, last activity first within each.

    Raises:
        NotPermitted: not the coordinator.
    """
    _require_national(actor)
    concepts = list(session.scalars(select(DevelopmentConcept)
                                    .order_by(DevelopmentConcept.updated_at.desc(), DevelopmentConcept.id.desc())))
    by_stage: dict[str, list[ConceptRow]] = defaultdict(list)
    for row in _rows(session, concepts):
        by_stage[row.stage].append(row)
    return [BoardColumn(stage, by_stage.get(stage, [])) for stage in STAGES]


def _rows(session: Session, concepts: list[DevelopmentConcept]) -> list[ConceptRow]:
    """Rows for these concepts in five queries, whatever their number."""
    ids = [c.id for c in concepts]
    if not ids:
        return []
    units: dict[int, list[str]] = defaultdict(list)
    for concept_id, name in session.execute(select(ConceptUnit.concept_id, Unit.name).join(Unit, Unit.id == ConceptUnit.unit_id)
                                            .where(ConceptUnit.concept_id.in_(ids)).order_by(Unit.name)):
        units[concept_id].append(name)

    def counts(model) -> dict[int, int]:
        return dict(session.execute(select(model.concept_id, func.count()).where(model.concept_id.in_(ids))
                                    .group_by(model.concept_id)).all())

    notes, partners, images, products = (counts(m) for m in (ConceptNote, ConceptPartner, ConceptImage, ConceptProduct))
    return [ConceptRow(id=c.id, title=c.title, stage=c.stage, units=units.get(c.id, []), notes=notes.get(c.id, 0),
                       partners=partners.get(c.id, 0), images=images.get(c.id, 0), products=products.get(c.id, 0),
                       updated_at=aware(c.updated_at), stage_changed_at=aware(c.stage_changed_at))
            for c in concepts]


def concept_view(session: Session, actor: Actor, concept_id: int) -> ConceptView:
    """The concept with its units, partners, notes, pictures and products, and what the actor may do.

    Raises:
        NotPermitted, ConceptNotFound.
    """
    concept = load(session, actor, concept_id)
    units = [UnitRef(i, n) for i, n in session.execute(
        select(Unit.id, Unit.name).join(ConceptUnit, ConceptUnit.unit_id == Unit.id)
        .where(ConceptUnit.concept_id == concept.id).order_by(Unit.name))]
    products = [ProductRef(*row) for row in session.execute(
        select(Product.id, Product.title, Product.sku, Product.slug, Product.status, Unit.name)
        .join(ConceptProduct, ConceptProduct.product_id == Product.id).join(Unit, Unit.id == Product.unit_id)
        .where(ConceptProduct.concept_id == concept.id).order_by(ConceptProduct.created_at, Product.id))]
    partners = [PartnerView(p.id, p.kind, p.name, p.contact) for p in session.scalars(
        select(ConceptPartner).where(ConceptPartner.concept_id == concept.id).order_by(ConceptPartner.id))]
    images = [ImageView(i.id, i.storage_key, list(i.widths), i.width, i.height, i.alt_text) for i in session.scalars(
        select(ConceptImage).where(ConceptImage.concept_id == concept.id)
        .order_by(ConceptImage.position, ConceptImage.id))]
    proposer = concept.proposed_by
    return ConceptView(
        id=concept.id, title=concept.title, description=concept.description, stage=concept.stage,
        proposed_by=(proposer.name or "") if proposer is not None else "", created_at=aware(concept.created_at),
        updated_at=aware(concept.updated_at), stage_changed_at=aware(concept.stage_changed_at), units=units,
        partners=partners, notes=_notes(session, [concept.id]).get(concept.id, []), images=images, products=products,
        may_contribute=may_contribute(actor, [u.id for u in units]), is_national=actor.is_national,
    )


def _notes(session: Session, concept_ids: list[int]) -> dict[int, list[NoteView]]:
    """{concept id: its notes, oldest first} in three queries."""
    if not concept_ids:
        return {}
    notes = list(session.scalars(select(ConceptNote).where(ConceptNote.concept_id.in_(concept_ids))
                                 .options(selectinload(ConceptNote.author))
                                 .order_by(ConceptNote.created_at, ConceptNote.id)))
    unit_ids = {n.unit_id for n in notes if n.unit_id is not None}
    unit_names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    result: dict[int, list[NoteView]] = defaultdict(list)
    for note in notes:
        author = (note.author.name or "") if note.author is not None else ""
        result[note.concept_id].append(NoteView(note.id, author, unit_names.get(note.unit_id, ""),
                                                aware(note.created_at), note.body))
    return result


def product_notes(session: Session, actor: Actor, product_id: int) -> list[ProductConcept]:
    """The concepts a product came from, each with its notes: for the workshop's listing page.

    Raises:
        NotPermitted: the actor reads no concepts.
    """
    _require_reader(actor)
    concepts = list(session.execute(
        select(DevelopmentConcept.id, DevelopmentConcept.title, DevelopmentConcept.stage)
        .join(ConceptProduct, ConceptProduct.concept_id == DevelopmentConcept.id)
        .where(ConceptProduct.product_id == product_id).order_by(DevelopmentConcept.id)))
    notes = _notes(session, [c.id for c in concepts])
    return [ProductConcept(c.id, c.title, c.stage, notes.get(c.id, [])) for c in concepts]


def unit_choices(session: Session, *, including=()) -> list[tuple[int, str]]:
    """[(id, name)] of the active units, plus any in including (a unit involved that was made inactive since)."""
    including = set(including)
    condition = Unit.active.is_(True) if not including else or_(Unit.active.is_(True), Unit.id.in_(including))
    return [(i, n) for i, n in session.execute(select(Unit.id, Unit.name).where(condition).order_by(Unit.name, Unit.id))]


def find_products(session: Session, actor: Actor, text: str, *, limit: int = PRODUCT_SEARCH_LIMIT) -> list[ProductRef]:
    """Products of any status whose title or item number contains text, for linking to a concept.

    Raises:
        NotPermitted: not the coordinator.
    """
    _require_national(actor)
    text = text.strip()
    if not text:
        return []
    pattern = like_pattern(text[:100])
    rows = session.execute(
        select(Product.id, Product.title, Product.sku, Product.slug, Product.status, Unit.name)
        .join(Unit, Unit.id == Product.unit_id)
        .where(or_(func.lower(Product.title).like(pattern, escape=LIKE_ESCAPE),
                   func.lower(Product.sku).like(pattern, escape=LIKE_ESCAPE)))
        .order_by(Product.title, Product.id).limit(limit))
    return [ProductRef(*row) for row in rows]
