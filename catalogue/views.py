"""The public storefront: home, categories, products, units, search and the sitemap."""
from __future__ import annotations

from xml.sax.saxutils import escape

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from catalogue import browse as listing
from catalogue import collections
from catalogue.forms import FilterForm, options
from catalogue.models import REGIONS, Category
from catalogue.seo import product_jsonld
from catalogue.services import availability
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import OSLO, aware, utcnow
from shop.core.urls import site_url
from shop.extensions import db

bp = Blueprint("catalogue", __name__)
FEATURED_ON_HOME = 8


@bp.get("/")
def home():
    return render_template(
        "catalogue/home.html",
        featured=listing.cards(db.session, listing.featured_ids(db.session, limit=FEATURED_ON_HOME)),
        tree=listing.category_tree(db.session),
        units=listing.active_units(db.session),
        collections=collections.on_home_page(db.session, today=_today()),
    )


@bp.get("/samling/<slug>")
def collection(slug: str):
    shown = collections.public(db.session, slug, today=_today())
    if shown is None:
        abort_with_message(404, _("There is no collection at this address."))
    return render_template("catalogue/collection.html", shown=shown)


def _today():
    return utcnow().astimezone(OSLO).date()


@bp.get("/produkter")
def products():
    return _product_list("catalogue/list.html", heading=_("All products"))


@bp.get("/kategori/<slug>")
def category(slug: str):
    tree = listing.category_tree(db.session)
    category, children = listing.find_category(tree, slug)
    if category is None:
        abort_with_message(404, _("There is no category at this address."))
    return _product_list("catalogue/list.html", category=category, children=children, tree=tree, heading=category.name)


@bp.get("/sok")
def search():
    return _product_list("catalogue/search.html", searching=True, heading=_("Search"))


def _product_list(
    template: str, *, heading: str, category: Category | None = None, children: list[Category] = (),
    tree=None, searching: bool = False,
):
    """Parse the filters, fetch one page and render it; bad parameters give 400 with the message by the field."""
    units = listing.active_units(db.session)
    form = FilterForm(request.args, units=units, with_relevance=searching and bool(request.args.get("q", "").strip()))
    valid = form.validate()
    page = _page_number()
    filters = form.filters(units, category_ids=[category.id] + [c.id for c in children] if category else None)
    if searching and not filters.query:
        result = None
    else:
        try:
            result = listing.browse(db.session, filters, page=page, per_page=current_app.config["PRODUCTS_PER_PAGE"])
        except PageOutOfRange:
            abort_with_message(404, _("That page number is past the last page of results."))
    status = 200 if valid else 400
    return render_template(
        template, form=form, result=result, category=category, heading=heading, filters=filters,
        tree=tree if tree is not None else listing.category_tree(db.session), subcategories=children,
    ), status


def _page_number() -> int:
    page = parse_page(request.args.get("page", "1"))
    if page is None:
        abort_with_message(400, _("The page number must be a whole number from 1 and up."))
    return page


@bp.get("/produkt/<slug>")
def product(slug: str):
    product = listing.product_for_sale(db.session, slug)
    if product is None:
        abort_with_message(404, _("This product is not for sale, or the address is wrong."))
    available, threshold = listing.stock_totals(db.session, [product.id]).get(product.id, (0, 0))
    status = availability(
        kind=product.kind, made_to_order=product.made_to_order, lead_time_days=product.lead_time_days,
        available=available, low_threshold=threshold,
    )
    pictures = listing.pictures_of(db.session, product.id)
    url = site_url("catalogue.product", slug=product.slug)
    jsonld = product_jsonld(
        product, status, pictures, url=url, unit_url=site_url("catalogue.unit", slug=product.unit.slug),
        image_url=lambda p: site_url("site.media", filename=f"{p.storage_key}/{p.widths[-1]}.jpg"),
    )
    return render_template(
        "catalogue/product.html", product=product, availability=status, pictures=pictures, jsonld=jsonld,
        related=listing.cards(db.session, listing.related_ids(db.session, product)), canonical=url,
    )


class UnitsFilterForm(FlaskForm):
    """The workshops page's region: GET only, so no CSRF token and no session (the page stays cacheable)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), choices=options([("", _l("All regions")), *REGIONS.items()]),
                         validators=[Optional()])


UNITS_SERVICES_LISTED = 10  # per unit on /enheter; the unit's own page links the rest
UNIT_PAGE_ITEMS = 12


@bp.get("/enheter")
def units():
    """The public national overview: every active unit with its trades, goods and services, by region."""
    form = UnitsFilterForm(request.args)
    valid = form.validate()
    region = None if form.region.errors else form.region.data or None
    offers = listing.unit_offers(db.session, region=region, services_per_unit=UNITS_SERVICES_LISTED)
    return render_template("catalogue/units.html", offers=offers, form=form, region=region), 200 if valid else 400


@bp.get("/enhet/<slug>")
def unit(slug: str):
    unit = listing.active_unit(db.session, slug)
    if unit is None:
        abort_with_message(404, _("There is no workshop at this address."))
    goods = listing.browse(db.session, listing.Filters(unit_id=unit.id, kind="goods", sort="newest"), page=1,
                           per_page=UNIT_PAGE_ITEMS)
    services = listing.browse(db.session, listing.Filters(unit_id=unit.id, kind="service", sort="name"), page=1,
                              per_page=UNIT_PAGE_ITEMS)
    return render_template("catalogue/unit.html", unit=unit, goods=goods, services=services)


@bp.get("/sitemap.xml")
def sitemap():
    """List every public page for search engines, streamed so 20 000 products stay cheap."""

    def entries():
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        yield _url(site_url("catalogue.home"))
        yield _url(site_url("catalogue.units"))
        for kind, slug, modified in listing.sitemap_entries(db.session):
            yield _url(site_url(f"catalogue.{kind}", slug=slug), modified)
        for slug, modified in collections.sitemap_slugs(db.session, today=_today()):
            yield _url(site_url("catalogue.collection", slug=slug), aware(modified))
        yield "</urlset>\n"

    return Response(stream_with_context(entries()), mimetype="application/xml")


def _url(loc: str, lastmod=None) -> str:
    modified = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
    return f"  <url><loc>{escape(loc)}</loc>{modified}</url>\n"
