"""Checkout pages in two steps (details, then review and place the order) and the card payment page."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from inventory.services import OutOfStock
from shop.cart import services as cart
from shop.cart.views import current_items, empty
from shop.checkout.forms import CheckoutForm
from shop.checkout.services import details_from, shipping_rule
from shop.core.http import abort_with_message
from shop.core.time import utcnow
from shop.errors import render_error
from shop.extensions import db, limiter
from shop.orders import services as orders
from shop.payments import gateway
from shop.payments import services as payments
from shop.security import CONTENT_SECURITY_POLICY, with_stripe

bp = Blueprint("checkout", __name__, url_prefix="/kasse")
DETAILS_KEY = "checkout"


@bp.route("/", methods=["GET", "POST"])
def details():
    view = cart.view(db.session, current_items())
    if not view.buyable:
        flash(_("Your cart is empty, or nothing in it can be bought right now."), "info")
        return redirect(url_for("cart.show"))
    saved = session.get(DETAILS_KEY) or {}
    if not saved and current_user.is_authenticated:
        saved = {"name": current_user.name, "email": current_user.email}
    form = CheckoutForm(data=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        session[DETAILS_KEY] = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        return redirect(url_for("checkout.review"), 303)
    return render_template("checkout/details.html", form=form, cart=view), 400 if form.errors else 200


@bp.route("/oppsummering", methods=["GET", "POST"])
# Each order holds stock for a while: a script placing order after order could empty the shop.
@limiter.limit(lambda: current_app.config["ORDER_RATE_LIMIT"], key_func=get_remote_address, methods=["POST"])
def review():
    checkout_key = request.form.get("checkout_key")
    if request.method == "POST" and (placed := orders.find_by_checkout_key(db.session, checkout_key)) is not None:
        return _next_page(placed)  # the same form sent twice (a double click, a retry): one order
    saved = session.get(DETAILS_KEY)
    items = current_items()
    view = cart.view(db.session, items)
    if not saved:
        return redirect(url_for("checkout.details"))
    if not view.buyable:
        return redirect(url_for("cart.show"))
    details = details_from(saved, user_id=current_user.id if current_user.is_authenticated else None,
                           locale=str(get_locale()))
    rule = shipping_rule(current_app.config)
    shipping = rule.cost(view.subtotal_ore, delivery_method=details.delivery_method, has_goods=view.needs_shipping)
    sums = orders.totals([(line.total_ore, line.card.vat_rate_bp) for line in view.buyable], shipping_ore=shipping)
    if request.method == "POST":
        if view.has_problems:
            flash(_("Something in your cart has changed. Check the cart before you order."), "error")
            return redirect(url_for("cart.show"), 303)
        return _place(items, details, rule, checkout_key=checkout_key)
    if "checkout_key" not in saved:  # one key per checkout; the form carries it back
        saved["checkout_key"] = secrets.token_urlsafe(24)
        session.modified = True
    return render_template("checkout/review.html", cart=view, details=details, totals=sums,
                           checkout_key=saved["checkout_key"])


def _next_page(order):
    if order.payment_method == "invoice":
        return redirect(url_for("orders.status", token=order.public_token, ny=1), 303)
    return redirect(url_for("checkout.pay", token=order.public_token), 303)


def _place(items: dict[int, int], details: orders.Details, rule: orders.ShippingRule, *, checkout_key: str | None):
    window = timedelta(minutes=current_app.config["PAYMENT_WINDOW_MINUTES"])
    if checkout_key and len(checkout_key) <= 64:
        details.checkout_key = checkout_key
    try:
        order = orders.place_order(db.session, items, details, now=utcnow(), payment_window=window, shipping=rule)
        db.session.commit()
    except (OutOfStock, orders.ProductUnavailable):
        db.session.rollback()
        flash(_("Sorry, something in your cart was sold out while you checked out. Nothing was ordered; check the cart."), "error")
        return redirect(url_for("cart.show"), 303)
    except IntegrityError:
        # The same form, sent twice at once: the other request placed the order (the unique
        # checkout key stopped this one); send this one where that one went.
        db.session.rollback()
        placed = orders.find_by_checkout_key(db.session, checkout_key)
        if placed is None:
            raise
        return _next_page(placed)
    empty()
    db.session.commit()
    session.pop(DETAILS_KEY, None)
    return _next_page(order)


def _payable_order(token: str):
    order = orders.load(db.session, token=token)
    if order is None or order.payment_method != "card":
        abort_with_message(404, _("We could not find that order."))
    return order


@bp.get("/betal/<token>")
def pay(token: str):
    order = _payable_order(token)
    if not order.payable:
        # Nothing to pay, or the hold is gone: the status page says which, and never promises a hold.
        return redirect(url_for("orders.status", token=token))
    try:
        intent = payments.intent_for(db.session, order)
    except gateway.PaymentError:
        current_app.logger.exception("Could not reach the payment service for %s", order.number)
        return render_template("checkout/pay.html", order=order, client_secret=None, unavailable=True), 503
    response = make_response(render_template("checkout/pay.html", order=order, client_secret=intent.client_secret,
                                             unavailable=False))
    response.headers["Content-Security-Policy"] = with_stripe(
        CONTENT_SECURITY_POLICY, js_url=current_app.config["STRIPE_JS_URL"], api_base=current_app.config.get("STRIPE_API_BASE")
    )
    return response


def _order_key() -> str:
    return "order:" + (request.view_args or {}).get("token", "")[:64]


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    if request.endpoint == "checkout.confirm_card":
        return jsonify(status="error", message=_("Too many attempts to pay. Wait a few minutes and try again.")), 429
    return render_error(429, _("Too many orders from your network in a short time. Wait a while and try again."))


@bp.post("/betal/<token>")
# Card testers try stolen numbers one after the other: a few tries per order and per client address.
@limiter.limit(lambda: current_app.config["CARD_ATTEMPT_RATE_LIMIT"], key_func=_order_key)
@limiter.limit(lambda: current_app.config["CARD_ATTEMPT_RATE_LIMIT"], key_func=get_remote_address)
def confirm_card(token: str):
    """Attach the card from Stripe.js and confirm; answer JSON to the page's script."""
    order = _payable_order(token)
    status_url = url_for("orders.status", token=token, betalt=1)
    if order.paid_at is not None:
        return jsonify(status="succeeded", next=status_url)
    if not order.payable or not order.payment_intent_id:
        return jsonify(status="closed", message=_("This order can no longer be paid. Start again from the cart."),
                       next=url_for("orders.status", token=token)), 409
    payment_method = (request.form.get("payment_method") or "").strip()
    if not payment_method.startswith(("pm_", "card_", "src_")) or len(payment_method) > 100:
        return jsonify(status="error", message=_("The card details did not reach us. Try again.")), 400
    try:
        intent = gateway.pay_with(order.payment_intent_id, payment_method)
    except gateway.PaymentDeclined:
        payments.renew_intent(db.session, order)
        return jsonify(status="declined", message=_("The card was declined. Try another card, or contact your bank.")), 402
    except gateway.InvalidPaymentMethod:
        current_app.logger.info("Stripe refused the payment method sent for %s", order.number)
        return jsonify(status="error", message=_("The card details did not reach us. Try again.")), 400
    except gateway.PaymentError:
        current_app.logger.exception("Card payment failed for %s", order.number)
        return jsonify(status="error", message=_("We could not reach the payment service. Try again in a moment.")), 502
    if intent.status == "requires_action":
        return jsonify(status="requires_action", client_secret=intent.client_secret, next=status_url)
    return jsonify(status=intent.status, next=status_url)
