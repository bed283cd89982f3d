"""Product development for workshop staff: every unit's concepts to read, ideas to propose, notes for all, and
partners and pictures for the units involved.

A concept's id travels in the query string (GET) and in a hidden field (POST), not in the path: every
/workshop route with an id in its path names an object of the staff member's own unit (tests/test_audiences.py
holds them to that), while concepts are read by the staff of every unit on purpose.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from catalogue import development_services as development
from catalogue.development import (
    MAX_FILES_PER_UPLOAD,
    MAX_IMAGES_PER_CONCEPT,
    STAGE_LABELS,
    STAGES,
    ConceptForm,
    ConceptPicturesForm,
    NoteForm,
    PartnerForm,
    chosen_files,
    refused_picture_message,
)
from catalogue.development_services import ConceptNotFound, InvalidConcept
from catalogue.listings import RefusedPicture
from catalogue.storage import storage_for
from shop.core.actor import Actor, NotPermitted
from shop.core.forms import DB_INT_MAX
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("development", __name__, url_prefix="/utvikling")
CONCEPTS_PER_PAGE = 50


def _stage_or_all(form, field) -> None:
    if field.data not in ("", None, *STAGES):
        field.errors[:] = []
        raise StopValidation(_l("Choose one of the stages offered."))


class ConceptFilterForm(FlaskForm):
    """Find concepts: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    stage = SelectField(_l("Stage"), validate_choice=False, validators=[_stage_or_all],
                        choices=[SelectChoice("", _l("All stages"))]
                        + [SelectChoice(value, label) for value, label in STAGE_LABELS.items()])
    mine = BooleanField(_l("Only concepts my unit is part of"), false_values=("", "0", "false"))


def _actor() -> Actor:
    return Actor.of(current_user)


def _id(raw: str | None) -> int:
    """A concept's (or picture's) id from the query string or a form, or 404."""
    if raw and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= DB_INT_MAX:
        return int(raw)
    abort_with_message(404, _("We could not find that concept."))


def _view(concept_id: int) -> development.ConceptView:
    try:
        return development.concept_view(db.session, _actor(), concept_id)
    except ConceptNotFound:
        abort_with_message(404, _("We could not find that concept."))


def _concept_url(concept_id: int, anchor: str | None = None) -> str:
    return url_for("workshop.development.concept", id=concept_id, _anchor=anchor)


@bp.get("")
def index():
    form = ConceptFilterForm(request.args)
    page = parse_page(request.args.get("page"))
    if (request.args and not form.validate()) or page is None:
        return render_template("workshop/development/index.html", form=form, result=None), 400
    try:
        result = development.concept_list(db.session, _actor(), stage=form.stage.data or None,
                                          unit_id=current_user.unit_id if form.mine.data else None, page=page,
                                          per_page=CONCEPTS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    return render_template("workshop/development/index.html", form=form, result=result)


@bp.route("/ny", methods=["GET", "POST"])
def propose():
    form = ConceptForm()
    if not form.validate_on_submit():
        return render_template("workshop/development/propose.html", form=form), 400 if form.is_submitted() else 200
    concept = development.propose(db.session, _actor(), title=form.title.data, description=form.description.data or "",
                                  now=utcnow())
    db.session.commit()
    flash(_("Your idea was added. Every workshop and the coordinator can read it and add notes."), "success")
    return redirect(_concept_url(concept.id), 303)


@bp.get("/konsept")
def concept():
    return _page(_id(request.args.get("id")))


@bp.post("/konsept/notat")
def add_note():
    concept_id = _id(request.form.get("concept_id"))
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(concept_id, note_form=form, status=400)
    try:
        development.add_note(db.session, _actor(), concept_id, form.note.data, now=utcnow())
    except ConceptNotFound:
        abort_with_message(404, _("We could not find that concept."))
    db.session.commit()
    flash(_("Your note was added."), "success")
    return redirect(_concept_url(concept_id, "notater"), 303)


@bp.post("/konsept/partner")
def add_partner():
    concept_id = _id(request.form.get("concept_id"))
    view = _contributor_view(concept_id)
    form = PartnerForm()
    if not form.validate_on_submit():
        return _page(concept_id, view=view, partner_form=form, status=400)
    try:
        development.add_partner(db.session, _actor(), concept_id, kind=form.kind.data, name=form.partner_name.data,
                                contact=form.contact.data or "", now=utcnow())
    except NotPermitted:
        db.session.rollback()
        _refuse_not_involved()
    db.session.commit()
    flash(_("The partner was added."), "success")
    return redirect(_concept_url(concept_id, "partnere"), 303)


@bp.post("/konsept/bilder")
def upload():
    concept_id = _id(request.form.get("concept_id"))
    view = _contributor_view(concept_id)
    form = ConceptPicturesForm()
    if not form.validate_on_submit():
        return _page(concept_id, view=view, pictures_form=form, status=400)
    files = chosen_files(form.pictures)
    try:
        development.add_images(db.session, _actor(), concept_id, [f.read() for f in files], alt_text=form.alt_text.data,
                               storage=storage_for(current_app.config), now=utcnow())
    except RefusedPicture as error:
        db.session.rollback()
        name = files[error.index].filename if error.index < len(files) else ""
        form.pictures.errors = [*form.pictures.errors, refused_picture_message(name, error.reason)]
        return _page(concept_id, pictures_form=form, status=400)
    except InvalidConcept:
        db.session.rollback()
        form.pictures.errors = [*form.pictures.errors, _too_many_pictures()]
        return _page(concept_id, pictures_form=form, status=400)
    except NotPermitted:
        db.session.rollback()
        _refuse_not_involved()
    db.session.commit()
    flash(_("The pictures were added."), "success")
    return redirect(_concept_url(concept_id, "bilder"), 303)


@bp.post("/konsept/bilder/slett")
def delete_image():
    concept_id = _id(request.form.get("concept_id"))
    image_id = _id(request.form.get("image_id"))
    _contributor_view(concept_id)
    try:
        development.remove_image(db.session, _actor(), concept_id, image_id, storage=storage_for(current_app.config),
                                 now=utcnow())
    except ConceptNotFound:
        db.session.rollback()
        abort_with_message(404, _("That picture is not on this concept any more."))
    except NotPermitted:
        db.session.rollback()
        _refuse_not_involved()
    db.session.commit()
    flash(_("The picture was removed."), "success")
    return redirect(_concept_url(concept_id, "bilder"), 303)


def _contributor_view(concept_id: int) -> development.ConceptView:
    """The concept, or 403 when the staff member's unit is not involved (they may still read it and add notes)."""
    view = _view(concept_id)
    if not view.may_contribute:
        _refuse_not_involved()
    return view


def _refuse_not_involved():
    abort_with_message(403, _("Only staff of a unit involved in this concept can add partners and pictures. "
                              "Write a note if your workshop wants to take part."))


def _too_many_pictures() -> str:
    return _("A concept can have at most %(count)s pictures. Remove some before adding more.",
             count=MAX_IMAGES_PER_CONCEPT)


def _page(concept_id: int, *, view: development.ConceptView | None = None, note_form: NoteForm | None = None,
          partner_form: PartnerForm | None = None, pictures_form: ConceptPicturesForm | None = None, status: int = 200):
    return render_template(
        "workshop/development/concept.html", view=view or _view(concept_id),
        note_form=note_form or NoteForm(formdata=None), partner_form=partner_form or PartnerForm(formdata=None),
        pictures_form=pictures_form or ConceptPicturesForm(formdata=None), max_files=MAX_FILES_PER_UPLOAD,
    ), status

