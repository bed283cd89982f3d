"""Template helpers: money in kroner, times in Europe/Oslo, asset URLs, and pagination links."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, get_locale


def nok(amount_ore: int | None) -> str:
    """Format øre as kroner for the current language: "1 299,00 kr" in bokmål."""
    if amount_ore is None:
        return ""
    return format_currency(Decimal(amount_ore) / 100, "NOK", locale=str(get_locale()))


def number(value) -> str:
    return format_decimal(value, locale=str(get_locale()))


def oslo_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """Show a UTC timestamp in Europe/Oslo time."""
    return format_datetime(value, fmt) if value else ""


def oslo_date(value: datetime | None, fmt: str = "long") -> str:
    return format_date(value, fmt) if value else ""


def url_with(**changes) -> str:
    """Return the current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.add_template_filter(nok)
    app.add_template_filter(number)
    app.add_template_filter(oslo_datetime)
    app.add_template_filter(oslo_date)
    app.add_template_global(url_with)

    @app.context_processor
    def inject_site():
        return {"site_name": app.config["SITE_NAME"], "current_locale": str(get_locale())}
