"""Collections (/coordinator/samlinger): the coordinator puts products together for the home page and their own page.

The rules are catalogue.collections'; this module turns forms into its calls and its errors into messages.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from catalogue import collections
from catalogue.collections import CollectionInput, CollectionNotFound, InvalidCollection
from catalogue.images import InvalidImage
from catalogue.storage import storage_for
from shop.core.actor import Actor
from shop.core.forms import IntegerField
from shop.core.time import OSLO, utcnow
from shop.extensions import db

bp = Blueprint("collections", __name__, url_prefix="/samlinger")


def _plausible_day(form, field) -> None:
    if field.data is not None and not 2000 <= field.data.year <= 2999:
        raise StopValidation(_l("Enter a date between the years 2000 and 2999."))


class CollectionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the collection a title.")), Length(max=200)])
    text = TextAreaField(_l("Text"), render_kw={"rows": 4}, validators=[Length(max=5000)])
    slug = StringField(_l("Address (made from the title when left empty)"), validators=[Optional(), Length(max=80)])
    starts_on = DateField(_l("First day shown (optional)"), validators=[Optional(), _plausible_day])
    ends_on = DateField(_l("Last day shown (optional)"), validators=[Optional(), _plausible_day])
    on_home_page = BooleanField(_l("Show on the home page"), default=True)
    position = IntegerField(_l("Order on the home page (lowest first)"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=999, message=_l("Enter 0 to 999."))])

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise StopValidation(_l("The last day cannot be before the first."))

    def data_for_service(self) -> CollectionInput:
        return CollectionInput(title=self.title.data or "", text=self.text.data or "", slug=(self.slug.data or "").strip(),
                               starts_on=self.starts_on.data, ends_on=self.ends_on.data,
                               on_home_page=bool(self.on_home_page.data), position=self.position.data or 0)


class PictureForm(FlaskForm):
    picture = FileField(_l("Picture (JPEG, PNG, WebP or HEIC)"),
                        render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"})
    image_alt = StringField(_l("Alt text: what the picture shows"),
                            validators=[DataRequired(_l("Describe what the picture shows.")), Length(max=300)])


class AddProductForm(FlaskForm):
    sku = StringField(_l("Item number (SKU) of the product to add"),
                      validators=[DataRequired(_l("Give the item number.")), Length(max=40)])


class StepForm(FlaskForm):
    step = HiddenField()


MESSAGES = {
    ("sku", "no such product"): _l("No product in the catalogue has that item number."),
    ("sku", "already in the collection"): _l("That product is already in the collection."),
    ("sku", "the collection is full"): _l("A collection holds at most %(count)s products.", count=collections.MAX_ITEMS),
    ("slug", "taken"): _l("Another collection has that address."),
    ("slug", "lower-case letters, digits and hyphens"): _l("Use lower-case letters a–z, digits and hyphens."),
}
PICTURE_REFUSALS = {
    "too_large": _l("The picture is too large (at most 20 MB)."),
    "too_many_pixels": _l("The picture has too many pixels (at most 40 megapixels)."),
    "damaged": _l("The picture seems damaged or incomplete. Save it again and send it once more."),
}


def _actor() -> Actor:
    return Actor.of(current_user)


def _collection(collection_id: int):
    try:
        return collections.load(db.session, _actor(), collection_id)
    except CollectionNotFound:
        abort(404)


def _field_error(form: FlaskForm, error: InvalidCollection) -> None:
    field = getattr(form, error.field, None)
    message = str(MESSAGES.get((error.field, error.message), error.message))
    if field is not None:
        field.errors = [*field.errors, message]


@bp.get("", endpoint="index")
def index():
    return render_template("coordinator/collections/index.html",
                           rows=collections.all_collections(db.session, _actor()),
                           today=utcnow().astimezone(OSLO).date())


@bp.route("/ny", methods=["GET", "POST"])
def new():
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            collection = collections.create(db.session, _actor(), form.data_for_service(), now=utcnow())
        except InvalidCollection as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The collection is made. Add its products below."), "success")
            return redirect(url_for("coordinator.collections.edit", collection_id=collection.id), 303)
    return render_template("coordinator/collections/new.html", form=form), 400 if form.errors else 200


@bp.get("/<int:collection_id>")
def edit(collection_id: int):
    return _edit_page(_collection(collection_id))


@bp.post("/<int:collection_id>")
def save(collection_id: int):
    collection = _collection(collection_id)
    form = CollectionForm()
    if form.validate_on_submit():
        try:
            collections.update(db.session, _actor(), collection_id, form.data_for_service(), now=utcnow())
        except InvalidCollection as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The collection is saved."), "success")
            return redirect(url_for("coordinator.collections.edit", collection_id=collection_id), 303)
    return _edit_page(collection, form=form, status=400)


@bp.post("/<int:collection_id>/bilde")
def picture(collection_id: int):
    collection = _collection(collection_id)
    form = PictureForm()
    valid, upload = form.validate_on_submit(), form.picture.data
    if not getattr(upload, "filename", ""):
        form.picture.errors = [*form.picture.errors, _("Choose a picture.")]
        valid = False
    if not valid:
        return _edit_page(collection, picture_form=form, status=400)
    try:
        collections.set_picture(db.session, _actor(), collection_id, upload.read(), alt_text=form.image_alt.data,
                                storage=storage_for(current_app.config), now=utcnow())
    except InvalidImage as error:
        db.session.rollback()
        form.picture.errors = [str(PICTURE_REFUSALS.get(error.reason, _l(
            "That is not a picture we can use. Send a JPEG, PNG, WebP or HEIC photo."))) + " " + _("Nothing was saved.")]
        return _edit_page(_collection(collection_id), picture_form=form, status=400)
    db.session.commit()
    flash(_("The picture is saved."), "success")
    return redirect(url_for("coordinator.collections.edit", collection_id=collection_id), 303)


@bp.post("/<int:collection_id>/varer")
def add_product(collection_id: int):
    collection = _collection(collection_id)
    form = AddProductForm()
    if form.validate_on_submit():
        try:
            product = collections.add_product(db.session, _actor(), collection_id, form.sku.data, now=utcnow())
        except InvalidCollection as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("%(title)s is added.", title=product.title), "success")
            return redirect(url_for("coordinator.collections.edit", collection_id=collection_id, _anchor="varer"), 303)
    return _edit_page(collection, add_form=form, status=400)


@bp.post("/<int:collection_id>/varer/<int:product_id>/flytt")
def move_product(collection_id: int, product_id: int):
    form = StepForm()
    if not form.validate_on_submit() or form.step.data not in ("-1", "1"):
        abort(400)
    try:
        collections.move_product(db.session, _actor(), collection_id, product_id, int(form.step.data), now=utcnow())
    except CollectionNotFound:
        abort(404)
    db.session.commit()
    return redirect(url_for("coordinator.collections.edit", collection_id=collection_id, _anchor="varer"), 303)


@bp.post("/<int:collection_id>/varer/<int:product_id>/fjern")
def remove_product(collection_id: int, product_id: int):
    try:
        collections.remove_product(db.session, _actor(), collection_id, product_id, now=utcnow())
    except CollectionNotFound:
        abort(404)
    db.session.commit()
    flash(_("The product is taken out of the collection."), "success")
    return redirect(url_for("coordinator.collections.edit", collection_id=collection_id, _anchor="varer"), 303)


@bp.post("/<int:collection_id>/slett")
def delete(collection_id: int):
    try:
        collections.delete(db.session, _actor(), collection_id, storage=storage_for(current_app.config), now=utcnow())
    except CollectionNotFound:
        abort(404)
    db.session.commit()
    flash(_("The collection is deleted. Its products are still in the shop."), "success")
    return redirect(url_for("coordinator.collections.index"), 303)


def _edit_page(collection, *, form=None, picture_form=None, add_form=None, status: int = 200):
    if form is None:
        form = CollectionForm(formdata=None, obj=collection)
    return render_template(
        "coordinator/collections/edit.html", collection=collection, form=form,
        picture_form=picture_form or PictureForm(formdata=None, image_alt=collection.image_alt),
        add_form=add_form or AddProductForm(formdata=None), step_form=StepForm(formdata=None),
        items=collections.items(db.session, _actor(), collection, now=utcnow()),
        today=utcnow().astimezone(OSLO).date(),
        any_errors=any(f.errors for f in (form, picture_form, add_form) if f is not None),
    ), status
