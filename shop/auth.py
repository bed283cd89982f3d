"""Logging in and out."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from shop.accounts import authenticate
from shop.extensions import db
from shop.forms import LoginForm
from shop.urls import safe_next

bp = Blueprint("auth", __name__)

@bp.route("/logg-inn", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("catalogue.home"))
        form.password.errors.append(_("Wrong e-mail address or password."))
    if form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logg-ut")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalogue.home"))
