"""The audit log (/coordinator/logg): what staff and coordinators did, filtered, page by page and as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from catalogue import units
from shop.accounts import services as accounts
from shop.coordinator.forms import AuditFilterForm
from shop.core import audit
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import OSLO, utcnow
from shop.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/logg")
EVENTS_PER_PAGE = 50
# The coordinator's page for each kind of object, and the name of its id in the route.
OBJECT_PAGES = {"product": ("coordinator.reviews.listing", "product_id"), "order": ("coordinator.orders.detail", "order_id"),
                "unit": ("coordinator.units.edit", "unit_id"), "user": ("coordinator.people.detail", "user_id"),
                "development_concept": ("coordinator.development.concept", "concept_id")}


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    actions = sorted(set(audit.actions_in_use(db.session)) | set(audit.ACTION_LABELS),
                     key=lambda code: (audit.action_label(code).lower(), code))
    kinds = sorted(set(audit.object_types_in_use(db.session)) | set(audit.OBJECT_LABELS))
    form.set_choices(units=units.choices(db.session), people=accounts.person_choices(db.session),
                     actions=[(code, f"{audit.action_label(code)} ({code})") for code in actions],
                     object_types=[(kind, audit.object_label(kind)) for kind in kinds])
    return form


def _filters(form: AuditFilterForm) -> audit.AuditFilter:
    return audit.AuditFilter(unit_id=form.unit.data, actor_user_id=form.person.data,
                             object_type=form.object_type.data or None, object_id=form.object_id.data,
                             action=form.action.data or None, since=form.since.data, until=form.until.data)


@bp.get("", endpoint="index")
def index():
    form = _form()
    if request.args and not form.validate():
        return render_template("coordinator/audit/index.html", form=form, result=None), 400
    page = parse_page(request.args.get("page"))
    try:
        if page is None:
            raise PageOutOfRange(request.args.get("page"))
        result = audit.search(db.session, _filters(form), page=page, per_page=EVENTS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    export_url = url_for("coordinator.audit.export", **{k: v for k, v in request.args.items() if k != "page"})
    return render_template("coordinator/audit/index.html", form=form, result=result, object_url=object_url,
                           export_url=export_url)


@bp.get("/csv", endpoint="export")
def export():
    form = _form()
    if request.args and not form.validate():
        return render_template("coordinator/audit/index.html", form=form, result=None), 400
    name = f"logg-{utcnow().astimezone(OSLO):%Y-%m-%d}.csv"
    return Response(stream_with_context(audit.export_csv(db.session, _filters(form))),
                    mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def object_url(event: audit.AuditRow) -> str | None:
    """The coordinator's page of the event's object, where there is one."""
    page = OBJECT_PAGES.get(event.object_type)
    if page is None or page[0] not in current_app.view_functions:
        return None
    endpoint, argument = page
    return url_for(endpoint, **{argument: event.object_id})
