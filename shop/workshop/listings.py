"""Listings: the unit's goods and services, to create, edit, picture and send for review."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from catalogue import development_services, listings
from catalogue.browse import category_tree
from catalogue.listings import InvalidListing, InvalidTransition, ListingNotFound, RefusedPicture, category_names
from catalogue.models import Product
from catalogue.storage import storage_for
from inventory.models import StockRecord
from shop.core.actor import Actor, NotPermitted
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import utcnow
from shop.extensions import db
from shop.workshop.forms import AltTextForm, ListingFilterForm, ListingForm, NewListingForm, PicturesForm, chosen_files

bp = Blueprint("listings", __name__, url_prefix="/varer")
LISTINGS_PER_PAGE = 50


def _actor() -> Actor:
    return Actor.of(current_user)


def _storage():
    return storage_for(current_app.config)


def _listing(product_id: int) -> Product:
    """The listing, or 404: another unit's listing is as unknown here as one that does not exist."""
    try:
        return listings.load(db.session, _actor(), product_id)
    except (ListingNotFound, NotPermitted):
        abort(404)


@bp.get("")
def index():
    form = ListingFilterForm(request.args)
    page = parse_page(request.args.get("page"))
    if (request.args and not form.validate()) or page is None:
        return render_template("workshop/listings/index.html", form=form, result=None, on_hand={},
                               labels=listings.STATUS_LABELS), 400
    try:
        result = listings.unit_listings(db.session, _actor(), status=form.status.data or None, text=form.q.data or "",
                                        page=page, per_page=LISTINGS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    return render_template("workshop/listings/index.html", form=form, result=result, labels=listings.STATUS_LABELS,
                           on_hand=_on_hand(current_user.unit_id, [row.id for row in result.items]))


def _on_hand(unit_id: int, ids: list[int]) -> dict[int, int]:
    # On hand at this unit, not what the shop can sell (that is inventory.queries' "free"): staff count
    # what is on their own shelves.
    if not ids:
        return {}
    return dict(db.session.execute(
        select(StockRecord.product_id, func.sum(StockRecord.on_hand))
        .where(StockRecord.unit_id == unit_id, StockRecord.product_id.in_(ids)).group_by(StockRecord.product_id)
    ).all())


@bp.route("/ny", methods=["GET", "POST"])
def create():
    form = NewListingForm()
    form.set_categories(category_tree(db.session))
    if not form.validate_on_submit():
        return render_template("workshop/listings/new.html", form=form), 400 if form.is_submitted() else 200
    actor, now = _actor(), utcnow()
    try:
        product = listings.create_listing(db.session, actor, form.listing(), now=now)
        files = chosen_files(form.pictures)
        if files:
            listings.add_images(db.session, actor, product.id, [f.read() for f in files], alt_text=form.alt_text.data or "",
                                decorative=form.decorative.data, storage=_storage(), now=now)
        if request.form.get("action") == "submit":
            listings.submit(db.session, actor, product.id, now=now)
    except RefusedPicture as error:
        db.session.rollback()
        form.pictures.errors = [*form.pictures.errors, _refused_picture(files, error)]
        return render_template("workshop/listings/new.html", form=form), 400
    except InvalidListing as error:
        db.session.rollback()
        _field_error(form, error)
        return render_template("workshop/listings/new.html", form=form), 400
    db.session.commit()
    flash(_("The listing was sent for review.") if product.status == "submitted" else _("The listing was saved as a draft."),
          "success")
    return redirect(url_for("workshop.listings.edit", product_id=product.id), 303)


@bp.route("/<int:product_id>", methods=["GET", "POST"])
def edit(product_id: int):
    product = _listing(product_id)
    form = ListingForm()
    form.set_categories(category_tree(db.session))
    if request.method == "GET":
        form.fill(listings.working_input(db.session, product))
        return _edit_page(product, form=form)
    if not form.validate_on_submit():
        return _edit_page(product, form=form, status=400)
    actor, now = _actor(), utcnow()
    send = request.form.get("action") == "submit" and product.status in ("draft", "rejected")
    try:
        update = listings.update_listing(db.session, actor, product_id, form.listing(), now=now)
        if send:
            listings.submit(db.session, actor, product_id, now=now)
    except InvalidListing as error:
        db.session.rollback()
        _field_error(form, error)
        return _edit_page(_listing(product_id), form=form, status=400)
    db.session.commit()
    flash(_("The listing was sent for review.") if send else _saved_message(update), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id), 303)


@bp.post("/<int:product_id>/status")
def set_status(product_id: int):
    _listing(product_id)
    try:
        product = listings.set_status(db.session, _actor(), product_id, request.form.get("status", ""),
                                      storage=_storage(), now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("That is not possible for the listing as it is now."), "error")
        return _edit_page(_listing(product_id), status=409)
    db.session.commit()
    flash(_("The listing was archived: it is no longer in the shop.") if product.status == "archived"
          else _("The listing is a draft again. Send it for review to put it back in the shop."), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id), 303)


@bp.post("/<int:product_id>/trekk-endringer")
def withdraw(product_id: int):
    _listing(product_id)
    try:
        listings.withdraw_revision(db.session, _actor(), product_id, storage=_storage(),
                                   now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("There are no changes waiting for review."), "error")
        return _edit_page(_listing(product_id), status=409)
    db.session.commit()
    flash(_("Your changes were withdrawn. The published version is unchanged."), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id), 303)


@bp.post("/<int:product_id>/bilder")
def upload(product_id: int):
    product = _listing(product_id)
    form = PicturesForm()
    if not form.validate_on_submit():
        return _edit_page(product, pictures_form=form, status=400)
    files = chosen_files(form.pictures)
    try:
        listings.add_images(db.session, _actor(), product_id, [f.read() for f in files], alt_text=form.alt_text.data or "",
                            decorative=form.decorative.data, storage=_storage(), now=utcnow())
    except RefusedPicture as error:
        db.session.rollback()
        form.pictures.errors = [*form.pictures.errors, _refused_picture(files, error)]
        return _edit_page(_listing(product_id), pictures_form=form, status=400)
    db.session.commit()
    flash(_("The pictures wait for the coordinator's approval.") if product.status == "published"
          and not product.unit.trusted else _("The pictures were added."), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id, _anchor="bilder"), 303)


@bp.post("/<int:product_id>/bilder/<int:image_id>/flytt")
def move_image(product_id: int, image_id: int):
    _listing(product_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if step is None:
        abort_with_message(400, _("Choose up or down."))
    try:
        listings.move_image(db.session, _actor(), product_id, image_id, step, storage=_storage(),
                            now=utcnow())
    except ListingNotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return redirect(url_for("workshop.listings.edit", product_id=product_id, _anchor=f"bilde-{image_id}"), 303)


@bp.post("/<int:product_id>/bilder/<int:image_id>/alt-tekst")
def alt_text(product_id: int, image_id: int):
    product = _listing(product_id)
    form = AltTextForm(prefix=f"bilde-{image_id}")
    if not form.validate_on_submit():
        if image_id not in {image.id for image in listings.working_images(db.session, product)}:
            abort(404)
        return _edit_page(product, alt_forms={image_id: form}, status=400)
    try:
        listings.describe_image(db.session, _actor(), product_id, image_id, form.alt_text.data or "",
                                decorative=form.decorative.data, storage=_storage(), now=utcnow())
    except ListingNotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("The alt text was saved."), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id, _anchor=f"bilde-{image_id}"), 303)


@bp.post("/<int:product_id>/bilder/<int:image_id>/slett")
def delete_image(product_id: int, image_id: int):
    _listing(product_id)
    try:
        listings.remove_image(db.session, _actor(), product_id, image_id, storage=_storage(),
                              now=utcnow())
    except ListingNotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("The picture was removed."), "success")
    return redirect(url_for("workshop.listings.edit", product_id=product_id, _anchor="bilder"), 303)


def _edit_page(product: Product, *, form: ListingForm | None = None, pictures_form: PicturesForm | None = None,
               alt_forms: dict | None = None, status: int = 200):
    tree = category_tree(db.session)
    if form is None:
        form = ListingForm(formdata=None)
        form.set_categories(tree)
        form.fill(listings.working_input(db.session, product))
    images = listings.working_images(db.session, product)
    alt_forms = alt_forms or {}
    for image in images:
        if image.id not in alt_forms:
            alt_forms[image.id] = AltTextForm(formdata=None, prefix=f"bilde-{image.id}",
                                              alt_text="" if image.decorative else image.alt_text,
                                              decorative=image.decorative)
    return render_template("workshop/listings/edit.html", product=product, form=form, images=images,
                           pictures_form=pictures_form or PicturesForm(formdata=None), alt_forms=alt_forms,
                           side=listings.published_vs_pending(db.session, product), categories=category_names(tree),
                           labels=listings.STATUS_LABELS,
                           development_notes=development_services.product_notes(db.session, _actor(), product.id)), status


def _field_error(form, error: InvalidListing) -> None:
    """Show a rule the service caught (a category removed meanwhile, say) next to its field."""
    field = getattr(form, {"price_ore": "price"}.get(error.field, error.field), None) or form.title
    field.errors = [*field.errors, _("Check this field.")]


def _refused_picture(files, error: RefusedPicture) -> str:
    """Say which file was refused and why (InvalidImage.reason), and that nothing was stored."""
    name = files[error.index].filename[:100] if error.index < len(files) else ""
    why = {
        "too_large": _("%(name)s is too large. A picture can be at most 20 MB.", name=name),
        "too_many_pixels": _("%(name)s has too many pixels. Send a smaller version of the picture (at most 40 "
                             "megapixels).", name=name),
        "damaged": _("%(name)s seems to be damaged or incomplete. Save it again and send it once more.", name=name),
    }.get(error.reason, _("%(name)s is not a picture we can use. Send JPEG, PNG, WebP or HEIC photos.", name=name))
    return why + " " + _("Nothing was saved; choose the pictures again.")


def _saved_message(update: listings.Update) -> str:
    if update.outcome == listings.PENDING:
        if update.availability_changed:
            return _("Availability was updated in the shop at once. The other changes wait for the coordinator's "
                     "approval; until then the shop shows the published version.")
        return _("Your changes wait for the coordinator's approval. Until then the shop shows the published version.")
    if update.outcome == listings.APPLIED:
        return _("The changes were saved.")
    return _("Nothing was changed.")
