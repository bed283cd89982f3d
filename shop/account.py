"""My account: the logged-in user's own orders, and changing their password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.auth import start_session
from shop.extensions import db, limiter
from shop.forms import ChangePasswordForm
from shop.models import Order
from shop.passwords import WrongPassword, change_password as change_password_of

bp = Blueprint("account", __name__, url_prefix="/konto")

# What each order status means to the customer.
def _current_user_key() -> str:
    return f"user:{current_user.id}"


@bp.get("")
@login_required
def orders():
    """Show the user's details and their own orders."""
    return render_template(
        "account/orders.html",
        orders=orders_of(db.session, current_user.id),
    )


@bp.route("/passord", methods=["GET", "POST"])
@login_required
# Someone at an unattended, logged-in computer must not be able to guess the password here either.
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_current_user_key, methods=["POST"])
def change_password():
    """Change the password after checking the current one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password_of(current_user, current=form.current_password.data, new=form.password.data)
        except WrongPassword:
            form.current_password.errors.append(_("This is not your current password."))
        else:
            db.session.commit()
            # Other devices are logged out by the new password; this one gets a fresh session.
            start_session(current_user._get_current_object())
            flash(_("Your new password is saved. Other devices where you were logged in are logged out."),
                  "success")
            return redirect(url_for("account.orders"))
    return render_template("account/change_password.html", form=form), 400 if form.errors else 200


def orders_of(session: Session, user_id: int) -> list[Order]:
    """Return the user's orders, newest first."""
    return list(session.scalars(
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc())
    ))
