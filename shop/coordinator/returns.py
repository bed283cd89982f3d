"""The coordinator's returns (/coordinator/returer): withdrawals on their way back, and the refund once the goods
have come back (by card through Stripe, or by a credit note on an invoiced order)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.core.actor import Actor
from shop.core.http import abort_with_message
from shop.core.time import utcnow
from shop.extensions import db
from shop.orders import invoices, returns
from shop.orders import services as orders
from shop.orders.models import OrderReturn
from shop.payments import gateway
from shop.payments import services as payments

bp = Blueprint("returns", __name__, url_prefix="/returer")


@bp.get("", endpoint="index")
def index():
    open_returns = returns.open_returns(db.session)
    amounts = {item.id: returns.refund_amount(db.session, item) for item in open_returns if item.status == "received"}
    return render_template("coordinator/returns/index.html", open_returns=open_returns, amounts=amounts)


@bp.post("/<int:return_id>/refunder")
def refund(return_id: int):
    order_return = db.session.get(OrderReturn, return_id)
    if order_return is None:
        abort_with_message(404, _("We could not find that return."))
    try:
        done = payments.refund_return(db.session, Actor.of(current_user), order_return, now=utcnow())
    except returns.RefundUnderway:
        db.session.rollback()
        abort_with_message(409, _("This return is being refunded right now. Look again in a moment."))
    except returns.ReturnError:
        db.session.rollback()
        abort_with_message(409, _("Refund when every returned line has been recorded as received."))
    except invoices.InvoiceError:
        db.session.rollback()
        abort_with_message(409, _("Issue the order’s invoice first; the return is then credited against it."))
    except orders.RefundTooLarge:
        db.session.rollback()
        abort_with_message(409, _("More would be refunded than is paid and not yet refunded. Look at the order."))
    except gateway.PaymentError:
        current_app.logger.exception("Refund of return %s failed", return_id)
        flash(_("The payment service refused the refund. Try again later."), "error")
        return redirect(url_for("coordinator.returns.index"), 303)
    flash(_("The return is refunded.") if done else _("This return was already refunded."), "success")
    return redirect(url_for("coordinator.returns.index"), 303)
