"""The public storefront: home, categories, products, units, search and the sitemap."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalogue import browse as listing
from catalogue.forms import FilterForm
from catalogue.models import Category, Product, Unit
from catalogue.seo import product_jsonld
from catalogue.services import availability
from shop.extensions import abort_with_message, db

bp = Blueprint("catalogue", __name__)
FEATURED_ON_HOME = 8


@bp.get("/")
def home():
    featured_ids = list(
        db.session.scalars(
            select(Product.id).join(Unit)
            .where(Product.status == "published", Product.featured.is_(True), Unit.active.is_(True))
            .order_by(Product.published_at.desc()).limit(FEATURED_ON_HOME)
        )
    )
    return render_template(
        "catalogue/home.html",
        featured=listing.cards(db.session, featured_ids),
        tree=listing.category_tree(db.session),
        units=listing.active_units(db.session),
    )


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
        except listing.PageOutOfRange:
            abort_with_message(404, _("That page number is past the last page of results."))
    status = 200 if valid else 400
    return render_template(
        template, form=form, result=result, category=category, heading=heading, filters=filters,
        tree=tree if tree is not None else listing.category_tree(db.session), subcategories=children,
    ), status


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort_with_message(400, _("The page number must be a whole number from 1 and up."))
    return int(raw)


@bp.get("/produkt/<slug>")
def product(slug: str):
    product = db.session.scalar(
        select(Product)
        .join(Unit)
        .where(Product.slug == slug, Product.status == "published", Unit.active.is_(True))
        .options(joinedload(Product.unit), joinedload(Product.category).joinedload(Category.parent))
    )
    if product is None:
        abort_with_message(404, _("This product is not for sale, or the address is wrong."))
    available, threshold = listing.stock_totals(db.session, [product.id]).get(product.id, (0, 0))
    status = availability(
        kind=product.kind, made_to_order=product.made_to_order, lead_time_days=product.lead_time_days,
        available=available, low_threshold=threshold,
    )
    pictures = listing.pictures_of(db.session, product.id)
    related_ids = list(
        db.session.scalars(
            select(Product.id).join(Unit)
            .where(Product.category_id == product.category_id, Product.id != product.id,
                   Product.status == "published", Unit.active.is_(True))
            .order_by(Product.featured.desc(), Product.published_at.desc()).limit(4)
        )
    )
    url = url_for("catalogue.product", slug=product.slug, _external=True)
    jsonld = product_jsonld(
        product, status, pictures, url=url, unit_url=url_for("catalogue.unit", slug=product.unit.slug, _external=True),
        image_url=lambda p: url_for("site.media", filename=f"{p.storage_key}/{p.widths[-1]}.jpg", _external=True),
    )
    return render_template(
        "catalogue/product.html", product=product, availability=status, pictures=pictures, jsonld=jsonld,
        related=listing.cards(db.session, related_ids), canonical=url,
    )


@bp.get("/enheter")
def units():
    return render_template("catalogue/units.html", units=listing.active_units(db.session))


@bp.get("/enhet/<slug>")
def unit(slug: str):
    unit = db.session.scalar(select(Unit).where(Unit.slug == slug, Unit.active.is_(True)))
    if unit is None:
        abort_with_message(404, _("There is no workshop at this address."))
    result = listing.browse(db.session, listing.Filters(unit_id=unit.id, sort="newest"), page=1, per_page=12)
    return render_template("catalogue/unit.html", unit=unit, result=result)


@bp.get("/sitemap.xml")
def sitemap():
    """List every public page for search engines, streamed so 20 000 products stay cheap."""

    def entries():
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        yield _url(url_for("catalogue.home", _external=True))
        yield _url(url_for("catalogue.units", _external=True))
        for slug in db.session.scalars(select(Category.slug).order_by(Category.id)):
            yield _url(url_for("catalogue.category", slug=slug, _external=True))
        for slug in db.session.scalars(select(Unit.slug).where(Unit.active.is_(True)).order_by(Unit.id)):
            yield _url(url_for("catalogue.unit", slug=slug, _external=True))
        rows = db.session.execute(
            select(Product.slug, Product.updated_at).join(Unit)
            .where(Product.status == "published", Unit.active.is_(True)).order_by(Product.id)
            .execution_options(yield_per=2000)
        )
        for slug, updated_at in rows:
            yield _url(url_for("catalogue.product", slug=slug, _external=True), updated_at)
        yield "</urlset>\n"

    return Response(stream_with_context(entries()), mimetype="application/xml")


def _url(loc: str, lastmod=None) -> str:
    from xml.sax.saxutils import escape

    modified = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
    return f"  <url><loc>{escape(loc)}</loc>{modified}</url>\n"
