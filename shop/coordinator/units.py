"""The coordinator's units (/coordinator/enheter): every prison and workshop, created and edited here."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue import units
from catalogue.models import REGIONS
from shop.coordinator.forms import UnitFilterForm, UnitForm
from shop.core.actor import Actor
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import utcnow
from shop.extensions import db

bp = Blueprint("units", __name__, url_prefix="/enheter")
UNITS_PER_PAGE = 50


def _actor() -> Actor:
    return Actor.of(current_user)


@bp.get("", endpoint="index")
def index():
    form = UnitFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("coordinator/units/index.html", form=form, result=None, regions=REGIONS), 400
    page = parse_page(request.args.get("page"))
    status = {"active": True, "inactive": False}.get(form.status.data or "")
    try:
        if page is None:
            raise PageOutOfRange(request.args.get("page"))
        result = units.unit_list(db.session, _actor(), region=form.region.data or None, active=status,
                                 text=(form.q.data or "").strip(), page=page, per_page=UNITS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    return render_template("coordinator/units/index.html", form=form, result=result, regions=REGIONS)


@bp.route("/ny", methods=["GET", "POST"])
def new():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = units.create(db.session, _actor(), form.unit(), now=utcnow())
        except units.InvalidUnit as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The unit %(name)s is created.", name=unit.name), "success")
            return redirect(url_for("coordinator.units.edit", unit_id=unit.id), 303)
    return render_template("coordinator/units/form.html", form=form, unit=None), 400 if form.errors else 200


@bp.route("/<int:unit_id>", methods=["GET", "POST"])
def edit(unit_id: int):
    unit = _unit(unit_id)
    form = UnitForm()
    if request.method == "GET":
        form.fill(units.UnitInput.of(unit))
    elif form.validate_on_submit():
        try:
            changed = units.update(db.session, _actor(), unit_id, form.unit(), now=utcnow())
        except units.InvalidUnit as error:
            db.session.rollback()
            _field_error(form, error)
            unit = _unit(unit_id)
        else:
            db.session.commit()
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("coordinator.units.edit", unit_id=unit_id), 303)
    return render_template("coordinator/units/form.html", form=form, unit=unit), 400 if form.errors else 200


def _unit(unit_id: int):
    try:
        return units.load(db.session, _actor(), unit_id)
    except units.UnitNotFound:
        abort(404)


def _field_error(form: UnitForm, error: units.InvalidUnit) -> None:
    """Put a rule the service found broken next to its field (the form checks the rest itself)."""
    messages = {"name": _("Another unit already has this name.")}
    field = getattr(form, error.field, form.name)
    field.errors = [*field.errors, messages.get(error.field, _("Check this field."))]
