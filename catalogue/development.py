"""Product development: concepts moving through stages, with the units involved, partners, notes, pictures and
the products they became; and the forms staff and the coordinator fill in for them.

The rules live in catalogue/development_services.py. Partners (businesses, schools, NAV) are names and contacts
on a concept; they never get accounts. No note, picture or alt text may identify an inmate: the forms say so
next to the fields.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms import MultipleFileField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from shop.core.forms import IntegerField
from shop.core.time import utcnow
from shop.extensions import db

STAGES = ("idea", "design", "prototype", "pilot", "launched", "dropped")
STAGE_LABELS = {
    "idea": _l("Idea"),
    "design": _l("Design"),
    "prototype": _l("Prototype"),
    "pilot": _l("Pilot"),
    "launched": _l("Launched"),
    "dropped": _l("Dropped"),
}
PARTNER_KINDS = ("business", "school", "nav", "other")
PARTNER_KIND_LABELS = {
    "business": _l("Business"),
    "school": _l("School"),
    "nav": _l("NAV (the labour and welfare service)"),
    "other": _l("Other"),
}

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NOTE_MAX = 5_000
PARTNER_NAME_MAX = 200
PARTNER_CONTACT_MAX = 300
ALT_TEXT_MAX = 300
# Pictures: each file is held to the pipeline's limits (catalogue/images.py: 20 MB, 40 megapixels) and the
# request to MAX_CONTENT_LENGTH, as for listings; these bound how many a concept gathers.
MAX_FILES_PER_UPLOAD = 10
MAX_IMAGES_PER_CONCEPT = 40
ACCEPT_PICTURES = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DevelopmentConcept(db.Model):
    """An idea for a product or service on its way from idea to launch (or dropped), shared by every workshop."""

    __tablename__ = "development_concept"
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage"),
        CheckConstraint("length(title) > 0", name="title_required"),
        Index("ix_development_concept_stage_updated", "stage", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(12), default="idea")
    proposed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    # Any change to the concept or what hangs on it (a note, a partner, a picture): "last activity" in lists.
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    stage_changed_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    units: Mapped[list[ConceptUnit]] = relationship(cascade="all, delete-orphan")
    products: Mapped[list[ConceptProduct]] = relationship(cascade="all, delete-orphan")
    partners: Mapped[list[ConceptPartner]] = relationship(order_by="ConceptPartner.id", cascade="all, delete-orphan")
    notes: Mapped[list[ConceptNote]] = relationship(order_by="ConceptNote.id", cascade="all, delete-orphan")
    images: Mapped[list[ConceptImage]] = relationship(order_by="ConceptImage.position, ConceptImage.id",
                                                      cascade="all, delete-orphan")
    # Named by string: users live in shop.accounts, above catalogue, which it never imports.
    proposed_by: Mapped[User | None] = relationship("User", viewonly=True)  # noqa: F821


class ConceptUnit(db.Model):
    """A unit involved in a concept: its staff may add partners and pictures."""

    __tablename__ = "development_concept_unit"

    concept_id: Mapped[int] = mapped_column(ForeignKey("development_concept.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)


class ConceptProduct(db.Model):
    """A product (published or not) that a concept became."""

    __tablename__ = "development_concept_product"

    concept_id: Mapped[int] = mapped_column(ForeignKey("development_concept.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


class ConceptPartner(db.Model):
    """Someone outside the service working on a concept: a business, a school, NAV or another; never an account."""

    __tablename__ = "development_partner"
    __table_args__ = (
        CheckConstraint(_in("kind", PARTNER_KINDS), name="kind"),
        CheckConstraint("length(name) > 0", name="name_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("development_concept.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(PARTNER_NAME_MAX))
    # A person, an e-mail address or a phone number at the partner, as staff write it.
    contact: Mapped[str] = mapped_column(String(PARTNER_CONTACT_MAX), default="")
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


class ConceptNote(db.Model):
    """One note in a concept's thread: who wrote it, for which unit, and when."""

    __tablename__ = "development_note"
    __table_args__ = (
        CheckConstraint("length(body) > 0", name="body_required"),
        Index("ix_development_note_concept_created", "concept_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("development_concept.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The unit the author wrote for (none for the coordinator), kept as it was: staff can move between units.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship("User", viewonly=True)  # noqa: F821


class ConceptImage(db.Model):
    """A picture of a concept (a sketch, a prototype), made by the same pipeline as product photos."""

    __tablename__ = "development_image"
    __table_args__ = (
        CheckConstraint("length(alt_text) > 0", name="alt_text_required"),
        Index("ix_development_image_concept_position", "concept_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("development_concept.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt_text: Mapped[str] = mapped_column(String(ALT_TEXT_MAX))
    # Folder in the media storage holding the variants (catalogue/images.py, prefix "development").
    storage_key: Mapped[str] = mapped_column(String(200))
    widths: Mapped[list[int]] = mapped_column(JSON, default=list)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


# What people type. Shared by the staff pages and the coordinator's, which may not import each other.

def _one_of(values, message):
    def check(form, field) -> None:
        if field.data not in values:
            field.errors[:] = []
            raise StopValidation(message)
    return check


def _stripped(form, field) -> None:
    if isinstance(field.data, str):
        field.data = field.data.strip()


class ConceptForm(FlaskForm):
    """A concept's title and description: an idea staff propose, or the coordinator's edit."""

    title = StringField(_l("Working title"), validators=[_stripped, DataRequired(_l("Give the idea a title.")),
                                                         Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[_stripped, Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 6})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[_stripped, DataRequired(_l("Write the note first.")),
                                                 Length(max=NOTE_MAX)], render_kw={"rows": 4})


class PartnerForm(FlaskForm):
    kind = SelectField(_l("Kind of partner"), validate_choice=False,
                       choices=[SelectChoice("", _l("Choose"))]
                       + [SelectChoice(value, label) for value, label in PARTNER_KIND_LABELS.items()],
                       validators=[_one_of(PARTNER_KINDS, _l("Choose the kind of partner."))])
    partner_name = StringField(_l("Name of the business, school or office"),
                               validators=[_stripped, DataRequired(_l("Give the partner's name.")),
                                           Length(max=PARTNER_NAME_MAX)])
    contact = StringField(_l("Contact (person, e-mail or phone)"),
                          validators=[_stripped, Optional(), Length(max=PARTNER_CONTACT_MAX)])


def chosen_files(field) -> list:
    """The files actually chosen in a file field (a browser sends an empty part when none is)."""
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


def _files_chosen(form, field) -> None:
    files = chosen_files(field)
    if not files:
        raise StopValidation(_l("Choose one or more pictures."))
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise StopValidation(_l("Send at most %(count)s pictures at a time.", count=MAX_FILES_PER_UPLOAD))


class ConceptPicturesForm(FlaskForm):
    """Pictures of a concept, with one alt text (required: a concept's pictures are never decorative)."""

    pictures = MultipleFileField(_l("Pictures (JPEG, PNG, WebP or HEIC)"), validators=[_files_chosen],
                                 render_kw={"accept": ACCEPT_PICTURES})
    alt_text = StringField(_l("Alt text: what the picture shows"),
                           validators=[_stripped, DataRequired(_l("Describe what the picture shows.")),
                                       Length(max=ALT_TEXT_MAX)])


class StageForm(FlaskForm):
    """Move a concept: a select of the stages it may move to (set_choices) and a button."""

    stage = SelectField(_l("Stage"), validate_choice=False)

    def set_choices(self, current: str, targets) -> None:
        allowed = {current, *targets}
        self.stage.choices = [SelectChoice(s, STAGE_LABELS[s]) for s in STAGES if s in allowed]
        self.stage.validators = [_one_of(allowed, _l("Choose one of the stages offered."))]


class UnitsForm(FlaskForm):
    """The units involved in a concept, as checkboxes (set_choices with [(id, name)])."""

    unit_ids = SelectMultipleField(_l("Units involved"), coerce=int, validate_choice=False,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def set_choices(self, units) -> None:
        self.unit_ids.choices = [SelectChoice(unit_id, name) for unit_id, name in units]
        known = {unit_id for unit_id, _name in units}
        self.unit_ids.validators = [lambda form, field: _known_units(field, known)]


def _known_units(field, known: set[int]) -> None:
    if any(value not in known for value in field.data or []):
        field.errors[:] = []
        raise StopValidation(_l("Choose among the units listed."))


class ProductLinkForm(FlaskForm):
    """Link a product the concept became (the coordinator finds it by title or item number first)."""

    product_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


def refused_picture_message(name: str, reason: str) -> str:
    """Say which file was refused and why (InvalidImage.reason), and that nothing was stored; as listings say it."""
    name = name[:100]
    why = {
        "too_large": _l("%(name)s is too large. A picture can be at most 20 MB.", name=name),
        "too_many_pixels": _l("%(name)s has too many pixels. Send a smaller version of the picture (at most 40 "
                              "megapixels).", name=name),
        "damaged": _l("%(name)s seems to be damaged or incomplete. Save it again and send it once more.", name=name),
    }.get(reason, _l("%(name)s is not a picture we can use. Send JPEG, PNG, WebP or HEIC photos.", name=name))
    return f"{why} {_l('Nothing was saved; choose the pictures again.')}"
