"""Listing review: the coordinator approves new listings and changes to published ones, or sends them back."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from catalogue import listings
from catalogue.browse import category_tree
from catalogue.listings import InvalidTransition, ListingNotFound
from catalogue.models import Product
from catalogue.storage import storage_for
from shop.core.actor import Actor, NotPermitted
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("reviews", __name__, url_prefix="/varer")


class SendBackForm(FlaskForm):
    # Here rather than in shop/coordinator/forms.py for now: it is this page's only form.
    comment = TextAreaField(_l("What the workshop should change"), render_kw={"rows": 4},
                            validators=[DataRequired(_l("Say what the workshop should change.")), Length(max=2000)])


def _actor() -> Actor:
    return Actor.of(current_user)


def _product(product_id: int) -> Product:
    try:
        return listings.load(db.session, _actor(), product_id)
    except (ListingNotFound, NotPermitted):
        abort(404)


@bp.get("")
def index():
    return render_template("coordinator/reviews/index.html", rows=listings.review_queue(db.session, _actor()),
                           labels=listings.STATUS_LABELS)


@bp.get("/<int:product_id>")
def listing(product_id: int):
    return _listing_page(_product(product_id))


@bp.post("/<int:product_id>/godkjenn")
def approve(product_id: int):
    product = _product(product_id)
    was_published = product.status == "published"
    try:
        listings.approve(db.session, _actor(), product_id, storage=storage_for(current_app.config), now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Nothing waits for review on this listing any more."), "error")
        return _listing_page(_product(product_id), status=409)
    db.session.commit()
    flash(_("The changes are now in the shop.") if was_published else _("The listing is published."), "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


@bp.post("/<int:product_id>/send-tilbake")
def send_back(product_id: int):
    product = _product(product_id)
    form = SendBackForm()
    if not form.validate_on_submit():
        return _listing_page(product, form=form, status=400)
    try:
        listings.send_back(db.session, _actor(), product_id, form.comment.data, now=utcnow())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Nothing waits for review on this listing any more."), "error")
        return _listing_page(_product(product_id), form=form, status=409)
    db.session.commit()
    flash(_("The listing was sent back to the workshop with your comment."), "success")
    return redirect(url_for("coordinator.reviews.index"), 303)


def _listing_page(product: Product, *, form: SendBackForm | None = None, status: int = 200):
    return render_template("coordinator/reviews/listing.html", product=product, form=form or SendBackForm(formdata=None),
                           side=listings.published_vs_pending(db.session, product),
                           categories=listings.category_names(category_tree(db.session)),
                           labels=listings.STATUS_LABELS), status
