"""The customer's order status page, reachable by its unguessable link."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from shop import orders
from shop.extensions import abort_with_message, db

bp = Blueprint("orders", __name__)


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
