"""The customer's order pages (the status page at its unguessable link, and My account's order history),
and the status labels every page uses."""
from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from shop.core.http import abort_with_message
from shop.core.time import oslo_date, utcnow
from shop.extensions import db
from shop.orders import documents, invoices, returns
from shop.orders import services as orders
from shop.orders.forms import withdrawal_form
from shop.orders.models import (
    CREDIT_NOTE_STATUS_LABELS,
    FULFILMENT_STATUS_LABELS,
    FULFILMENT_STEP_LABELS,
    INVOICE_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    RETURN_STATUS_LABELS,
    Invoice,
)

bp = Blueprint("orders", __name__)


@bp.app_template_filter("order_status")
def order_status_label(status: str) -> str:
    """What an order status is called (templates: {{ order.status|order_status }})."""
    return str(ORDER_STATUS_LABELS.get(status, status))


@bp.app_template_filter("fulfilment_status")
def fulfilment_status_label(status: str) -> str:
    """What a fulfilment status is called (templates: {{ fulfilment.status|fulfilment_status }})."""
    return str(FULFILMENT_STATUS_LABELS.get(status, status))


@bp.app_template_filter("fulfilment_step")
def fulfilment_step_label(status: str) -> str:
    """What the button that takes a fulfilment to this status says ({{ step|fulfilment_step }})."""
    return str(FULFILMENT_STEP_LABELS.get(status, status))


@bp.app_template_filter("invoice_status")
def invoice_status_label(document: Invoice, today) -> str:
    """What an invoice's (or credit note's) status is called, overdue included ({{ doc|invoice_status(today) }})."""
    if invoices.overdue(document, today):
        return _("Overdue")
    labels = CREDIT_NOTE_STATUS_LABELS if document.is_credit_note else INVOICE_STATUS_LABELS
    return str(labels.get(document.status, document.status))


@bp.app_template_filter("return_status")
def return_status_label(status: str) -> str:
    return str(RETURN_STATUS_LABELS.get(status, status))


# Why a line cannot be withdrawn from, as the withdrawal page says it.
WHY_NOT = {
    returns.BUSINESS: _l("Bought for a business or public body: the consumer right of withdrawal does not apply."),
    returns.SERVICE_PERFORMED: _l("The service has been fully performed with your consent (angrerettloven § 22 a)."),
    returns.DEADLINE_PASSED: _l("The 14 days to withdraw have run out."),
    returns.NOT_SENT: _l("Not sent yet: to cancel it, write to us; the coordinator cancels and refunds."),
    returns.NOT_CONFIRMED: _l("The order is not paid or confirmed."),
    returns.CLOSED: _l("The order is cancelled or paid back in full."),
    returns.ALREADY_RETURNED: _l("Already withdrawn from."),
}


def _order_at(token: str):
    order = orders.load(db.session, token=token)
    if order is None:
        abort_with_message(404, _("We could not find that order. Check the link in your e-mail."))
    return order


@bp.get("/ordre/<token>")
def status(token: str):
    order = _order_at(token)
    # Right after a card payment the webhook may still be on its way: refresh the page for a little while.
    waiting = request.args.get("betalt") == "1" and order.paid_at is None and order.status == "pending_payment"
    now = utcnow()
    return render_template("orders/status.html", order=order, waiting=waiting, new=request.args.get("ny") == "1",
                           documents=invoices.documents_of(db.session, order.id), today=oslo_date(now),
                           order_returns=returns.returns_of(db.session, order.id),
                           may_withdraw=any(entry.why_not is None for entry in returns.withdrawable(db.session, order,
                                                                                                    now=now)))


@bp.route("/ordre/<token>/angre", methods=["GET", "POST"])
def withdraw(token: str):
    """Use the right of withdrawal for some or all of the order's lines, within the deadline."""
    order = _order_at(token)
    now = utcnow()
    entries = returns.withdrawable(db.session, order, now=now)
    open_lines = [(entry.line.id, entry.line.title, entry.left) for entry in entries if entry.why_not is None]
    form = (withdrawal_form(open_lines, formdata=request.form) if request.method == "POST"
            else withdrawal_form(open_lines, request_key=secrets.token_urlsafe(24)))
    if request.method == "POST" and form.validate():
        quantities = {line_id: form[f"line_{line_id}"].data or 0 for line_id, _title, _left in open_lines}
        try:
            returns.withdraw(db.session, order, quantities, reason=form.reason.data or "",
                             request_key=form.request_key.data, now=now)
        except (returns.NothingChosen, returns.NotWithdrawable):
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, _("Choose how many of at least one product to send back.")]
        else:
            db.session.commit()
            flash(_("We have your withdrawal and have sent you a receipt by e-mail. Send the goods back as it says."),
                  "success")
            return redirect(url_for("orders.status", token=token), 303)
    return render_template("orders/withdraw.html", order=order, form=form, entries=entries, why_not=WHY_NOT,
                           days=returns.WITHDRAWAL_DAYS), 400 if form.errors else 200


@bp.get("/ordre/<token>/<kind>-<int:number>.pdf")
def document_pdf(token: str, kind: str, number: int):
    """An invoice or credit note of the order as PDF, at the order's unguessable address."""
    order = _order_at(token)
    found = next((doc for doc in invoices.documents_of(db.session, order.id)
                  if doc.number == number and documents.file_name(doc) == f"{kind}-{number}"), None)
    if found is None:
        abort_with_message(404, _("This order has no such invoice."))
    return documents.pdf_response(found)


@bp.get("/ordre/<token>/status.json")
def status_json(token: str):
    """Tell the waiting status page whether the payment has been confirmed yet."""
    order = orders.load(db.session, token=token)
    if order is None:
        return {"error": "not found"}, 404
    return {"status": order.status, "paid": order.paid_at is not None}


@bp.get("/konto")
@login_required
def mine():
    """My account: the user's details and their own orders."""
    return render_template("account/orders.html", orders=orders.orders_of(db.session, current_user.id))
