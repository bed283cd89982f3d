"""Account pages: logging in and out, registering, resetting a forgotten password, changing the password."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from shop.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from shop.accounts.models import ROLES, User
from shop.accounts.services import (
    EmailTaken,
    InvalidInvitation,
    InvalidResetToken,
    WrongPassword,
    authenticate,
    find_active_user,
    make_invitation_token,
    make_reset_token,
    normalise_email,
    register_customer,
    set_password,
    user_for_invitation_token,
    user_for_reset_token,
)
from shop.accounts.services import (
    accept_invitation as accept_invitation_of,
)
from shop.accounts.services import (
    change_password as change_password_of,
)
from shop.accounts.sessions import end_session, start_session
from shop.core.time import utcnow
from shop.core.urls import site_url
from shop.errors import render_error
from shop.extensions import db, limiter
from shop.mail import queue_email
from shop.security import safe_next

bp = Blueprint("auth", __name__)
account_bp = Blueprint("account", __name__, url_prefix="/konto")
# Where each role starts its work after logging in.
START_PAGE = {"staff": "workshop.home.index", "coordinator": "coordinator.home.index",
              "admin": "coordinator.home.index"}
INVITATION_MAX_AGE = 72 * 3600  # seconds an invitation link works, unless INVITATION_MAX_AGE is configured


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _reset_request_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _submitted_email() -> str:
    """Key a limit on the e-mail address in the form, so guessing one account's password from many
    addresses is limited too."""
    return "email:" + normalise_email(request.form.get("email", "")[:254])


def _start_page(user) -> str:
    return url_for(START_PAGE.get(user.role, "catalogue.home"))


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    """Explain which limit was hit, on the shop's error page."""
    messages = {
        "auth.login": _("Too many attempts to log in. Wait a few minutes and try again."),
        "auth.forgot_password": _("Too many requests for a new password. Wait a few minutes and try again."),
        "auth.register": _("Too many new accounts from your network. Wait a while and try again."),
    }
    return render_error(429, messages.get(request.endpoint))


@bp.route("/logg-inn", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=get_remote_address, methods=["POST"])
@limiter.limit(_login_limit, key_func=_submitted_email, methods=["POST"])
def login():
    """Log in with e-mail and password, limited per client address and per e-mail address."""
    if current_user.is_authenticated and request.method == "GET":  # already in: go where they were going
        return redirect(safe_next(request.args.get("next")) or _start_page(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or _start_page(user))
        form.password.errors.append(_("Wrong e-mail address or password."))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logg-ut")
def logout():
    """Log out (POST with a CSRF token, so no other site can log a visitor out)."""
    end_session(current_user._get_current_object() if current_user.is_authenticated else None)
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalogue.home"))


@bp.route("/registrer", methods=["GET", "POST"])
@limiter.limit(_register_limit, key_func=get_remote_address, methods=["POST"])
def register():
    """Create a customer account and log it in."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register_customer(
                db.session, name=form.name.data, email=form.email.data, password=form.password.data
            )
        except EmailTaken:
            form.email.errors.append(
                _("There is already an account with this e-mail address. Log in, or ask for a new password.")
            )
        else:
            start_session(user)
            db.session.commit()
            flash(_("Welcome! Your account is created and you are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("catalogue.home"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/glemt-passord", methods=["GET", "POST"])
@limiter.limit(_reset_request_limit, key_func=get_remote_address, methods=["POST"])
@limiter.limit(_reset_request_limit, key_func=_submitted_email, methods=["POST"])
def forgot_password():
    """Send a reset link if the address has an active account; answer the same either way."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_active_user(db.session, form.email.data)
        if user is not None:
            send_reset_link(user)
            db.session.commit()
        # The same answer whether or not the address has an account, so the page reveals nothing.
        flash(
            _("If there is an account for %(email)s, we have sent it a link to choose a new password. "
              "The link works for %(duration)s.", email=form.email.data.strip(), duration=_reset_validity()),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/nytt-passord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through the link from the e-mail, then log in."""
    try:
        user = user_for_reset_token(db.session, token, _secret_keys(), max_age=_reset_max_age())
    except InvalidResetToken:
        return render_template("auth/reset_password.html", form=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data)
        start_session(user)
        db.session.commit()
        flash(_("Your new password is saved, and you are logged in."), "success")
        return redirect(url_for("orders.mine"))
    return render_template("auth/reset_password.html", form=form), 400 if form.errors else 200


@bp.route("/invitasjon/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Accept an invitation: choose a password for the account the coordinator made, then log in."""
    try:
        user = user_for_invitation_token(db.session, token, _secret_keys(), max_age=_invitation_max_age())
    except InvalidInvitation:
        return render_template("auth/invitation.html", form=None, user=None), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            accept_invitation_of(db.session, user, form.password.data, now=utcnow())
        except InvalidInvitation:  # used (or replaced) a moment ago, by another request
            db.session.rollback()
            return render_template("auth/invitation.html", form=None, user=None), 400
        start_session(user)
        db.session.commit()
        flash(_("Welcome, %(name)s! Your password is saved and you are logged in.", name=user.name), "success")
        return redirect(_start_page(user))
    return render_template("auth/invitation.html", form=form, user=user), 400 if form.errors else 200


def _current_user_key() -> str:
    return f"user:{current_user.id}"


@account_bp.route("/passord", methods=["GET", "POST"])
@login_required
# Someone at an unattended, logged-in computer must not be able to guess the password here either.
@limiter.limit(_login_limit, key_func=_current_user_key, methods=["POST"])
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
            return redirect(url_for("orders.mine"))
    return render_template("account/change_password.html", form=form), 400 if form.errors else 200


# Helpers for the views above: they use the request's config, so they live here rather than in the
# request-free services.

def send_reset_link(user: User) -> None:
    """Queue an e-mail with a time-limited, single-use link to choose a new password."""
    link = site_url("auth.reset_password", token=make_reset_token(user, _secret_keys()))
    site = current_app.config["SITE_NAME"]
    body = "\n\n".join([
        _("Hello %(name)s,", name=user.name) if user.name else _("Hello,"),
        _("Someone, hopefully you, asked for a new password for your account at %(site)s. "
          "Open this link to choose one:", site=site),
        link,
        _("The link works for %(duration)s, and only once.", duration=_reset_validity()),
        _("If you did not ask for this, you can ignore this e-mail; your password stays as it is."),
        site,
    ])
    queue_email(db.session, to=user.email, subject=_("Choose a new password for %(site)s", site=site), body=body)


def send_invitation(user: User, *, invited_by: str) -> None:
    """Queue the invitation e-mail (in bokmål) with a one-time link to choose a password, valid INVITATION_MAX_AGE.

    invited_by names who invited them, so the e-mail is not from a stranger.
    """
    site = current_app.config["SITE_NAME"]
    link = site_url("auth.accept_invitation", token=make_invitation_token(user, _secret_keys()))
    with force_locale("nb"):
        context = {"user": user, "site": site, "invited_by": invited_by, "role": str(ROLES[user.role]).lower(),
                   "hours": invitation_hours(), "link": link}
        body = render_template("mail/invitation.txt", **context)
        subject = render_template("mail/invitation_subject.txt", **context).strip()
    queue_email(db.session, to=user.email, subject=subject, body=body)


def _invitation_max_age() -> int:
    return int(current_app.config.get("INVITATION_MAX_AGE", INVITATION_MAX_AGE))


def invitation_hours() -> int:
    """How many hours an invitation link works, as the e-mail and the pages say it."""
    return max(1, _invitation_max_age() // 3600)


def _secret_keys() -> list[str]:
    """The signing key last, older keys before it, so links survive a key rotation."""
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [*reversed(fallbacks), current_app.config["SECRET_KEY"]]


def _reset_max_age() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600))


def _reset_validity() -> str:
    minutes = max(1, _reset_max_age() // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)
