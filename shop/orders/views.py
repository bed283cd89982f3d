"""The customer's order pages (the status page at its unguessable link, and My account's order history),
and the status labels every page uses."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from shop.core.http import abort_with_message
from shop.extensions import db
from shop.orders import services as orders
from shop.orders.models import (
    FULFILMENT_STATUS_LABELS,
    FULFILMENT_STEP_LABELS,
    ORDER_STATUS_LABELS,
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


@bp.get("/ordre/<token>")
def status(token: str):
    order = orders.load(db.session, token=token)
    if order is None:
        abort_with_message(404, _("We could not find that order. Check the link in your e-mail."))
    # Right after a card payment the webhook may still be on its way: refresh the page for a little while.
    waiting = request.args.get("betalt") == "1" and order.paid_at is None and order.status == "pending_payment"
    return render_template("orders/status.html", order=order, waiting=waiting, new=request.args.get("ny") == "1")


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
