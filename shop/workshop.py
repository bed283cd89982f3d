"""Workshop staff pages: the unit's own share of the orders, to pack and send."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop import fulfilment
from shop.accounts import NotPermitted, role_required
from shop.extensions import db

bp = Blueprint("workshop", __name__, url_prefix="/workshop")


def _actor() -> fulfilment.Actor:
    return fulfilment.Actor(user_id=current_user.id, role=current_user.role, unit_id=current_user.unit_id)


@bp.get("/ordre")
@role_required("staff")
def orders():
    return _queue_page()


@bp.post("/ordre/<int:fulfilment_id>/status")
@role_required("staff")
def set_status(fulfilment_id: int):
    target = request.form.get("status", "")
    try:
        fulfilment.advance(db.session, _actor(), fulfilment_id, target, now=datetime.now(UTC),
                           tracking_number=request.form.get("tracking_number", ""))
    except NotPermitted:
        db.session.rollback()
        abort(404)
    except fulfilment.InvalidFulfilmentStep as error:
        db.session.rollback()
        flash(_refusal(error), "error")
        # The queue with the message: a page left open while a colleague moved the order shows it as it is now.
        return _queue_page(409)
    db.session.commit()
    flash(_("Status updated."), "success")
    return redirect(url_for("workshop.orders"), 303)


def _queue_page(status_code: int = 200):
    actor = _actor()
    if actor.unit_id is None:
        abort(403)
    show_all = request.args.get("vis") == "alle"
    fulfilments = fulfilment.queue(db.session, actor, open_only=not show_all)
    return render_template("workshop/orders.html", fulfilments=fulfilments, show_all=show_all,
                           next_step=fulfilment.next_step), status_code


def _refusal(error: fulfilment.InvalidFulfilmentStep) -> str:
    if isinstance(error, fulfilment.WrongDeliveryStep):
        if error.delivery_method == "shipping":
            return _("The customer chose shipping for this order, so it cannot be made ready for pickup.")
        return _("The customer picks up this order, so it cannot be marked as sent.")
    return _("That step is not possible from the current status.")
