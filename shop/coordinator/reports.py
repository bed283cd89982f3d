"""The coordinator's sales reports (/coordinator/rapporter): sales by month, by unit and region, by category and
product, for an Oslo date range, each table with its chart above it and the same numbers as CSV.

The numbers come from shop.orders.reports (the read model, where a sale is defined); the charts are SVG drawn
on the server by leather (no JavaScript, nothing to bundle) and put inline, with presentation attributes only
(the Content-Security-Policy allows no inline styles). Each chart is an image labelled by its caption and
described by the data table under it, which is the primary view.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import leather
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField
from wtforms.validators import Optional

from catalogue.models import KINDS, REGIONS
from shop.core.http import abort_with_message
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import reports
from shop.templating import percent_bp

bp = Blueprint("reports", __name__, url_prefix="/rapporter")

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # far outside any sale; keeps date arithmetic in range
PAYMENT_METHODS = {"card": _l("Card"), "invoice": _l("Invoice")}


class ReportDateField(DateField):
    """A date from the browser's date picker (YYYY-MM-DD), with our own message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a date as YYYY-MM-DD, for example 2026-01-31."))) from None
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            self.data = None
            raise ValueError(str(_l("Enter a date between 2000 and 2099.")))


class PeriodForm(FlaskForm):
    """The date range of a report: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    fra = ReportDateField(_l("From"), validators=[Optional()])
    til = ReportDateField(_l("To (included)"), validators=[Optional()])

    def period(self, today: date) -> reports.Period | None:
        """The period asked for (the last twelve months where a date is left out); None, with the message on
        the field, when it cannot be one."""
        if not self.validate():
            return None
        default = reports.Period.last_twelve_months(today)
        first, last = self.fra.data or default.first, self.til.data or default.last
        if last < first:
            self.til.errors = [*self.til.errors, _("The end date comes before the start date.")]
            return None
        try:
            return reports.Period(first, last)
        except reports.InvalidPeriod:
            self.til.errors = [*self.til.errors, _("Choose at most %(months)s months.", months=reports.MAX_MONTHS)]
            return None


def _today() -> date:
    return utcnow().astimezone(OSLO).date()


def _period_and_form() -> tuple[reports.Period | None, PeriodForm]:
    form = PeriodForm(request.args)
    period = form.period(_today())
    if period and not request.args.get("fra") and not request.args.get("til"):
        form.fra.data, form.til.data = period.first, period.last
    return period, form


def _build(build, period: reports.Period):
    """A report, after summarizing the months of its period that have ended and are not summarized yet (each
    committed on its own: see shop.orders.sales)."""
    reports.summarize(db.session, period, now=utcnow())
    return build(db.session, period)


def _page(template: str, build):
    period, form = _period_and_form()
    if period is None:
        return render_template(template, form=form, report=None, presets=_presets(), chart=None), 400
    report = _build(build, period)
    return render_template(template, form=form, report=report, presets=_presets(), chart=CHARTS[template](report),
                           labels=Labels())


@bp.get("", endpoint="index")
def index():
    return _page("coordinator/reports/index.html", reports.month_report)


@bp.get("/enheter")
def units():
    return _page("coordinator/reports/units.html", reports.unit_report)


@bp.get("/kategorier")
def categories():
    return _page("coordinator/reports/categories.html", reports.category_report)


# CSV: each table of the pages, by name. The names are Norwegian, like the headers (as the stock export's).

def _month_rows(report: reports.MonthReport):
    return (("Måned",), [((row.key,), row.sales) for row in report.months], (("Sum",), report.total))


def _vat_rows(report: reports.MonthReport):
    return (("MVA-sats (%)",), [((reports.kroner(int(row.key)),), row.sales) for row in report.vat_rates], None)


def _payment_rows(report: reports.MonthReport):
    names = {"card": "Kort", "invoice": "Faktura"}
    return (("Betaling",), [((names[row.key],), row.sales) for row in report.payment_methods], None)


def _unit_rows(report: reports.UnitReport):
    return (("Enhet", "Region"), [((row.label, str(REGIONS[row.extra["region"]])), row.sales) for row in report.units],
            (("Sum", ""), report.total))


def _region_rows(report: reports.UnitReport):
    return (("Region",), [((str(row.label),), row.sales) for row in report.regions], None)


def _category_rows(report: reports.CategoryReport):
    return (("Kategori",), [((row.label,), row.sales) for row in report.categories], (("Sum",), report.total))


def _product_rows(report: reports.CategoryReport):
    return (("Produkt", "SKU", "Enhet"), [((row.label, row.extra["sku"], row.extra["unit"]), row.sales)
                                          for row in report.products], None)


CSV_TABLES = {
    "salg-per-maned": (reports.month_report, _month_rows),
    "salg-per-mva-sats": (reports.month_report, _vat_rows),
    "salg-per-betalingsmate": (reports.month_report, _payment_rows),
    "salg-per-enhet": (reports.unit_report, _unit_rows),
    "salg-per-region": (reports.unit_report, _region_rows),
    "salg-per-kategori": (reports.category_report, _category_rows),
    "mest-solgte-produkter": (reports.category_report, _product_rows),
}


@bp.get("/<name>.csv")
def csv(name: str):
    if name not in CSV_TABLES:
        abort_with_message(404, _("There is no such report."))
    period, form = _period_and_form()
    if period is None:
        abort_with_message(400, " ".join(error for field in form for error in field.errors))
    build, table = CSV_TABLES[name]
    columns, rows, total = table(_build(build, period))
    response = Response(reports.to_csv(columns, rows, total), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=f"{name}-{period.first}-{period.last}.csv")
    return response


# Labels and formats for the templates.

class Labels:
    """What the keys of a report's rows are called on the page."""

    @staticmethod
    def month(first: date) -> str:
        return format_date(first, "LLLL y", locale=_locale())

    @staticmethod
    def region(key: str) -> str:
        return str(REGIONS[key])

    @staticmethod
    def kind(key: str) -> str:
        return str(KINDS[key])

    @staticmethod
    def payment(key: str) -> str:
        return str(PAYMENT_METHODS[key])

    @staticmethod
    def share(part: float | None) -> str:
        return "–" if part is None else percent_bp(round(part * 10000))


def _locale() -> str:
    locale = str(get_locale())
    return "en_GB" if locale == "en" else locale


def _presets() -> list[tuple[str, date, date]]:
    """Quick choices for the date range: (label, first day, last day)."""
    today = _today()
    last_year = today.year - 1
    return [
        (_("This month"), today.replace(day=1), today),
        (_("Last 12 months"), reports.Period.last_twelve_months(today).first, today),
        (_("This year"), date(today.year, 1, 1), today),
        (_("Last year"), date(last_year, 1, 1), date(last_year, 12, 31)),
    ]


# Charts: leather draws them; here they get their colours, fonts and the attributes that make them an image
# labelled by the caption and described by the table.

# Dark enough against white for graphics (WCAG 1.4.11, 3:1 and more); the second series is also dashed.
SERIES_COLOURS = ("#1d4f91", "#a1480c")
_THEME = {
    "background_color": "#ffffff", "title_color": "#1a1a1a", "legend_color": "#1a1a1a", "axis_title_color": "#1a1a1a",
    "label_color": "#374151", "tick_color": "#d0d5dd", "zero_color": "#6b7280",
    "title_font_family": "system-ui, sans-serif", "legend_font_family": "system-ui, sans-serif",
    "axis_title_font_family": "system-ui, sans-serif", "tick_font_family": "system-ui, sans-serif",
    "tick_font_size": 13, "tick_font_char_width": 7, "legend_font_size": 14, "legend_font_char_width": 8,
    "default_series_colors": list(SERIES_COLOURS),
}
for _name, _value in _THEME.items():  # leather keeps its theme in module attributes: set once, never changed
    setattr(leather.theme, _name, _value)

CHART_WIDTH = 720


def _kroner_tick(value, _index=None, _count=None) -> str:
    return format_decimal(Decimal(value).quantize(Decimal(1)), locale=_locale())


def _svg(chart: leather.Chart, *, height: int, chart_id: str) -> Markup:
    """The chart as inline SVG: scalable, an image to assistive technology, labelled and described by the page."""
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {CHART_WIDTH} {height}", "class": "report-chart__svg",
        "role": "img", "aria-labelledby": f"{chart_id}-caption", "aria-describedby": f"{chart_id}-table",
        "focusable": "false",
    })
    # leather lets the last tick's label run past its width: keep some room for it on the right.
    root.append(chart.to_svg_group(width=CHART_WIDTH - 56, height=height))
    return Markup(ET.tostring(root, encoding="unicode"))


def _top(values: list[int]) -> int:
    return max([*values, 100]) * 21 // 20  # a little headroom; at least 1 krone so the scale has a range


def month_chart(report: reports.MonthReport) -> Markup | None:
    """Goods and services per month, kroner including MVA: two lines (or two bars for a single month)."""
    goods = [row.sales.goods_gross_ore // 100 for row in report.months]
    services = [row.sales.services_gross_ore // 100 for row in report.months]
    chart = leather.Chart()
    if len(report.months) == 1:
        chart.add_x_scale(0, _top(goods + services))
        chart.add_x_axis(tick_formatter=_kroner_tick, name=_("kr incl. MVA"))
        chart.add_bars([(goods[0], _("Goods")), (services[0], _("Services"))], fill_color=SERIES_COLOURS[0])
        return _svg(chart, height=180, chart_id="months")
    labels = [format_date(row.first, "MMM yy", locale=_locale()) for row in report.months]
    step = -(-len(labels) // 7)  # at most seven month labels fit under the chart
    chart.add_x_scale(0, len(labels) - 1)
    chart.add_x_axis(ticks=list(range(0, len(labels), step)), tick_formatter=lambda value, *_: labels[int(value)])
    chart.add_y_scale(0, _top(goods + services))
    chart.add_y_axis(tick_formatter=_kroner_tick, name=_("kr incl. MVA"))
    chart.add_line(list(enumerate(goods)), name=_("Goods"), stroke_color=SERIES_COLOURS[0], width=3)
    chart.add_line(list(enumerate(services)), name=_("Services"), stroke_color=SERIES_COLOURS[1], width=3,
                   stroke_dasharray="8 4")
    return _svg(chart, height=340, chart_id="months")


def _bars(rows: list[tuple[str, int]], *, chart_id: str) -> Markup | None:
    """Horizontal bars of kroner including MVA, one per row, in the order given."""
    if not rows:
        return None
    chart = leather.Chart()
    chart.add_x_scale(0, _top([value for _label, value in rows]))
    chart.add_x_axis(tick_formatter=_kroner_tick, name=_("kr incl. MVA"))
    chart.add_bars([(value, label) for label, value in rows], fill_color=SERIES_COLOURS[0])  # the first on top
    return _svg(chart, height=70 + 30 * len(rows), chart_id=chart_id)


def region_chart(report: reports.UnitReport) -> Markup | None:
    return _bars([(Labels.region(row.key), row.sales.gross_ore // 100) for row in report.regions], chart_id="regions")


def category_chart(report: reports.CategoryReport) -> Markup | None:
    return _bars([(row.label, row.sales.gross_ore // 100) for row in report.categories], chart_id="categories")


CHARTS = {
    "coordinator/reports/index.html": month_chart,
    "coordinator/reports/units.html": region_chart,
    "coordinator/reports/categories.html": category_chart,
}
