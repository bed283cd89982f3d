"""The audit log: who did what to which object, and when. Every package writes through record(); the
coordinator reads it through search() and exports it through export_csv().

The floor knows no models but its own, so the reading side names the two tables an event points at
(user and unit) as bare table constructs: the names and e-mail addresses come in the same query as the
events, one page at a time, and the export streams.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, column, distinct, select, table
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.core.paging import Page, paginate
from shop.core.time import OSLO, aware, utcnow
from shop.extensions import db


class AuditEvent(db.Model):
    """Who did what to which object, and when (staff and coordinator actions)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    # The unit the event concerns, so the unit can see what was decided about its work.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, index=True)


def record(session: Session, actor_user_id: int | None, action: str, object_type: str, object_id: int,
           detail: str = "", *, unit_id: int | None = None, now: datetime | None = None) -> AuditEvent:
    """Add an audit event to the session; it is written with the change it describes."""
    event = AuditEvent(actor_user_id=actor_user_id, action=action, object_type=object_type, object_id=object_id,
                       detail=detail, unit_id=unit_id, **({"created_at": now} if now is not None else {}))
    session.add(event)
    return event


# What the codes mean to a reader. A code without a label is shown as it is (a package that adds a
# new action should add its label here).
ACTION_LABELS = {
    "listing.created": _l("Listing created"),
    "listing.submitted": _l("Listing sent for review"),
    "listing.availability_changed": _l("Made to order or lead time changed"),
    "listing.revision_opened": _l("Change to a published listing proposed"),
    "listing.revision_withdrawn": _l("Proposed change withdrawn"),
    "listing.approved": _l("Listing approved and published"),
    "listing.revision_approved": _l("Change to a listing approved"),
    "listing.sent_back": _l("Listing sent back"),
    "listing.revision_sent_back": _l("Change to a listing sent back"),
    "listing.rejected": _l("Listing rejected"),
    "listing.revision_rejected": _l("Change to a listing rejected"),
    "listing.unpublished": _l("Listing taken out of the shop"),
    "listing.revision_applied": _l("Change from a trusted unit applied at once"),
    "listing.revision_seen": _l("Change from a trusted unit looked at"),
    "listing.archived": _l("Listing archived"),
    "listing.unarchived": _l("Listing taken out of the archive"),
    "stock.update": _l("Stock counted or changed"),
    "stock.import": _l("Stock imported from CSV"),
    "stock.start": _l("Started stocking a product"),
    "stock.stop": _l("Stopped stocking a product"),
    "order.refund": _l("Order refunded"),
    "order.cancel": _l("Order cancelled"),
    "fulfilment.packed": _l("Part of an order packed"),
    "fulfilment.shipped": _l("Part of an order sent"),
    "fulfilment.ready_for_pickup": _l("Part of an order ready for pickup"),
    "fulfilment.delivered": _l("Part of an order delivered"),
    "unit.created": _l("Unit created"),
    "unit.updated": _l("Unit changed"),
    "unit.deactivated": _l("Unit made inactive"),
    "unit.activated": _l("Unit made active"),
    "unit.trusted": _l("Unit marked as trusted"),
    "unit.untrusted": _l("Unit no longer trusted"),
    "development.proposed": _l("Concept proposed"),
    "development.edited": _l("Concept changed"),
    "development.stage_changed": _l("Concept moved to another stage"),
    "development.note_added": _l("Note added to a concept"),
    "development.partner_added": _l("Partner added to a concept"),
    "development.partner_removed": _l("Partner removed from a concept"),
    "development.images_added": _l("Pictures added to a concept"),
    "development.image_removed": _l("Picture removed from a concept"),
    "development.unit_added": _l("Unit added to a concept"),
    "development.unit_removed": _l("Unit removed from a concept"),
    "development.product_linked": _l("Product linked to a concept"),
    "development.product_unlinked": _l("Product unlinked from a concept"),
    "user.invited": _l("Account created and invited"),
    "user.invitation_resent": _l("Invitation sent again"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.updated": _l("Account changed"),
    "user.moved": _l("Moved to another unit"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "listing.featured": _l("Listing featured on the front page"),
    "listing.unfeatured": _l("Listing no longer featured on the front page"),
    "collection.created": _l("Collection created"),
    "collection.changed": _l("Collection changed"),
    "collection.deleted": _l("Collection deleted"),
    "collection.picture": _l("Collection picture changed"),
    "collection.product_added": _l("Product added to a collection"),
    "collection.product_removed": _l("Product taken out of a collection"),
    "legal_page.changed": _l("Page for shoppers changed"),
    "legal_page.reset": _l("Page for shoppers reset to the shipped text"),
    "invoice.issued": _l("Invoice issued"),
    "invoice.sent": _l("Invoice or credit note sent"),
    "invoice.paid": _l("Invoice paid, or credit note settled"),
    "invoice.credited": _l("Credit note issued"),
    "order.withdrawn": _l("Customer withdrew from the purchase"),
    "return.received": _l("Returned goods received"),
    "return.refunded": _l("Return refunded"),
}
OBJECT_LABELS = {
    "product": _l("Listing"),
    "order": _l("Order"),
    "fulfilment": _l("Part of an order"),
    "stock_record": _l("Stock record"),
    "unit": _l("Unit"),
    "user": _l("Account"),
    "development_concept": _l("Concept (product development)"),
}


def action_label(action: str) -> str:
    """The readable name of an action code (the code itself when it has none)."""
    return str(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS[object_type]) if object_type in OBJECT_LABELS else object_type


# Reading

# The two tables an event points at, by name only (see the module's docstring).
_user = table("user", column("id", Integer), column("name", String), column("email", String))
_unit = table("unit", column("id", Integer), column("name", String))


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show; every field left None matches all. Days are Oslo calendar days, both included."""

    unit_id: int | None = None
    actor_user_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One event with the names of who did it and of the unit it concerns."""

    id: int
    created_at: datetime
    action: str
    object_type: str
    object_id: int
    detail: str
    unit_id: int | None
    unit_name: str
    actor_user_id: int | None
    actor_name: str
    actor_email: str

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def object_label(self) -> str:
        return object_label(self.object_type)

    @property
    def actor(self) -> str:
        """Who did it, as a reader knows them: name and e-mail, or just one of them."""
        if self.actor_name and self.actor_email:
            return f"{self.actor_name} ({self.actor_email})"
        return self.actor_name or self.actor_email


def oslo_day_start(day: date) -> datetime:
    """The instant an Oslo calendar day begins (00:00 in Oslo, in summer or winter time), in UTC.

    In UTC because SQLite compares the stored text: a bound time must be written the way the column is.
    """
    return datetime.combine(day, time(), tzinfo=OSLO).astimezone(UTC)


def _statement(filters: AuditFilter):
    stmt = (select(AuditEvent.id, AuditEvent.created_at, AuditEvent.action, AuditEvent.object_type,
                   AuditEvent.object_id, AuditEvent.detail, AuditEvent.unit_id, _unit.c.name.label("unit_name"),
                   AuditEvent.actor_user_id, _user.c.name.label("actor_name"), _user.c.email.label("actor_email"))
            .outerjoin(_user, _user.c.id == AuditEvent.actor_user_id)
            .outerjoin(_unit, _unit.c.id == AuditEvent.unit_id))
    if filters.unit_id is not None:
        stmt = stmt.where(AuditEvent.unit_id == filters.unit_id)
    if filters.actor_user_id is not None:
        stmt = stmt.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    # Days at the ends of the calendar bound nothing (and would overflow once moved to UTC).
    if filters.since is not None and filters.since > date.min + timedelta(days=1):
        stmt = stmt.where(AuditEvent.created_at >= oslo_day_start(filters.since))
    if filters.until is not None and filters.until < date.max - timedelta(days=1):
        stmt = stmt.where(AuditEvent.created_at < oslo_day_start(filters.until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def _row(row) -> AuditRow:
    return AuditRow(id=row.id, created_at=aware(row.created_at), action=row.action, object_type=row.object_type,
                    object_id=row.object_id, detail=row.detail or "", unit_id=row.unit_id, unit_name=row.unit_name or "",
                    actor_user_id=row.actor_user_id, actor_name=row.actor_name or "", actor_email=row.actor_email or "")


def search(session: Session, filters: AuditFilter, *, page: int = 1, per_page: int = 50) -> Page[AuditRow]:
    """One page of the events that match, newest first, with names (two queries).

    Raises:
        PageOutOfRange: past the last page.
    """
    result = paginate(session, _statement(filters), page=page, per_page=per_page, scalars=False)
    return result.with_items([_row(row) for row in result.items])


def events(session: Session, filters: AuditFilter) -> Iterator[AuditRow]:
    """Every event that matches, newest first, streamed from the database."""
    for row in session.execute(_statement(filters).execution_options(yield_per=1000)):
        yield _row(row)


def actions_in_use(session: Session) -> list[str]:
    """The action codes the log holds, sorted (for a filter's choices)."""
    return sorted(session.scalars(select(distinct(AuditEvent.action))))


def object_types_in_use(session: Session) -> list[str]:
    return sorted(session.scalars(select(distinct(AuditEvent.object_type))))


# Export

CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guard(text: str) -> str:
    """A text cell that Excel or LibreOffice shows as text, never runs as a formula."""
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def csv_header() -> list[str]:
    return [str(h) for h in (_l("Time (Oslo)"), _l("Action"), _l("Action code"), _l("Object"), _l("Object id"),
                             _l("Unit"), _l("Unit id"), _l("Who"), _l("E-mail"), _l("Details"))]


def export_csv(session: Session, filters: AuditFilter) -> Iterator[bytes]:
    """The matching events as CSV for Excel in Norway (semicolons, UTF-8 with BOM, text cells guarded
    against formulas), newest first, in chunks: the log can be long, so it is never held whole."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_header())
    bom = True
    for n, event in enumerate(events(session, filters), start=1):
        writer.writerow((event.created_at.astimezone(OSLO).strftime("%Y-%m-%d %H:%M:%S"), _guard(event.action_label),
                         _guard(event.action), _guard(event.object_label), event.object_id, _guard(event.unit_name),
                         event.unit_id if event.unit_id is not None else "", _guard(event.actor_name),
                         _guard(event.actor_email), _guard(event.detail)))
        if n % 500 == 0:
            yield _take(out, bom=bom)
            bom = False
    if bom or out.tell():
        yield _take(out, bom=bom)


def _take(out: io.StringIO, *, bom: bool) -> bytes:
    """What the buffer holds, encoded (the first chunk with the BOM), and the buffer emptied."""
    chunk = out.getvalue().encode("utf-8-sig" if bom else "utf-8")
    out.seek(0)
    out.truncate()
    return chunk
