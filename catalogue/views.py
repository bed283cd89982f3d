"""The public storefront: home, categories, products, units, search and the sitemap."""
from __future__ import annotations

from urllib.parse import urlencode
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
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import Optional

from catalogue import browse as listing
from catalogue import changes, collections, fragments
from catalogue.forms import FilterForm, options
from catalogue.models import REGIONS
from catalogue.seo import product_jsonld
from catalogue.services import availability, availability_label
from shop.core.forms import KeptTranslations
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.time import OSLO, aware, utcnow
from shop.core.urls import site_url
from shop.extensions import db

bp = Blueprint("catalogue", __name__)
bp.add_app_template_filter(availability_label)


@bp.app_template_global()
def product_grid(items, heading_level: int = 2) -> Markup:
    """A grid of product cards (catalogue.fragments.product_grid), for every template."""
    return fragments.product_grid(items, heading_level, load=lambda ids: listing.cards(db.session, ids))


FEATURED_ON_HOME = 8


@bp.get("/")
def home():
    changes.shows(changes.LISTINGS)
    fragments.prefetch(listing.SHELVES_AND_MAKERS, f"featured:{FEATURED_ON_HOME}")
    tree, units = listing.shelves_and_makers(db.session)
    return render_template(
        "catalogue/home.html",
        featured=listing.featured_ids(db.session, limit=FEATURED_ON_HOME),
        tree=tree,
        units=units,
        collections=collections.on_home_page(db.session, today=_today()),
    )


@bp.get("/samling/<slug>")
def collection(slug: str):
    changes.shows(changes.LISTINGS)
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
    _prefetch_list()
    tree, units = listing.shelves_and_makers(db.session)
    category, children = listing.find_category(tree, slug)
    if category is None:
        abort_with_message(404, _("There is no category at this address."))
    return _product_list("catalogue/list.html", category=category, children=children, heading=category.name,
                         shelves=(tree, units))


@bp.get("/sok")
def search():
    return _product_list("catalogue/search.html", searching=True, heading=_("Search"))


def _product_list(
    template: str, *, heading: str, category: listing.Shelf | None = None, children: list[listing.Shelf] = (),
    searching: bool = False, shelves=None,
):
    """Parse the filters, fetch one page and render it; bad parameters give 400 with the message by the field."""
    changes.shows(changes.LISTINGS)
    # The filter form is the same for every visitor at this address (whichever page of the list), and so is
    # each page's list of product ids (browse's kept_as): both are kept, unless the filters have errors, and
    # come from the store in one round trip with the categories and units. When both are kept the filters
    # need no parsing: they were valid when kept, and the tags of what they were checked against hold them.
    if shelves is None:
        _prefetch_list()
    page = _page_number()
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    address = _address_without_page()
    filters_name = "filters:" + address
    tree, units = shelves or listing.shelves_and_makers(db.session)
    kept_form = fragments.peek(filters_name)
    kept = kept_form is not None and listing.kept_page(db.session, address, page=page, per_page=per_page)
    if kept:
        form, (result, filters), status, filter_html = None, kept, 200, Markup(kept_form.decode())
    else:
        form, filters, result, status, filter_html = _list_from_filters(
            address, filters_name, category=category, children=children, units=units, page=page, per_page=per_page,
            searching=searching)
    return render_template(
        template, form=form, result=result, category=category, heading=heading, filters=filters,
        tree=tree, subcategories=children, filter_html=filter_html,
    ), status


def _list_from_filters(address: str, filters_name: str, *, category, children, units, page: int, per_page: int,
                       searching: bool):
    """Parse the list's filters from the address, fetch its page and make its filter form (kept, when valid)."""
    form = FilterForm(request.args, units=units, with_relevance=searching and bool(request.args.get("q", "").strip()))
    valid = form.validate()
    filters = form.filters(units, category_ids=[category.id] + [c.id for c in children] if category else None)
    if searching and not filters.query:
        result = None
    else:
        try:
            result = listing.browse(db.session, filters, page=page, per_page=per_page, load_cards=False,
                                    keep_count=True, kept_as=address if valid else None)
        except PageOutOfRange:
            abort_with_message(404, _("That page number is past the last page of results."))
    if filters.in_stock:  # its members change with any stock (and when a hold expires: browse says when)
        changes.shows(changes.IN_STOCK_LISTS)

    def filter_form():
        return render_template("catalogue/_filters.html", form=form, searching=searching)

    filter_html = Markup(fragments.kept(filters_name, [changes.LISTINGS], filter_form) if valid else filter_form())
    return form, filters, result, (200 if valid else 400), filter_html


def _prefetch_list() -> None:
    """Read what a list page keeps (its categories and units, filter form and page of ids) in one round trip."""
    address = _address_without_page()
    fragments.prefetch(listing.SHELVES_AND_MAKERS, "filters:" + address,
                       listing.page_name(address, _page_number(), current_app.config["PRODUCTS_PER_PAGE"]))


def _address_without_page() -> str:
    """This list's address without the page number, its parameters sorted: what its filter form and its pages
    are kept under (the same filters, whichever page)."""
    wanted = sorted((k, v) for k, v in request.args.items(multi=True) if k != "page")
    return f"{request.path}?{urlencode(wanted)}"


def _page_number() -> int:
    page = parse_page(request.args.get("page", "1"))
    if page is None:
        abort_with_message(400, _("The page number must be a whole number from 1 and up."))
    return page


@bp.get("/produkt/<slug>")
def product(slug: str):
    # The product's own parts are kept per product until it, its stock, its unit or its category change.
    part = fragments.kept_record(f"product:{request.host}:{slug}", lambda: _product_parts(slug))
    if part is None:
        abort_with_message(404, _("This product is not for sale, or the address is wrong."))
    return render_template("catalogue/product.html", part=part)


def _product_parts(slug: str) -> dict | None:
    """The parts of a product's page that are the product's own (None: not for sale), and their tags."""
    product = listing.product_for_sale(db.session, slug)
    if product is None:
        return None
    available, threshold, changes_at = listing.stock_source().shown(db.session, [product.id]).get(product.id, (0, 0, None))
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
    with changes.recorded() as related:  # the "more from" cards: kept with the page, and invalidated with them
        description, og, head, body = render_template(
            "catalogue/_product.html", product=product, availability=status, pictures=pictures, jsonld=jsonld,
            related=listing.related_ids(db.session, product), separator=Markup(fragments.SEPARATOR),
        ).split(fragments.SEPARATOR)
    category = product.category
    if related.changes_at is not None and (changes_at is None or related.changes_at < changes_at):
        changes_at = related.changes_at
    return {
        "title": product.title, "description": description.strip(), "canonical": url, "og": og, "head": head,
        "body": body,
        "tags": sorted({changes.product(product.id), changes.unit(product.unit_id), changes.category(category.id),
                        *([changes.category(category.parent_id)] if category.parent_id else []), *related.tags}),
        "changes_at": changes_at.timestamp() if changes_at else None,
    }


class UnitsFilterForm(FlaskForm):
    """The workshops page's region: GET only, so no CSRF token and no session (the page stays cacheable)."""

    class Meta(KeptTranslations):
        csrf = False

    region = SelectField(_l("Region"), choices=options([("", _l("All regions")), *REGIONS.items()]),
                         validators=[Optional()])


UNITS_SERVICES_LISTED = 10  # per unit on /enheter; the unit's own page links the rest
UNIT_PAGE_ITEMS = 12


@bp.get("/enheter")
def units():
    """The public national overview: every active unit with its trades, goods and services, by region."""
    changes.shows(changes.LISTINGS)
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
    changes.shows(changes.LISTINGS, changes.unit(unit.id))
    goods = listing.browse(db.session, listing.Filters(unit_id=unit.id, kind="goods", sort="newest"), page=1,
                           per_page=UNIT_PAGE_ITEMS, load_cards=False, keep_count=True)
    services = listing.browse(db.session, listing.Filters(unit_id=unit.id, kind="service", sort="name"), page=1,
                              per_page=UNIT_PAGE_ITEMS, load_cards=False, keep_count=True)
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
