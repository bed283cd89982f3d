"""The national overview (/coordinator/oversikt): every unit at a glance, and every good and service in one list."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from catalogue.browse import category_tree
from catalogue.listings import STATUS_LABELS
from catalogue.models import KINDS, REGIONS
from inventory import overview as stock_overview
from shop.core.actor import Actor, NotPermitted
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import overview
from shop.templating import number

bp = Blueprint("overview", __name__, url_prefix="/oversikt")
PRODUCTS_PER_PAGE = 50


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


UNIT_SORT_LABELS = {
    "name": _l("Unit"), "region": _l("Region"), "goods": _l("Published goods"), "services": _l("Published services"),
    "value": _l("Stock value excl. VAT"), "low": _l("Low stock"), "out": _l("Out of stock"),
    "open": _l("Open orders"), "oldest": _l("Oldest open order"), "confirmed": _l("Days since stock was confirmed"),
}
PRODUCT_SORT_LABELS = {
    "title": _l("Title, A–Z"), "unit": _l("Unit, A–Z"), "sku": _l("SKU"), "price_asc": _l("Price, lowest first"),
    "price_desc": _l("Price, highest first"), "available": _l("Available, fewest first"), "newest": _l("Newest"),
}


class UnitFilterForm(FlaskForm):
    """The overview's region and order: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), choices=_options([("", _l("All regions")), *REGIONS.items()]),
                         validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=_options(UNIT_SORT_LABELS.items()), default="name",
                       validators=[Optional()])
    # Empty: the column's own way first (the largest numbers, the longest waits, names from A).
    dir = SelectField(_l("Sort direction"), choices=_options([("", _l("Most telling first")), ("asc", _l("Ascending")),
                                                               ("desc", _l("Descending"))]), validators=[Optional()])

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        # An unknown order in a shared link is not worth an error: fall back to the default.
        if self.sort.data not in UNIT_SORT_LABELS:
            self.sort.data = "name"
        if self.dir.data not in ("", "asc", "desc"):
            self.dir.data = ""


class ProductFilterForm(FlaskForm):
    """Filters of the national list: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Title or SKU"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    region = SelectField(_l("Region"), choices=_options([("", _l("All regions")), *REGIONS.items()]),
                         validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    kind = SelectField(_l("Type"), choices=_options([("", _l("Goods and services")), *KINDS.items()]),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=_options([("", _l("Every status")), *STATUS_LABELS.items()]),
                         validators=[Optional()])
    stock = SelectField(_l("Stock"), choices=_options([("", _l("Any stock")), *stock_overview.STOCK_STATES.items()]),
                        validators=[Optional()])
    made = SelectField(_l("Made to order"), choices=_options([("", _l("Either")), ("yes", _l("Made to order")),
                                                              ("no", _l("Not made to order"))]),
                       validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=_options(PRODUCT_SORT_LABELS.items()), validators=[Optional()])

    def __init__(self, formdata, *, units, tree):
        super().__init__(formdata=formdata)
        self.unit.choices = _options([("", _l("All units"))] + [(u.slug, u.name) for u in units])
        self.category.choices = _options([("", _l("All categories"))] + [
            (category.slug, category.name if category is top else f"{top.name} › {category.name}")
            for top, children in tree for category in (top, *children)])
        if self.sort.data not in PRODUCT_SORT_LABELS:
            self.sort.data = "title"

    def query(self, units, tree) -> stock_overview.ProductQuery:
        """The filters to apply: fields that failed validation are left out, not guessed at."""

        def valid(field):
            return None if field.errors else (field.data or None)

        unit_slug, category_slug = valid(self.unit), valid(self.category)
        category_ids: tuple[int, ...] = ()
        for top, children in tree:
            for category in (top, *children):
                if category.slug == category_slug:
                    # A top category takes in its children, as on the storefront.
                    category_ids = (category.id, *(c.id for c in children)) if category is top else (category.id,)
        made = valid(self.made)
        return stock_overview.ProductQuery(
            text=(valid(self.q) or "").strip(),
            unit_id=next((u.id for u in units if u.slug == unit_slug), None),
            region=valid(self.region), category_ids=category_ids, kind=valid(self.kind), status=valid(self.status),
            stock=valid(self.stock), made_to_order=None if made is None else made == "yes", sort=self.sort.data,
        )


def _actor() -> Actor:
    return Actor.of(current_user)


def _count(value: int) -> str:
    """A whole number in the page's language; below a thousand it needs no separator, so Babel is skipped (the
    overview shows hundreds of small counts)."""
    return str(value) if -1000 < value < 1000 else number(value)


def _names(labels) -> dict[str, str]:
    """Lazy labels translated once per page, not once per row."""
    return {code: str(label) for code, label in labels.items()}


def _region_names() -> dict[str, str]:
    return _names(REGIONS)


@bp.get("", endpoint="units")
def units():
    form = UnitFilterForm(request.args)
    valid = form.validate()
    stale_days = current_app.config["STOCK_STALE_DAYS"]
    descending = {"asc": False, "desc": True}.get(form.dir.data)
    try:
        rows = overview.unit_overview(db.session, _actor(), now=utcnow(), stale_days=stale_days,
                                      region=None if form.region.errors else form.region.data or None,
                                      sort=form.sort.data, descending=descending)
    except NotPermitted:
        abort(403)
    if descending is None:
        descending = overview.UNIT_SORTS[form.sort.data] == "desc"
    return render_template("coordinator/overview/units.html", form=form, rows=rows, totals=overview.totals(rows),
                           stale_days=stale_days, sort=form.sort.data, descending=descending,
                           sorts=overview.UNIT_SORTS, regions=_region_names(), count=_count), 200 if valid else 400


def _product_filters():
    units = stock_overview.all_units(db.session)
    tree = category_tree(db.session)
    form = ProductFilterForm(request.args, units=units, tree=tree)
    valid = form.validate()
    return form, form.query(units, tree), valid


@bp.get("/varer", endpoint="products")
def products():
    form, query, valid = _product_filters()
    page = parse_page(request.args.get("page"))
    if page is None:
        abort_with_message(400, _("The page number must be a whole number from 1 and up."))
    try:
        result = stock_overview.national_products(db.session, _actor(), query, now=utcnow(), page=page,
                                                  per_page=PRODUCTS_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("That page number is past the last page of results."))
    except NotPermitted:
        abort(403)
    return render_template("coordinator/overview/products.html", form=form, result=result,
                           states=_names(stock_overview.STOCK_STATES), statuses=_names(STATUS_LABELS),
                           kinds=_names(KINDS), regions=_region_names(), count=_count,
                           csv_url=_csv_url(form)), 200 if valid else 400


def _csv_url(form: ProductFilterForm) -> str:
    """The export of the list as it is shown (every page of it): the filters that passed, none that failed."""
    return url_for("coordinator.overview.products_csv",
                   **{field.name: field.data for field in form if field.data and not field.errors})


@bp.get("/varer/eksport.csv", endpoint="products_csv")
def products_csv():
    _form, query, valid = _product_filters()
    if not valid:
        abort_with_message(400, _("A filter of this list is not valid, so nothing was exported. Check the filters "
                                  "on the list and export again."))
    now = utcnow()
    try:
        data = stock_overview.export_products(db.session, _actor(), query, now=now)
    except NotPermitted:
        abort(403)
    response = Response(data, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"varer-og-tjenester-{now.astimezone(OSLO):%Y-%m-%d}.csv")
    response.headers["Cache-Control"] = "no-store"
    return response
