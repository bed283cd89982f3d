"""Template helpers: money in kroner, times in Europe/Oslo, asset URLs, and pagination links."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel import dates
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, current_app, g, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from shop.core.seller import seller
from shop.core.time import aware
from shop.core.urls import absolute, site_url


def nok(amount_ore: int | None) -> str:
    """Format øre as kroner for the current language: "1 299,00 kr" in bokmål."""
    if amount_ore is None:
        return ""
    locale = str(get_locale())
    if isinstance(amount_ore, int):
        # What Babel writes (see below), without its pattern machinery: lists show dozens of prices.
        kroner, ore = divmod(abs(amount_ore), 100)
        sign = "-" if amount_ore < 0 else ""
        if locale == "nb":
            return f"{sign}{kroner:,}".replace(",", "\xa0") + f",{ore:02d}\xa0kr"
        if locale == "en":
            return f"NOK\xa0{sign}{kroner:,}.{ore:02d}"
    if locale == "nb":
        return format_currency(Decimal(amount_ore) / 100, "NOK", locale=locale)
    # English has no pattern of its own for kroner; "NOK 1,299.00" reads better than Babel's "NOK1,299.00".
    return "NOK\xa0" + format_decimal(Decimal(amount_ore) / 100, format="#,##0.00", locale=locale)


def percent_bp(basis_points: int) -> str:
    """Format a rate in basis points (2500) as a percentage for the current language ("25 %")."""
    return format_percent(basis_points / 10000, locale=str(get_locale()))


def number(value) -> str:
    return format_decimal(value, locale=str(get_locale()))


def _formatting_locale() -> str:
    """The locale dates are written in: English the British way (22 Nov 2026, 14:05), not the
    American (11/22/26, 2:05 PM), for a Norwegian shop whose English readers are mostly European."""
    locale = str(get_locale())
    return "en_GB" if locale == "en" else locale


# The short date-time pattern of each language, as Babel's CLDR data has it ("dd.MM.y, HH:mm" in bokmål,
# "dd/MM/y, HH:mm" in British English), written with strftime: lists show hundreds of these per page.
SHORT_DATETIME = {"nb": "%d.%m.%Y, %H:%M", "en_GB": "%d/%m/%Y, %H:%M"}


def oslo_datetime(value: datetime | None, fmt: str = "short") -> str:
    """Show a UTC timestamp in Europe/Oslo time ("22.11.2026, 14:05")."""
    if not value:
        return ""
    locale = _formatting_locale()
    if fmt == "short" and locale in SHORT_DATETIME:
        return aware(value).astimezone(get_timezone()).strftime(SHORT_DATETIME[locale])
    return dates.format_datetime(value, fmt, tzinfo=get_timezone(), locale=locale)


def oslo_date(value: date | datetime | None, fmt: str = "long") -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        return dates.format_date(value.astimezone(get_timezone()) if value.tzinfo else
                                 value.replace(tzinfo=UTC).astimezone(get_timezone()), fmt, locale=_formatting_locale())
    return dates.format_date(value, fmt, locale=_formatting_locale())


def url_with(**changes) -> str:
    """Return the current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def page_url(number: int | None) -> str:
    """url_with(page=number) for a list's page links (None: the first page), the rest of the address worked out
    once per request rather than once per link."""
    base = g.get("page_url_base")
    if base is None:
        base = g.page_url_base = url_with(page=None)
    if number is None:
        return base
    return f"{base}{'&' if '?' in base else '?'}page={int(number)}"


def page_links(result) -> Markup:
    """The page links of a list (a shop.core.paging.Page): previous, the first, up to two pages either side of
    this one, the last, and next. Written in Python rather than as a macro: every list page shows them."""
    if result.pages <= 1:
        return Markup("")
    from flask_babel import gettext as _

    page, pages = result.page, result.pages
    tertiary = '<a class="ds-button" data-variant="tertiary" href="{}"'
    page_label = Markup('<span class="ds-sr-only">{} </span>').format(_("Page"))

    def link(number: int, extra: str = "") -> Markup:
        return Markup(tertiary).format(page_url(number if number > 1 else None)) + Markup(extra)

    gap = Markup('<li><span class="pagination-gap" aria-hidden="true">…</span></li>')
    empty = Markup('<span aria-hidden="true"></span>')
    items = [Markup("<li>{}</li>").format(
        link(page - 1, ' rel="prev">') + _("Previous") + Markup("</a>") if page > 1 else empty)]
    window = max(1, page - 2)
    if window > 1:
        items.append(Markup("<li>{}1</a></li>").format(link(1, ">")))
        if window > 2:
            items.append(gap)
    for n in range(window, min(pages, page + 2) + 1):
        current = ' aria-current="page">' if n == page else ">"
        items.append(Markup("<li>{}{}{}</a></li>").format(link(n, current), page_label, n))
    if page + 2 < pages:
        if page + 3 < pages:
            items.append(gap)
        items.append(Markup("<li>{}{}{}</a></li>").format(link(pages, ">"), page_label, pages))
    items.append(Markup("<li>{}</li>").format(
        link(page + 1, ' rel="next">') + _("Next") + Markup("</a>") if page < pages else empty))
    return (Markup('<nav class="ds-pagination" aria-label="{}">\n  <ul>\n    ').format(_("Pages"))
            + Markup("\n    ").join(items) + Markup("\n  </ul>\n</nav>"))


def canonical_url() -> str:
    """This page's address without its query string, from SITE_URL when set (never from the Host header)."""
    return absolute(request.path if not request.script_root else request.script_root + request.path)


def same_for_everyone(name: str, **values: str) -> Markup:
    """A part of every page that depends on nothing but the language and the settings (the footer, the style
    sheets, the header's logo and search box): rendered once per process and language from templates/_chrome/,
    not on every page. The few words a page puts into it (``{{ fill('q') }}`` in the part) are ``values``,
    escaped and filled in on every page."""
    key = (name, str(get_locale()))
    parts = current_app.extensions.setdefault("chrome_parts", {})
    if key not in parts:
        parts[key] = Markup(render_template(f"_chrome/{name}.html", fill=_CHROME_SLOT.format))
    part = parts[key]
    for slot, value in values.items():
        part = part.replace(_CHROME_SLOT.format(slot), value)  # Markup.replace escapes the value
    return part


_CHROME_SLOT = "\x00{}\x00"  # a NUL never comes from a template or a translation, and request text has none


def register(app: Flask) -> None:
    app.add_template_filter(nok)
    app.add_template_filter(number)
    app.add_template_filter(percent_bp)
    app.add_template_filter(oslo_datetime)
    app.add_template_filter(oslo_date)
    app.add_template_global(url_with)
    app.add_template_global(page_url)
    app.add_template_global(page_links)

    app.add_template_global(canonical_url)
    app.add_template_global(same_for_everyone)
    app.add_template_global(lambda endpoint: endpoint in app.view_functions, "has_endpoint")
    app.add_template_global(site_url)

    @app.context_processor
    def inject_site():
        locale = str(get_locale())
        # Product and unit texts are written in bokmål; mark them so when the interface is in English.
        return {
            "site_name": app.config["SITE_NAME"],
            "seller": seller(app.config),
            "current_locale": locale,
            "nb_lang": Markup("") if locale == "nb" else Markup(' lang="nb"'),
        }
