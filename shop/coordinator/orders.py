"""The coordinator's order pages: find orders, see what needs attention, refund and cancel."""
from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from shop.coordinator.forms import CancelForm, OrderFilterForm, RefundForm
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import oslo_date, utcnow
from shop.extensions import db
from shop.orders import invoices
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments import gateway
from shop.payments import services as payments
from shop.templating import nok

bp = Blueprint("orders", __name__, url_prefix="/ordre")
ORDERS_PER_PAGE = 50


@bp.get("", endpoint="list")
def order_list():
    form = OrderFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("coordinator/orders/list.html", form=form, result=None), 400
    page = parse_page(request.args.get("page"))
    query = orders.OrderQuery(text=form.q.data or "", status=form.status.data or None,
                              attention_only=bool(form.attention.data))
    try:
        if page is None:
            raise PageOutOfRange(request.args.get("page"))
        result = orders.search(db.session, query, page=page, per_page=ORDERS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    return render_template("coordinator/orders/list.html", form=form, result=result)


def _order(order_id: int) -> Order:
    order = orders.load(db.session, order_id=order_id)
    if order is None:
        abort_with_message(404, _("We could not find that order."))
    return order


def _detail_page(order: Order, *, refund_form: RefundForm | None = None, cancel_form: CancelForm | None = None,
                 status: int = 200):
    return render_template("coordinator/orders/detail.html", order=order, refund_form=refund_form or _new_refund_form(),
                           cancel_form=cancel_form or CancelForm(), today=oslo_date(utcnow()),
                           documents=invoices.documents_of(db.session, order.id)), status


@bp.get("/<int:order_id>")
def detail(order_id: int):
    return _detail_page(_order(order_id))


def _new_refund_form() -> RefundForm:
    return RefundForm(formdata=None, request_key=secrets.token_urlsafe(16))


@bp.post("/<int:order_id>/refunder")
def refund(order_id: int):
    order = _order(order_id)
    form = RefundForm()
    valid = form.validate_on_submit()
    if form.request_key.errors:  # a form from before this check, or tampered with: a fresh key to send again
        form.request_key.data = secrets.token_urlsafe(16)
        form.amount.errors = [*form.amount.errors, _("Check the amount and send the form again.")]
    if valid:
        amount_ore = form.amount.ore
        try:
            done = payments.refund(db.session, order, amount_ore, request_key=f"form-{form.request_key.data}",
                                   actor_user_id=current_user.id, now=utcnow())
            flash(_("Refunded %(amount)s.", amount=nok(amount_ore)) if done else _("This refund was already made."),
                  "success")
            return redirect(url_for("coordinator.orders.detail", order_id=order.id), 303)
        except orders.RefundTooLarge:
            db.session.rollback()
            form.amount.errors.append(_("You can refund at most what was paid and not yet refunded."))
        except gateway.PaymentError:
            current_app.logger.exception("Refund failed for %s", order.number)
            form.amount.errors.append(_("The payment service refused the refund. Try again later."))
        order = _order(order_id)
    return _detail_page(order, refund_form=form, status=400)


@bp.post("/<int:order_id>/kanseller")
def cancel(order_id: int):
    order = _order(order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _detail_page(order, cancel_form=form, status=400)
    try:
        note = payments.cancel_order(db.session, order, actor_user_id=current_user.id, reason=form.reason.data,
                                     now=utcnow())
        flash(_("The order is cancelled and its stock returned.") if note is None else
              _("The order is cancelled, its stock returned and credit note %(number)s issued.", number=note.number),
              "success")
    except orders.OrderError as error:
        db.session.rollback()
        flash(_cancel_refusal(error), "error")
    except gateway.PaymentError:
        db.session.rollback()
        flash(_("The payment service could not be reached; nothing was changed. Try again later."), "error")
    return redirect(url_for("coordinator.orders.detail", order_id=order_id), 303)


def _cancel_refusal(error: orders.OrderError) -> str:
    if isinstance(error, orders.AlreadySent):
        return _("Goods in this order have been sent, so it cannot be cancelled. Handle it as a return.")
    if isinstance(error, orders.RefundFirst):
        return _("A card payment for this order arrived just now. Nothing was changed: look at the order again "
                 "and cancel it once more to refund the payment.")
    if isinstance(error, orders.RefundTooLarge):  # refunded meanwhile by someone else
        return _("The order changed while you looked at it. Look at it again before you cancel it.")
    return _("This order cannot be cancelled from its current status.")
