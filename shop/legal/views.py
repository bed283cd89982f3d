"""The legal pages at their own addresses (/salgsbetingelser, /angrerett …), in the visitor's language."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

from shop.core.seller import seller
from shop.extensions import db
from shop.legal import services as legal
from shop.templating import nok

bp = Blueprint("legal", __name__)


@bp.app_context_processor
def inject_legal_pages():
    """The legal pages' titles by slug, for every page's footer."""
    return {"legal_pages": legal.PAGES}


def placeholder_values() -> dict[str, str]:
    """The seller's details a legal text may name in {braces}, written for the current language."""
    who = seller()
    config = current_app.config
    return {
        "seller_name": who.name, "org_number": who.org_number_display, "vat_number": who.vat_number,
        "address": who.address, "email": who.email, "phone": who.phone, "operator_unit": who.operator_unit,
        "parent_agency": who.parent_agency, "shipping": nok(config["SHIPPING_ORE"]),
        "free_shipping_from": nok(config["FREE_SHIPPING_FROM_ORE"]), "due_days": str(who.due_days),
        "site_url": config.get("SITE_URL") or "",
    }


def page(slug: str):
    locale = str(get_locale())
    shown = legal.text(db.session, slug, locale if locale in legal.LOCALES else "nb")
    return render_template("legal/page.html", slug=slug, title=legal.PAGES[slug],
                           body=legal.render(shown.body, placeholder_values()), shown=shown)


def _view(slug: str):
    return lambda: page(slug)


# One route per page, at its Norwegian address (/salgsbetingelser …), endpoint legal.<slug with _>.
for _slug in legal.PAGES:
    bp.add_url_rule(f"/{_slug}", endpoint=_slug.replace("-", "_"), view_func=_view(_slug))
