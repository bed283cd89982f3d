"""The coordinator's people (/coordinator/personer): staff, coordinators and admins, invited by e-mail.

Nobody sets or sends a password here: a new account gets a one-time link to choose its own
(shop.accounts.services explains how). Who may do what to whom is decided in the services.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from catalogue import units
from shop.accounts import services as accounts
from shop.accounts.models import ROLES, User
from shop.accounts.views import invitation_hours, send_invitation
from shop.coordinator.forms import InviteForm, PeopleFilterForm, PersonForm
from shop.core.actor import Actor, NotPermitted
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("people", __name__, url_prefix="/personer")
PEOPLE_PER_PAGE = 50


def _actor() -> Actor:
    return Actor.of(current_user)


def _roles(codes) -> dict[str, str]:
    return {code: str(ROLES[code]) for code in codes}


@bp.get("", endpoint="index")
def index():
    form = PeopleFilterForm(request.args)
    form.set_choices(_roles(accounts.WORK_ROLES), units.choices(db.session))
    if request.args and not form.validate():
        return render_template("coordinator/people/index.html", form=form, result=None), 400
    page = parse_page(request.args.get("page"))
    try:
        if page is None:
            raise PageOutOfRange(request.args.get("page"))
        result = accounts.people(db.session, _actor(), role=form.role.data or None, unit_id=form.unit.data,
                                 status=form.status.data or None, text=(form.q.data or "").strip(), page=page,
                                 per_page=PEOPLE_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    return render_template("coordinator/people/index.html", form=form, result=result, roles=_roles(accounts.WORK_ROLES))


@bp.route("/inviter", methods=["GET", "POST"])
def invite():
    actor = _actor()
    form = InviteForm()
    form.set_choices(_roles(accounts.MAY_INVITE[actor.role]), units.choices(db.session))
    if request.method == "GET":  # "Invite staff to this unit" links here with the unit chosen
        form.role.data = "staff"
        form.unit_id.data = _id_arg("unit")
    elif form.validate_on_submit():
        try:
            user = accounts.invite(db.session, actor, email=form.email.data, name=form.name.data, role=form.role.data,
                                   unit_id=form.unit_id.data, now=utcnow())
        except accounts.EmailTaken:
            db.session.rollback()
            form.email.errors.append(_("There is already an account with this e-mail address."))
        except accounts.InvalidPerson as error:
            db.session.rollback()
            getattr(form, error.field, form.name).errors.append(_("Check this field."))
        else:
            send_invitation(user, invited_by=current_user.name or current_user.email)
            db.session.commit()
            flash(ngettext("The account is created, and an invitation is sent to %(email)s. The link works for "
                           "%(num)d hour.", "The account is created, and an invitation is sent to %(email)s. The link "
                           "works for %(num)d hours.", invitation_hours(), email=user.email), "success")
            return redirect(url_for("coordinator.people.detail", user_id=user.id), 303)
    return render_template("coordinator/people/invite.html", form=form, hours=invitation_hours()), \
        400 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def detail(user_id: int):
    user = _person(user_id)
    form = PersonForm()
    form.set_choices(units.choices(db.session), staff=user.role == "staff")
    if request.method == "GET":
        form.name.data, form.unit_id.data = user.name, user.unit_id
    elif form.validate_on_submit():
        try:
            changed = accounts.update_person(db.session, _actor(), user_id, name=form.name.data,
                                             unit_id=form.unit_id.data, now=utcnow())
        except NotPermitted:
            db.session.rollback()
            abort_with_message(403, _("Only an administrator can change an administrator's account."))
        except accounts.InvalidPerson as error:
            db.session.rollback()
            getattr(form, error.field, form.name).errors.append(_("Check this field."))
            user = _person(user_id)
        else:
            db.session.commit()
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("coordinator.people.detail", user_id=user_id), 303)
    return _detail_page(user, form, status=400 if form.errors else 200)


@bp.post("/<int:user_id>/send-invitasjon")
def resend(user_id: int):
    user = _person(user_id)
    try:
        user = accounts.renew_invitation(db.session, _actor(), user_id, now=utcnow())
    except NotPermitted:
        db.session.rollback()
        abort_with_message(403, _("Only an administrator can change an administrator's account."))
    except (accounts.NotPending, accounts.InvalidPerson) as error:
        db.session.rollback()
        flash(_("%(name)s has accepted the invitation already.", name=user.name)
              if isinstance(error, accounts.NotPending)
              else _("The account is deactivated. Reactivate it before you send a new invitation."), "error")
        return _detail_page(_person(user_id), status=409)
    send_invitation(user, invited_by=current_user.name or current_user.email)
    db.session.commit()
    flash(_("A new invitation is sent to %(email)s. Links sent before it no longer work.", email=user.email), "success")
    return redirect(url_for("coordinator.people.detail", user_id=user_id), 303)


@bp.post("/<int:user_id>/deaktiver")
def deactivate(user_id: int):
    user = _person(user_id)
    try:
        done = accounts.deactivate(db.session, _actor(), user_id, now=utcnow())
    except NotPermitted:
        db.session.rollback()
        abort_with_message(403, _("Only an administrator can change an administrator's account."))
    except accounts.CannotDeactivate as error:
        db.session.rollback()
        flash(_("You cannot deactivate your own account.") if error.reason == "self" else
              _("This is the last active coordinator or administrator, so it cannot be deactivated."), "error")
        return _detail_page(_person(user_id), status=409)
    db.session.commit()
    flash(_("%(name)s is deactivated and logged out everywhere.", name=user.name) if done
          else _("The account was deactivated already."), "success")
    return redirect(url_for("coordinator.people.detail", user_id=user_id), 303)


@bp.post("/<int:user_id>/aktiver")
def reactivate(user_id: int):
    user = _person(user_id)
    try:
        done = accounts.reactivate(db.session, _actor(), user_id, now=utcnow())
    except NotPermitted:
        db.session.rollback()
        abort_with_message(403, _("Only an administrator can change an administrator's account."))
    db.session.commit()
    flash(_("%(name)s can log in again.", name=user.name) if done else _("The account was active already."), "success")
    return redirect(url_for("coordinator.people.detail", user_id=user_id), 303)


def _person(user_id: int) -> User:
    try:
        return accounts.load_person(db.session, _actor(), user_id)
    except accounts.PersonNotFound:
        abort_with_message(404, _("We could not find that person."))


def _detail_page(user: User, form: PersonForm | None = None, *, status: int = 200):
    if form is None:
        form = PersonForm(formdata=None, name=user.name, unit_id=user.unit_id)
        form.set_choices(units.choices(db.session), staff=user.role == "staff")
    actor = _actor()
    return render_template("coordinator/people/detail.html", person=user, form=form, role_label=ROLES[user.role],
                           may_change=accounts.may_change(actor, user), is_self=user.id == actor.user_id,
                           invited=not accounts.usable_password(user), hours=invitation_hours()), status


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
