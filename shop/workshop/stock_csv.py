"""The unit's stock as a CSV file (/workshop/lager/csv): download it, and upload counts or additions from it.

An upload is shown first as a preview (nothing written); the staff member confirms it, and then every
row is written in one transaction or none is.

Between the preview and the confirmation the rows live in the page, in a hidden field signed with
itsdangerous (bound to the user, the unit and the hour), not in the session or on the server: a file
of thousands of rows does not fit the session cookie, and a store on the server would need a new table
or a cache that several web nodes share. The signature means the browser cannot change the rows; on
confirm they are checked against the database again, and if any row's numbers are no longer what the
preview showed, the new preview is shown instead of writing anything.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, StopValidation

from inventory import csvio
from shop.core.actor import Actor, NotPermitted
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import fulfilment

bp = Blueprint("stock_csv", __name__, url_prefix="/lager/csv")

PLAN_SALT = "workshop.stock_csv.plan"
PLAN_MAX_AGE = 3600  # seconds a preview can be confirmed
# One form field may hold at most Flask's MAX_FORM_MEMORY_SIZE (500 000 bytes by default); 20 000 rows of
# the shop's own SKUs sign to about 260 000 characters.
PLAN_MAX_CHARS = 450_000

FILE_ERRORS = {
    "too_big": lambda e: _("The file is larger than %(megabytes)s MB. Split it into smaller files.", **e.params),
    "too_many_rows": lambda e: _("The file has more than %(rows)s rows. Split it into smaller files.", **e.params),
    "spreadsheet": lambda e: _("This is an Excel workbook, not a CSV file. In Excel, choose “Save as” and "
                               "“CSV (semicolon separated)” or “CSV UTF-8”."),
    "utf16": lambda e: _("The file is saved as Unicode text. In Excel, choose “Save as” and “CSV UTF-8”."),
    "nul": lambda e: _("The file holds bytes that are not text. Is it a CSV file?"),
    "encoding": lambda e: _("The file's characters cannot be read. Save it as “CSV UTF-8”."),
    "empty": lambda e: _("The file is empty."),
    "broken": lambda e: _("The file cannot be read as CSV at line %(line)s (a quote that is not closed, or a very "
                          "long cell).", line=e.line),
    "no_sku_column": lambda e: _("No column named SKU at line %(line)s: the first line must name the columns.",
                                 line=e.line),
    "no_quantity_column": lambda e: _("No column named Antall at line %(line)s: the first line must name the columns, "
                                      "and the numbers go in the column Antall.", line=e.line),
}

PROBLEMS = {
    "missing_sku": lambda p: _("No SKU."),
    "unknown_sku": lambda p: _("No product has this SKU."),
    "other_unit": lambda p: _("Another unit's product, which your unit does not stock."),
    "not_stocked": lambda p: _("Your unit does not stock this product (any longer)."),
    "not_a_number": lambda p: _("Not a whole number."),
    "too_large": lambda p: _("That number is too large."),
    "negative": lambda p: _("The stock would be below zero."),
    "below_packed": lambda p: _("The count is lower than what is sold and waiting to be packed. Count again, "
                                "including the goods waiting to be packed."),
    "below_held": lambda p: _("That would leave less than what is held for orders being paid."),
    "reason_sign": lambda p: _("“Produced” only adds: use “Correction” to take away."),
    "duplicate": lambda p: _("The SKU is also on line %(line)s: keep one row per SKU.", line=p.first_line),
}


def _reason_required_for_add(form, field) -> None:
    if form.mode.data == "add" and field.data not in csvio.ADD_REASONS:
        raise StopValidation(_l("Choose why the stock changes."))
    if form.mode.data != "add":
        field.errors[:] = []
        raise StopValidation()


class UploadForm(FlaskForm):
    """A CSV file and what its numbers mean."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv,text/plain"})
    mode = RadioField(_l("The numbers in the file are"), default="count",
                      choices=[SelectChoice("count", _l("Counted on the shelf: set the stock to the count")),
                               SelectChoice("add", _l("Added to stock (+) or taken away (−)"))],
                      validators=[InputRequired(_l("Choose what the numbers mean."))])
    reason = RadioField(_l("Why the stock changes"),
                        choices=[SelectChoice("produced", _l("Produced (+)")),
                                 SelectChoice("correction", _l("Correction (+/−)"))],
                        validate_choice=False, validators=[_reason_required_for_add])


class ConfirmForm(FlaskForm):
    """The signed rows of a preview, sent back to be written."""

    plan = HiddenField()


class UnusablePlan(Exception):
    """The signed rows are missing, forged, too old, or another user's or unit's."""


def _actor() -> Actor:
    return Actor.of(current_user)


def _unpacked(record_ids: list[int]) -> dict[int, int]:
    return fulfilment.unpacked(db.session, record_ids)


@bp.get("/eksport.csv")
def export():
    now = utcnow()
    try:
        data = csvio.export(db.session, _actor(), now=now, unpacked=_unpacked)
    except NotPermitted:
        abort(404)
    response = Response(data, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"lager-{current_user.unit.slug}-{now.astimezone(OSLO):%Y-%m-%d}.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def upload():
    return render_template("workshop/stock_csv/upload.html", form=UploadForm())


@bp.post("")
def submit():
    """Show what an uploaded file would change; with action=confirm, write the preview the page showed."""
    if request.form.get("action") == "confirm":
        return _confirm()
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("workshop/stock_csv/upload.html", form=form), 400
    try:
        parsed = csvio.parse(form.file.data.read(csvio.MAX_BYTES + 1))
    except csvio.UnreadableFile as error:
        form.file.errors = [*form.file.errors, FILE_ERRORS[error.code](error)]
        return render_template("workshop/stock_csv/upload.html", form=form), 400
    plan = csvio.preview(db.session, _actor(), parsed, form.mode.data, now=utcnow(),
                         reason=form.reason.data if form.mode.data == "add" else None, unpacked=_unpacked)
    db.session.rollback()  # the preview only read
    return _preview_page(plan)


def _confirm():
    actor = _actor()
    try:
        parsed, mode, reason, shown = _read_plan(ConfirmForm().plan.data or "", actor)
    except UnusablePlan:
        flash(_("This preview can no longer be saved (it is more than an hour old, or from another login). Upload "
                "the file again."), "error")
        return render_template("workshop/stock_csv/upload.html", form=UploadForm(formdata=None)), 400
    now = utcnow()
    plan = csvio.preview(db.session, actor, parsed, mode, now=now, reason=reason, unpacked=_unpacked)
    try:
        if not plan.ok or _numbers(plan) != shown:
            raise csvio.ImportConflict([])
        written = csvio.apply(db.session, actor, plan, now=now)
    except csvio.ImportConflict:
        db.session.rollback()
        plan = csvio.preview(db.session, actor, parsed, mode, now=now, reason=reason, unpacked=_unpacked)
        db.session.rollback()
        return _preview_page(plan, changed=True)
    except NotPermitted:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(ngettext("Saved %(num)s row from the file.", "Saved %(num)s rows from the file.", written), "success")
    return redirect(url_for("workshop.stock.page"), 303)


def _preview_page(plan: csvio.Preview, *, changed: bool = False):
    token = _sign_plan(plan) if plan.ok else None
    too_big = token is not None and len(token) > PLAN_MAX_CHARS
    status = 409 if changed else 400 if plan.problem_rows or too_big else 200
    return render_template(
        "workshop/stock_csv/preview.html", preview=plan, changed=changed, too_big=too_big, problems=PROBLEMS,
        confirm=ConfirmForm(formdata=None, plan=None if too_big else token),
        form=UploadForm(formdata=None, mode=plan.mode, reason=plan.reason),
    ), status


def _numbers(plan: csvio.Preview) -> list[list[int | None]]:
    """What the preview showed for each row: on hand then and after."""
    return [[row.current, row.new] for row in plan.rows]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=PLAN_SALT)


def _sign_plan(plan: csvio.Preview) -> str:
    rows = [[row.line, row.sku, str(row.value), "" if row.exported is None else str(row.exported)]
            for row in plan.rows]
    return _serializer().dumps({"user": current_user.id, "unit": current_user.unit_id, "mode": plan.mode,
                                "reason": plan.reason, "rows": rows, "skipped": plan.skipped,
                                "shown": _numbers(plan)})


def _read_plan(token: str, actor: Actor) -> tuple[csvio.ParsedFile, str, str | None, list]:
    """The file's rows, mode, reason and the numbers the preview showed, from the signed field.

    Raises:
        UnusablePlan: no field, a bad or expired signature, or another user's or unit's preview.
    """
    try:
        data = _serializer().loads(token, max_age=PLAN_MAX_AGE)
        if data["user"] != actor.user_id or data["unit"] != actor.unit_id:
            raise UnusablePlan
        rows = tuple(csvio.ParsedRow(line, sku, quantity, exported) for line, sku, quantity, exported in data["rows"])
        return csvio.ParsedFile(rows, data["skipped"]), data["mode"], data["reason"], data["shown"]
    except (BadData, KeyError, TypeError, ValueError) as error:
        raise UnusablePlan from error
