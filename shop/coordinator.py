"""The national coordinator's order pages: what needs attention, refunds and cancellations."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from shop import orders, payments
from shop.accounts import role_required
from shop.errors import abort_with_message
from shop.extensions import db
from shop.models import Order

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


class RefundForm(FlaskForm):
    amount = DecimalField(_l("Amount to refund (kr)"), places=2,
                          validators=[InputRequired(_l("Enter an amount.")), NumberRange(min=0.01, message=_l("Enter an amount above zero."))])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the log)"), validators=[DataRequired(_l("Say why the order is cancelled.")), Length(max=500)])


@bp.get("/ordre")
@role_required("coordinator")
def order_list():
    status = request.args.get("status") or None
    stmt = select(Order).order_by((Order.attention != "").desc(), Order.id.desc()).limit(200)
    if status in orders.ORDER_FLOW:
        stmt = stmt.where(Order.status == status)
    return render_template("coordinator/orders.html", orders=list(db.session.scalars(stmt)), status=status)


def _order(order_id: int) -> Order:
    order = orders.load(db.session, order_id=order_id)
    if order is None:
        abort_with_message(404, _("We could not find that order."))
    return order


@bp.get("/ordre/<int:order_id>")
@role_required("coordinator")
def order_detail(order_id: int):
    order = _order(order_id)
    return render_template("coordinator/order.html", order=order, refund_form=RefundForm(), cancel_form=CancelForm())


@bp.post("/ordre/<int:order_id>/refunder")
@role_required("coordinator")
def refund(order_id: int):
    order = _order(order_id)
    form = RefundForm()
    if form.validate_on_submit():
        amount_ore = int(form.amount.data * 100)
        try:
            orders.check_refund(order, amount_ore)
            refund_id = payments.refund(order.payment_intent_id, amount_ore,
                                        idempotency_key=f"refund-{order.id}-{order.refunded_ore}-{amount_ore}")
            orders.record_refund(db.session, order, amount_ore, refund_id=refund_id, actor_user_id=current_user.id,
                                 now=datetime.now(UTC))
            db.session.commit()
            flash(_("Refunded."), "success")
            return redirect(url_for("coordinator.order_detail", order_id=order.id), 303)
        except orders.RefundTooLarge:
            form.amount.errors.append(_("You can refund at most what was paid and not yet refunded."))
        except payments.PaymentError:
            current_app.logger.exception("Refund failed for %s", order.number)
            form.amount.errors.append(_("The payment service refused the refund. Try again later."))
    return render_template("coordinator/order.html", order=order, refund_form=form, cancel_form=CancelForm()), 400


@bp.post("/ordre/<int:order_id>/kanseller")
@role_required("coordinator")
def cancel(order_id: int):
    order = _order(order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("coordinator/order.html", order=order, refund_form=RefundForm(), cancel_form=form), 400
    try:
        if order.payment_intent_id and order.paid_at is None:
            payments.cancel_intent(order.payment_intent_id)
        remaining = order.total_ore - order.refunded_ore
        if order.payment_method == "card" and order.paid_at is not None and remaining > 0:
            refund_id = payments.refund(order.payment_intent_id, remaining, idempotency_key=f"cancel-{order.id}")
            orders.record_refund(db.session, order, remaining, refund_id=refund_id, actor_user_id=current_user.id,
                                 now=datetime.now(UTC))
        orders.cancel(db.session, order, actor_user_id=current_user.id, now=datetime.now(UTC), reason=form.reason.data)
        db.session.commit()
        flash(_("The order is cancelled and its stock returned."), "success")
    except orders.InvalidTransition:
        db.session.rollback()
        flash(_("This order cannot be cancelled from its current status."), "error")
    except payments.PaymentError:
        db.session.rollback()
        flash(_("The payment service could not be reached; nothing was changed. Try again later."), "error")
    return redirect(url_for("coordinator.order_detail", order_id=order_id), 303)
