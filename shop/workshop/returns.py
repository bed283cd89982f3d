"""Returns: the unit's goods on their way back from customers who withdrew, recorded as received when they arrive."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.core.actor import Actor, NotPermitted
from shop.core.time import utcnow
from shop.extensions import db
from shop.orders import returns

bp = Blueprint("returns", __name__, url_prefix="/returer")


@bp.get("")
def index():
    return render_template("workshop/returns/index.html",
                           open_returns=returns.open_returns(db.session, unit_id=current_user.unit_id))


@bp.post("/linje/<int:line_id>")
def receive(line_id: int):
    condition = request.form.get("condition", "")
    if condition not in ("returned", "damaged"):
        flash(_("Choose whether the goods can be sold again or are damaged."), "error")
        return render_template("workshop/returns/index.html",
                               open_returns=returns.open_returns(db.session, unit_id=current_user.unit_id)), 400
    try:
        changed = returns.receive(db.session, Actor.of(current_user), line_id, condition, now=utcnow())
    except (NotPermitted, returns.ReturnError):
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("Recorded as received; the stock is updated.") if changed else _("This was already recorded."), "success")
    return redirect(url_for("workshop.returns.index"), 303)
