"""Packing: the unit's own share of the orders, to pack and send (or hand over at pickup)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.core.actor import Actor, NotPermitted
from shop.core.time import utcnow
from shop.extensions import db
from shop.orders import fulfilment

bp = Blueprint("packing", __name__, url_prefix="/ordre")


def _actor() -> Actor:
    return Actor.of(current_user)


@bp.get("")
def queue():
    return _queue_page()


@bp.post("/<int:fulfilment_id>/status")
def set_status(fulfilment_id: int):
    target = request.form.get("status", "")
    try:
        fulfilment.advance(db.session, _actor(), fulfilment_id, target, now=utcnow(),
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
    return redirect(url_for("workshop.packing.queue"), 303)


# ?vis=… in the address: the open work (default), the parts that have left, or everything.
VIEWS = {"apne": "open", "sendt": "sent", "alle": "all"}


def _queue_page(status_code: int = 200):
    shown = request.args.get("vis", "apne")
    view = VIEWS.get(shown, "open")
    fulfilments = fulfilment.queue(db.session, _actor(), view=view)
    return render_template("workshop/packing/queue.html", fulfilments=fulfilments, view=view,
                           show_all=view == "all", next_step=fulfilment.next_step), status_code


@bp.get("/<int:fulfilment_id>/pakkseddel")
def slip(fulfilment_id: int):
    """A packing slip for the unit's part of an order, to print (a print stylesheet does the layout)."""
    part = next((f for f in fulfilment.queue(db.session, _actor(), view="all") if f.id == fulfilment_id), None)
    if part is None:
        abort(404)
    return render_template("workshop/packing/slip.html", f=part)


def _refusal(error: fulfilment.InvalidFulfilmentStep) -> str:
    if isinstance(error, fulfilment.WrongDeliveryStep):
        if error.delivery_method == "shipping":
            return _("The customer chose shipping for this order, so it cannot be made ready for pickup.")
        return _("The customer picks up this order, so it cannot be marked as sent.")
    return _("That step is not possible from the current status.")
