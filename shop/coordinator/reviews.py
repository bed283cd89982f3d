"""Curation: the coordinator reviews new listings and changes to published ones, decides, and trusts units.

Every decision goes through catalogue.listings (which writes the audit log the unit sees); this module
only turns requests into those calls and their answers into pages.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from catalogue import listings
from catalogue.browse import category_tree
from catalogue.listings import InvalidTransition, ListingNotFound
from catalogue.models import Category, Product
from catalogue.storage import storage_for
from shop.core.actor import Actor, NotPermitted
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("reviews", __name__, url_prefix="/varer")


class ApproveForm(FlaskForm):
    # The two checks no program can make: the coordinator confirms them before publishing.
    no_person = BooleanField(_l("I have checked that no person can be recognised"),
                             validators=[DataRequired(_l("Check the photos and the text for people first."))])
    safety = BooleanField(_l("I have checked product safety marking where it is relevant"),
                          validators=[DataRequired(_l("Check product safety marking first."))])


def _comment_form(field: str) -> type[FlaskForm]:
    """A form with one comment field under this name: each decision has its own, so ids differ on the page."""
    return type(f"CommentForm_{field}", (FlaskForm,), {field: TextAreaField(
        _l("Comment to the workshop"), render_kw={"rows": 3},
        validators=[DataRequired(_l("Say why, so the workshop knows what to do.")), Length(max=2000)])})


class TrustForm(FlaskForm):
    """A yes ("1") or a no ("0") in a hidden field: trusting a unit, featuring a listing, or just the token."""

    trusted = HiddenField()


DECISIONS = {"send_back": _l("Send back with comment"), "reject": _l("Reject"), "unpublish": _l("Take out of the shop")}
# The comment field of each decision (sending back keeps the plain name it always had).
COMMENT_FIELDS = {"send_back": "comment", "reject": "reject_comment", "unpublish": "unpublish_comment"}
COMMENT_FORMS = {name: _comment_form(field) for name, field in COMMENT_FIELDS.items()}


def _forms(**given) -> dict:
    forms = {"approve": given.get("approve") or ApproveForm(formdata=None)}
    for name in DECISIONS:
        forms[name] = given.get(name) or COMMENT_FORMS[name](formdata=None)
    return forms


def _actor() -> Actor:
    return Actor.of(current_user)


def _product(product_id: int) -> Product:
    try:
        return listings.load(db.session, _actor(), product_id)
    except (ListingNotFound, NotPermitted):
        abort(404)


def _storage():
    return storage_for(current_app.config)


@bp.get("")
def index():
    actor = _actor()
    return render_template("coordinator/reviews/index.html", rows=listings.review_queue(db.session, actor),
                           after=listings.after_the_fact(db.session, actor), trusted=listings.trusted_units(db.session),
                           labels=listings.STATUS_LABELS, now=utcnow(), trust_form=TrustForm())


@bp.get("/<int:product_id>")
def listing(product_id: int):
    return _listing_page(_product(product_id))


@bp.post("/<int:product_id>/godkjenn")
def approve(product_id: int):
    product = _product(product_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _listing_page(product, approve=form, status=400)
    was_published = product.status == "published"
    try:
        listings.approve(db.session, _actor(), product_id, storage=_storage(), now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Nothing waits for review on this listing any more."), "error")
        return _listing_page(_product(product_id), status=409)
    db.session.commit()
    flash(_("The changes are now in the shop.") if was_published else _("The listing is published."), "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


@bp.post("/<int:product_id>/send-tilbake")
def send_back(product_id: int):
    return _decide(product_id, "send_back", lambda comment: listings.send_back(
        db.session, _actor(), product_id, comment, now=utcnow()),
        _("The listing was sent back to the workshop with your comment."))


@bp.post("/<int:product_id>/avvis")
def reject(product_id: int):
    return _decide(product_id, "reject", lambda comment: listings.reject(
        db.session, _actor(), product_id, comment, storage=_storage(), now=utcnow()),
        _("Rejected. The workshop sees your comment."))


@bp.post("/<int:product_id>/ta-ut")
def unpublish(product_id: int):
    return _decide(product_id, "unpublish", lambda comment: listings.unpublish(
        db.session, _actor(), product_id, comment, storage=_storage(), now=utcnow()),
        _("The listing is out of the shop and back with the workshop as a draft."))


@bp.post("/<int:product_id>/arkiver")
def archive(product_id: int):
    _product(product_id)
    listings.coordinator_archive(db.session, _actor(), product_id, storage=_storage(), now=utcnow())
    db.session.commit()
    flash(_("The listing is archived."), "success")
    return redirect(url_for("coordinator.reviews.listing", product_id=product_id), 303)


@bp.post("/<int:product_id>/fremhev")
def feature(product_id: int):
    _product(product_id)
    form = TrustForm()  # one hidden yes-or-no field and the token
    if not form.validate_on_submit() or form.trusted.data not in ("0", "1"):
        abort(400)
    product = listings.set_featured(db.session, _actor(), product_id, form.trusted.data == "1", now=utcnow())
    db.session.commit()
    flash(_("The listing is featured on the home page while it is for sale.") if product.featured
          else _("The listing is no longer featured."), "success")
    return redirect(url_for("coordinator.reviews.listing", product_id=product_id), 303)


@bp.post("/enhet/<int:unit_id>/tillit")
def trust(unit_id: int):
    form = TrustForm()
    if not form.validate_on_submit() or form.trusted.data not in ("0", "1"):
        abort(400)
    try:
        unit = listings.set_trusted(db.session, _actor(), unit_id, form.trusted.data == "1", now=utcnow())
    except ListingNotFound:
        abort(404)
    db.session.commit()
    flash(_("%(unit)s is trusted: its changes go live at once.", unit=unit.name) if unit.trusted
          else _("%(unit)s is no longer trusted: its changes wait for review.", unit=unit.name), "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


@bp.post("/sett/<int:revision_id>")
def seen(revision_id: int):
    if not TrustForm().validate_on_submit():
        abort(400)
    try:
        listings.mark_seen(db.session, _actor(), revision_id, now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("That change has already been looked at."), "error")
        return redirect(url_for("coordinator.reviews.index"), 303)
    db.session.commit()
    flash(_("Marked as looked at."), "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


def _decide(product_id: int, name: str, decide, done: str):
    product = _product(product_id)
    form = COMMENT_FORMS[name]()
    if not form.validate_on_submit():
        return _listing_page(product, status=400, **{name: form})
    try:
        decide(form[COMMENT_FIELDS[name]].data)
    except InvalidTransition:
        db.session.rollback()
        flash(_("The listing has changed meanwhile: look again."), "error")
        return _listing_page(_product(product_id), status=409, **{name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


def _listing_page(product: Product, *, status: int = 200, **forms):
    side = listings.published_vs_pending(db.session, product)
    version = side.proposed or side.current
    category = db.session.get(Category, version.fields.get("category_id"))
    return render_template("coordinator/reviews/listing.html", product=product, forms=_forms(**forms),
                           side=side, diffs=listings.text_diffs(side), checks=listings.checklist(side, category),
                           categories=listings.category_names(category_tree(db.session)),
                           labels=listings.STATUS_LABELS, decisions=DECISIONS, trust_form=TrustForm(),
                           any_errors=any(f.errors for f in forms.values())), status
