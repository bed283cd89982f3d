"""The unit's stock page (/workshop/lager): count the shelf or add and take away in many rows, save once.

Built for a phone on the workshop floor. Without JavaScript it is one plain form; with it, +/− buttons
change the amounts, typed values survive a reload, and each row can save as soon as it changes (the
same POST, answered in JSON).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory import stocktake
from inventory.models import MOVEMENT_REASONS, StockRecord
from shop.core.actor import Actor, NotPermitted
from shop.core.forms import DB_INT_MAX
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import fulfilment

bp = Blueprint("stock", __name__, url_prefix="/lager")

# What each error code means beside the row.
ERRORS = {
    "not_a_number": lambda: _("Write a whole number."),
    "too_large": lambda: _("That number is too large."),
    "below_packed": lambda: _("The count is lower than what is sold and waiting to be packed. Count again, "
                              "including the goods waiting to be packed."),
    "below_held": lambda: _("That would leave less than what is held for orders being paid."),
    "reason": lambda: _("Choose why the stock changes."),
    "reason_sign": lambda: _("That reason does not fit the direction: produced and returned add, damaged, internal "
                             "use and sold to staff take away."),
    "zero": lambda: _("Write how many to add (+) or take away (−)."),
}


def _actor() -> Actor:
    return Actor.of(current_user)


@dataclass
class RowEntry:
    """What the staff member typed in one row, kept to show it again."""

    count: str = ""
    delta: str = ""
    reason: str = ""

    @property
    def touched(self) -> bool:
        return bool(self.count.strip() or self.delta.strip())


def _entries() -> dict[int, RowEntry]:
    entries = {}
    for record_id in request.form.getlist("row", type=int):
        entries[record_id] = RowEntry(count=request.form.get(f"count-{record_id}", "")[:20],
                                      delta=request.form.get(f"delta-{record_id}", "")[:20],
                                      reason=request.form.get(f"reason-{record_id}", "")[:20])
    return entries


def _whole_number(text: str) -> int | None:
    text = text.strip().replace("\u2212", "-").replace(" ", "").lstrip("+")
    if not text or not text.lstrip("-").isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if abs(value) <= DB_INT_MAX else None


def _loaded_at() -> datetime | None:
    try:
        return datetime.fromisoformat(request.form.get("loaded_at", ""))
    except ValueError:
        return None


@bp.get("")
def page():
    return _render(low_only=request.args.get("lav") == "1")


@bp.post("")
def save():
    """Save every changed row; with "Alt stemmer", confirm the untouched ones too."""
    actor = _actor()
    entries = _entries()
    changes, errors = [], {}
    for record_id, entry in entries.items():
        if not entry.touched:
            continue
        shown = _whole_number(request.form.get(f"shown-{record_id}", ""))
        packed = _whole_number(request.form.get(f"packed-{record_id}", "0")) or 0
        if shown is None:
            abort(400)
        field = entry.count if entry.count.strip() else entry.delta
        value = _whole_number(field)
        if value is None:
            errors[record_id] = "too_large" if field.strip().lstrip("-+").isdigit() else "not_a_number"
            continue
        if entry.count.strip():
            changes.append(stocktake.Change(record_id, "count", value, shown, not_yet_packed=packed))
        else:
            changes.append(stocktake.Change(record_id, "delta", value, shown, reason=entry.reason or None))
    try:
        # Every row of the form must be the unit's before anything is written (a forged id refuses it all).
        stocktake.own_records(db.session, actor, list(entries))
        outcome = stocktake.apply_changes(db.session, actor, changes, now=utcnow(), loaded_at=_loaded_at())
        outcome.errors.update(errors)
        confirmed = 0
        if request.form.get("action") == "confirm_all" and not outcome.errors and not outcome.conflicts:
            untouched = [record_id for record_id, entry in entries.items() if not entry.touched]
            confirmed = stocktake.confirm_all(db.session, actor, untouched, now=utcnow())
    except NotPermitted:
        db.session.rollback()
        abort(404)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return _json(outcome)
    if outcome.errors or outcome.conflicts:
        flash(_("Some rows were not saved: see the messages by them. The other rows are saved."), "error")
        keep = {record_id: entry for record_id, entry in entries.items()
                if record_id in outcome.errors or record_id in outcome.conflicts}
        return _render(entries=keep, outcome=outcome, status=409 if outcome.conflicts else 400)
    if outcome.saved and confirmed:
        flash(_("Saved %(rows)s changed rows, and the other %(confirmed)s are confirmed as right.",
                rows=len(outcome.saved), confirmed=confirmed), "success")
    elif confirmed:
        flash(_("All %(confirmed)s rows are confirmed as right.", confirmed=confirmed), "success")
    elif outcome.saved:
        flash(_("Saved %(rows)s changed rows.", rows=len(outcome.saved)), "success")
    else:
        flash(_("Nothing was changed: write a count or an amount in a row, or press “All correct”."), "info")
    return redirect(url_for("workshop.stock.page"), 303)


def _json(outcome: stocktake.Outcome):
    return jsonify(
        saved={str(k): (m.on_hand_after if m else None) for k, m in outcome.saved.items()},
        conflicts={str(k): {"shown": c.shown_on_hand, "now": c.on_hand_now} for k, c in outcome.conflicts.items()},
        errors={str(k): ERRORS[code]() for k, code in outcome.errors.items()},
    ), (409 if outcome.conflicts else 400 if outcome.errors else 200)


def _render(*, entries: dict[int, RowEntry] | None = None, outcome: stocktake.Outcome | None = None,
            low_only: bool = False, status: int = 200):
    unit_id = current_user.unit_id
    now = utcnow()
    rows = stocktake.stock_rows(db.session, unit_id, now=now, low_only=low_only)
    unpacked = fulfilment.unpacked(db.session, [row.record_id for row in rows])
    stale_before = now - timedelta(days=current_app.config["STOCK_STALE_DAYS"])
    return render_template(
        "workshop/stock/page.html", rows=rows, unpacked=unpacked, entries=entries or {},
        outcome=outcome or stocktake.Outcome(), errors=ERRORS, reasons=REASON_LABELS(), move_labels=_all_reasons(),
        loaded_at=now.isoformat(), stale_before=stale_before, low_only=low_only,
    ), status


def REASON_LABELS() -> dict[str, str]:  # noqa: N802 - a table, called to translate in the request's language
    return {
        "produced": _("Produced (+)"), "returned": _("Returned (+)"), "damaged": _("Damaged (−)"),
        "internal_use": _("Internal use (−)"), "staff_sale": _("Sold to staff (−)"), "correction": _("Correction (+/−)"),
    }


@bp.post("/<int:record_id>/terskel")
def threshold(record_id: int):
    value = _whole_number(request.form.get("threshold", ""))
    try:
        if value is None or value < 0:
            raise ValueError
        stocktake.set_threshold(db.session, _actor(), record_id, value)
    except NotPermitted:
        db.session.rollback()
        abort(404)
    except ValueError:
        flash(_("The low-stock threshold must be a whole number, 0 or more."), "error")
        return redirect(url_for("workshop.stock.page"), 303)
    db.session.commit()
    flash(_("The low-stock threshold is saved."), "success")
    return redirect(url_for("workshop.stock.page"), 303)


@bp.route("/start", methods=["GET", "POST"])
def start():
    """Start stocking a product another unit listed (or one of the unit's own)."""
    if request.method == "POST":
        product_id = _whole_number(request.form.get("product_id", ""))
        try:
            if product_id is None or product_id < 1:
                raise NotPermitted("no product")
            stocktake.start_stocking(db.session, _actor(), product_id, now=utcnow())
        except NotPermitted:
            db.session.rollback()
            abort(404)
        db.session.commit()
        flash(_("The product is on your stock page now. Count it and save."), "success")
        return redirect(url_for("workshop.stock.page"), 303)
    query = request.args.get("q", "")[:100]
    products = stocktake.not_stocked(db.session, current_user.unit_id, query=query)
    return render_template("workshop/stock/start.html", products=products, query=query)


@bp.post("/<int:record_id>/stopp")
def stop(record_id: int):
    try:
        stocktake.stop_stocking(db.session, _actor(), record_id,
                                not_yet_packed=fulfilment.unpacked(db.session, [record_id]).get(record_id, 0),
                                now=utcnow())
    except NotPermitted:
        db.session.rollback()
        abort(404)
    except stocktake.CannotStop:
        db.session.rollback()
        flash(_("Goods of this product are held for orders or waiting to be packed, so you cannot stop stocking it "
                "yet."), "error")
        return redirect(url_for("workshop.stock.page"), 303)
    db.session.commit()
    flash(_("You no longer stock this product."), "success")
    return redirect(url_for("workshop.stock.page"), 303)


@bp.get("/<int:record_id>/historikk")
def history(record_id: int):
    reasons = tuple(r for r in request.args.getlist("grunn") if r in _all_reasons())
    since, until = _day(request.args.get("fra")), _day(request.args.get("til"))
    page = parse_page(request.args.get("page"))
    if page is None:
        abort(404)
    try:
        movements = stocktake.history(db.session, _actor(), record_id, reasons=reasons, since=since,
                                      until=until + timedelta(days=1) if until else None, page=page)
    except NotPermitted:
        abort(404)
    except PageOutOfRange:
        abort(404)
    record = db.session.get(StockRecord, record_id)
    return render_template("workshop/stock/history.html", record=record, movements=movements, reasons=reasons,
                           unpacked=fulfilment.unpacked(db.session, [record_id]).get(record_id, 0),
                           reason_labels=_all_reasons(), since=request.args.get("fra", ""),
                           until=request.args.get("til", ""))


def _all_reasons() -> dict[str, str]:
    labels = {"counted": _("Counted"), "sold": _("Sold"), **REASON_LABELS()}
    return {reason: labels[reason] for reason in MOVEMENT_REASONS}


def _day(text: str | None) -> datetime | None:
    """A date typed as 2026-12-01 (a date input), as the start of that day in Oslo."""
    try:
        day = datetime.strptime((text or "")[:10], "%Y-%m-%d")
    except ValueError:
        return None
    return day.replace(tzinfo=OSLO)
