"""Product development for the coordinator: a board of every concept by stage, and a concept page to edit it,
set the units involved, link the products it became, move it on, and keep its partners, pictures and notes."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import Length, Optional

from catalogue import development_services as development
from catalogue.development import (
    MAX_FILES_PER_UPLOAD,
    MAX_IMAGES_PER_CONCEPT,
    STAGE_LABELS,
    ConceptForm,
    ConceptPicturesForm,
    NoteForm,
    PartnerForm,
    ProductLinkForm,
    StageForm,
    UnitsForm,
    chosen_files,
    refused_picture_message,
)
from catalogue.development_services import ConceptNotFound, InvalidConcept
from catalogue.listings import RefusedPicture
from catalogue.services import InvalidTransition
from catalogue.storage import storage_for
from shop.core.actor import Actor
from shop.core.http import abort_with_message
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("development", __name__, url_prefix="/utvikling")


class ProductSearchForm(FlaskForm):
    """Find a product to link: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Title or item number"), validators=[Optional(), Length(max=100)])


def _actor() -> Actor:
    return Actor.of(current_user)


def _not_found(what: str = ""):
    abort_with_message(404, what or _("We could not find that concept."))


def _view(concept_id: int) -> development.ConceptView:
    try:
        return development.concept_view(db.session, _actor(), concept_id)
    except ConceptNotFound:
        _not_found()


def _back(concept_id: int, anchor: str | None = None):
    return redirect(url_for("coordinator.development.concept", concept_id=concept_id, _anchor=anchor), 303)


@bp.get("")
def board():
    return _board_page()


def _board_page(*, form: ConceptForm | None = None, stage_error: tuple[int, str] | None = None, status: int = 200):
    return render_template("coordinator/development/board.html", columns=development.board(db.session, _actor()),
                           form=form or ConceptForm(formdata=None), stage_error=stage_error), status


@bp.post("/ny")
def create():
    form = ConceptForm()
    if not form.validate_on_submit():
        return _board_page(form=form, status=400)
    concept = development.propose(db.session, _actor(), title=form.title.data, description=form.description.data or "",
                                  now=utcnow())
    db.session.commit()
    flash(_("The concept was added at the stage \"Idea\". Choose the units involved."), "success")
    return _back(concept.id, "enheter")


@bp.get("/<int:concept_id>")
def concept(concept_id: int):
    search = ProductSearchForm(request.args)
    if request.args and not search.validate():
        return _page(concept_id, search=search, status=400)
    return _page(concept_id, search=search)


@bp.post("/<int:concept_id>/steg")
def move(concept_id: int):
    view = _view(concept_id)
    form = StageForm()
    form.set_choices(view.stage, view.targets)
    from_board = request.form.get("back") == "board"
    if not form.validate_on_submit():
        message = " ".join(str(e) for e in form.stage.errors) or _("Choose one of the stages offered.")
        if from_board:
            return _board_page(stage_error=(concept_id, message), status=400)
        return _page(concept_id, view=view, stage_form=form, status=400)
    try:
        moved = development.move(db.session, _actor(), concept_id, form.stage.data, now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("The concept cannot move there from where it is now."), "error")
        return _page(concept_id, status=409)
    db.session.commit()
    if moved:
        flash(_("“%(title)s” was moved to %(stage)s.", title=view.title,
                stage=str(STAGE_LABELS[form.stage.data])), "success")
    if from_board:
        return redirect(url_for("coordinator.development.board", _anchor=f"konsept-{concept_id}"), 303)
    return _back(concept_id)


@bp.post("/<int:concept_id>/rediger")
def edit(concept_id: int):
    view = _view(concept_id)
    form = ConceptForm()
    if not form.validate_on_submit():
        return _page(concept_id, view=view, edit_form=form, status=400)
    changed = development.edit(db.session, _actor(), concept_id, title=form.title.data,
                               description=form.description.data or "", now=utcnow())
    db.session.commit()
    flash(_("The concept was saved.") if changed else _("Nothing was changed."), "success")
    return _back(concept_id)


@bp.post("/<int:concept_id>/enheter")
def units(concept_id: int):
    view = _view(concept_id)
    form = UnitsForm()
    form.set_choices(development.unit_choices(db.session, including=view.unit_ids))
    if not form.validate_on_submit():
        return _page(concept_id, view=view, units_form=form, status=400)
    try:
        development.set_units(db.session, _actor(), concept_id, form.unit_ids.data or [], now=utcnow())
    except InvalidConcept:
        db.session.rollback()
        form.unit_ids.errors = [*form.unit_ids.errors, _("Choose among the units listed.")]
        return _page(concept_id, units_form=form, status=400)
    db.session.commit()
    flash(_("The units involved were saved."), "success")
    return _back(concept_id, "enheter")


@bp.post("/<int:concept_id>/varer")
def link_product(concept_id: int):
    _view(concept_id)
    form = ProductLinkForm()
    if not form.validate_on_submit():
        abort_with_message(400, _("Choose a product from the search results."))
    try:
        linked = development.link_product(db.session, _actor(), concept_id, form.product_id.data, now=utcnow())
    except ConceptNotFound:
        db.session.rollback()
        _not_found(_("We could not find that product."))
    db.session.commit()
    flash(_("The product was linked to the concept.") if linked else _("The product was already linked."), "success")
    return _back(concept_id, "varer")


@bp.post("/<int:concept_id>/varer/<int:product_id>/fjern")
def unlink_product(concept_id: int, product_id: int):
    _view(concept_id)
    try:
        development.unlink_product(db.session, _actor(), concept_id, product_id, now=utcnow())
    except ConceptNotFound:
        db.session.rollback()
        _not_found(_("That product is not linked to this concept."))
    db.session.commit()
    flash(_("The product is no longer linked to the concept."), "success")
    return _back(concept_id, "varer")


@bp.post("/<int:concept_id>/notat")
def add_note(concept_id: int):
    view = _view(concept_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(concept_id, view=view, note_form=form, status=400)
    development.add_note(db.session, _actor(), concept_id, form.note.data, now=utcnow())
    db.session.commit()
    flash(_("Your note was added."), "success")
    return _back(concept_id, "notater")


@bp.post("/<int:concept_id>/partnere")
def add_partner(concept_id: int):
    view = _view(concept_id)
    form = PartnerForm()
    if not form.validate_on_submit():
        return _page(concept_id, view=view, partner_form=form, status=400)
    development.add_partner(db.session, _actor(), concept_id, kind=form.kind.data, name=form.partner_name.data,
                            contact=form.contact.data or "", now=utcnow())
    db.session.commit()
    flash(_("The partner was added."), "success")
    return _back(concept_id, "partnere")


@bp.post("/<int:concept_id>/partnere/<int:partner_id>/fjern")
def remove_partner(concept_id: int, partner_id: int):
    _view(concept_id)
    try:
        development.remove_partner(db.session, _actor(), concept_id, partner_id, now=utcnow())
    except ConceptNotFound:
        db.session.rollback()
        _not_found(_("That partner is not on this concept any more."))
    db.session.commit()
    flash(_("The partner was removed."), "success")
    return _back(concept_id, "partnere")


@bp.post("/<int:concept_id>/bilder")
def upload(concept_id: int):
    view = _view(concept_id)
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
        form.pictures.errors = [*form.pictures.errors, _(
            "A concept can have at most %(count)s pictures. Remove some before adding more.",
            count=MAX_IMAGES_PER_CONCEPT)]
        return _page(concept_id, pictures_form=form, status=400)
    db.session.commit()
    flash(_("The pictures were added."), "success")
    return _back(concept_id, "bilder")


@bp.post("/<int:concept_id>/bilder/<int:image_id>/slett")
def delete_image(concept_id: int, image_id: int):
    _view(concept_id)
    try:
        development.remove_image(db.session, _actor(), concept_id, image_id, storage=storage_for(current_app.config),
                                 now=utcnow())
    except ConceptNotFound:
        db.session.rollback()
        _not_found(_("That picture is not on this concept any more."))
    db.session.commit()
    flash(_("The picture was removed."), "success")
    return _back(concept_id, "bilder")


def _page(concept_id: int, *, view: development.ConceptView | None = None, search: ProductSearchForm | None = None,
          stage_form: StageForm | None = None, edit_form: ConceptForm | None = None, units_form: UnitsForm | None = None,
          note_form: NoteForm | None = None, partner_form: PartnerForm | None = None,
          pictures_form: ConceptPicturesForm | None = None, status: int = 200):
    view = view or _view(concept_id)
    if stage_form is None:
        stage_form = StageForm(formdata=None, stage=view.stage)
        stage_form.set_choices(view.stage, view.targets)
    if units_form is None:
        units_form = UnitsForm(formdata=None, unit_ids=view.unit_ids)
        units_form.set_choices(development.unit_choices(db.session, including=view.unit_ids))
    search = search or ProductSearchForm(formdata=None)
    found = development.find_products(db.session, _actor(), search.q.data or "") if not search.errors else []
    return render_template(
        "coordinator/development/concept.html", view=view, search=search, found=found,
        linked={p.id for p in view.products}, stage_form=stage_form,
        edit_form=edit_form or ConceptForm(formdata=None, title=view.title, description=view.description),
        units_form=units_form, note_form=note_form or NoteForm(formdata=None),
        partner_form=partner_form or PartnerForm(formdata=None),
        pictures_form=pictures_form or ConceptPicturesForm(formdata=None), max_files=MAX_FILES_PER_UPLOAD,
    ), status
