"""The national coordinator's order pages: what needs attention, refunds and cancellations."""
from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import BooleanField, DecimalField, HiddenField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import TextInput

from shop import orders, payments
from shop.accounts import role_required
from shop.extensions import abort_with_message, db
from shop.models import Order
from shop.templating import nok

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _kroner_and_ore(form, field) -> None:
    """A finite amount with at most two decimals (øre); anything else stops here with a message."""
    value = field.data
    if value is None or not value.is_finite() or value.as_tuple().exponent < -2:
        field.errors[:] = []
        raise StopValidation(_("Enter an amount in kroner, with at most two decimals."))


class KronerField(DecimalField):
    """An amount in kroner typed the Norwegian way ("100,50", "1 250") or with a point.

    A text box, not type=number: a browser's number box can drop a decimal comma without a word
    and turn 100,50 into 10050.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"[\s\u00a0\u202f]", "", valuelist[0]).replace(",", ".")]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return super()._value().replace(".", ",") if self.data is not None else ""


class RefundForm(FlaskForm):
    amount = KronerField(_l("Amount to refund (kr)"), places=2, render_kw={"inputmode": "decimal", "autocomplete": "off"},
                          validators=[InputRequired(_l("Enter an amount.")), _kroner_and_ore,
                                      NumberRange(min=Decimal("0.01"), message=_l("Enter an amount above zero."))])
    # One refund per form shown: a second click (or a retry) reuses this key, so Stripe refunds once.
    request_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the log)"), validators=[DataRequired(_l("Say why the order is cancelled.")), Length(max=500)])


ORDER_STATUS_CHOICES = [
    ("", _l("All")), ("pending_payment", _l("Awaiting payment")), ("paid", _l("Paid")),
    ("awaiting_invoice", _l("Confirmed – invoice to follow")), ("invoiced", _l("Invoiced")),
    ("expired", _l("Expired – not paid in time")), ("cancelled", _l("Cancelled")), ("refunded", _l("Refunded")),
    ("completed", _l("Completed")),
]
ORDERS_PER_PAGE = 50


class OrderFilterForm(FlaskForm):
    """Find orders: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Order number, name, organisation or e-mail"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), choices=[SelectChoice(v, label) for v, label in ORDER_STATUS_CHOICES],
                         validators=[Optional()])
    attention = BooleanField(_l("Only orders that need attention"), false_values=("", "0", "false"))


@bp.get("/ordre")
@role_required("coordinator")
def order_list():
    form = OrderFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("coordinator/orders.html", form=form, result=None), 400
    stmt = select(Order)
    if form.status.data:
        stmt = stmt.where(Order.status == form.status.data)
    if form.attention.data:
        stmt = stmt.where(Order.attention != "")
    if query := (form.q.data or "").strip():
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(Order.number).like(like, escape="\\"), func.lower(Order.name).like(like, escape="\\"),
                              func.lower(Order.organisation_name).like(like, escape="\\"), Order.email.like(like, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = request.args.get("page", 1, type=int)
    pages = max(1, -(-total // ORDERS_PER_PAGE))
    if page < 1 or page > pages:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=page))
    orders_ = db.session.scalars(stmt.order_by((Order.attention != "").desc(), Order.id.desc())
                                 .limit(ORDERS_PER_PAGE).offset((page - 1) * ORDERS_PER_PAGE))
    result = SimpleNamespace(items=list(orders_), total=total, page=page, pages=pages)
    return render_template("coordinator/orders.html", form=form, result=result)


def _order(order_id: int) -> Order:
    order = orders.load(db.session, order_id=order_id)
    if order is None:
        abort_with_message(404, _("We could not find that order."))
    return order


@bp.get("/ordre/<int:order_id>")
@role_required("coordinator")
def order_detail(order_id: int):
    order = _order(order_id)
    return render_template("coordinator/order.html", order=order, refund_form=_new_refund_form(), cancel_form=CancelForm())


def _make_refund(intent_id: str, amount_ore: int, idempotency_key: str) -> str:
    return payments.refund(intent_id, amount_ore, idempotency_key=idempotency_key)


def _new_refund_form() -> RefundForm:
    return RefundForm(formdata=None, request_key=secrets.token_urlsafe(16))


@bp.post("/ordre/<int:order_id>/refunder")
@role_required("coordinator")
def refund(order_id: int):
    order = _order(order_id)
    form = RefundForm()
    valid = form.validate_on_submit()
    if form.request_key.errors:  # a form from before this check, or tampered with: a fresh key to send again
        form.request_key.data = secrets.token_urlsafe(16)
        form.amount.errors = [*form.amount.errors, _("Check the amount and send the form again.")]
    if valid:
        amount_ore = int(form.amount.data * 100)  # exact: at most two decimals
        try:
            done = orders.refund(db.session, order, amount_ore, request_key=f"form-{form.request_key.data}",
                                 actor_user_id=current_user.id, now=datetime.now(UTC), make_refund=_make_refund)
            if done:
                flash(_("Refunded %(amount)s.", amount=nok(amount_ore)), "success")
            else:
                flash(_("This refund was already made."), "success")
            return redirect(url_for("coordinator.order_detail", order_id=order.id), 303)
        except orders.RefundTooLarge:
            db.session.rollback()
            form.amount.errors.append(_("You can refund at most what was paid and not yet refunded."))
        except payments.PaymentError:
            current_app.logger.exception("Refund failed for %s", order.number)
            form.amount.errors.append(_("The payment service refused the refund. Try again later."))
        order = _order(order_id)
    return render_template("coordinator/order.html", order=order, refund_form=form, cancel_form=CancelForm()), 400


@bp.post("/ordre/<int:order_id>/kanseller")
@role_required("coordinator")
def cancel(order_id: int):
    order = _order(order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("coordinator/order.html", order=order, refund_form=_new_refund_form(), cancel_form=form), 400
    try:
        remaining = order.total_ore - order.refunded_ore if order.paid_at is not None else 0
        orders.check_cancel(order, refunding_ore=remaining if order.payment_method == "card" else 0)
        if order.payment_intent_id and order.paid_at is None:
            payments.cancel_intent(order.payment_intent_id)
        if order.payment_method == "card" and order.paid_at is not None and remaining > 0:
            orders.refund(db.session, order, remaining, request_key=f"cancel-{order.id}", notify=False,
                          actor_user_id=current_user.id, now=datetime.now(UTC), make_refund=_make_refund)
        orders.cancel(db.session, order, actor_user_id=current_user.id, now=datetime.now(UTC), reason=form.reason.data)
        db.session.commit()
        flash(_("The order is cancelled and its stock returned."), "success")
    except orders.AlreadySent:
        db.session.rollback()
        flash(_("Goods in this order have been sent, so it cannot be cancelled. Handle it as a return."), "error")
    except orders.RefundFirst:
        db.session.rollback()
        flash(_("A card payment for this order arrived just now. Nothing was changed: look at the order again "
                "and cancel it once more to refund the payment."), "error")
    except orders.InvalidTransition:
        db.session.rollback()
        flash(_("This order cannot be cancelled from its current status."), "error")
    except orders.RefundTooLarge:  # refunded meanwhile by someone else
        db.session.rollback()
        flash(_("The order changed while you looked at it. Look at it again before you cancel it."), "error")
    except payments.PaymentError:
        db.session.rollback()
        flash(_("The payment service could not be reached; nothing was changed. Try again later."), "error")
    return redirect(url_for("coordinator.order_detail", order_id=order_id), 303)
