"""The coordinator's sales reports: who may see them, their sums against orders made here (incl. and excl. MVA,
per VAT rate, per month in Oslo time, per unit, region, category and product), the CSV exports parsed back, the
date range form, the charts' accessibility, and a constant number of SQL statements."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from factories import make_category, make_product, make_unit
from shop.core.money import vat_included
from shop.extensions import db
from shop.orders import reports
from shop.orders import services as orders
from shop.orders.models import Order

JANUARY, DECEMBER = "2026-01-01", "2026-12-31"
WINDOW = timedelta(minutes=15)


def _place(session, items: dict, *, when: datetime, method: str = "invoice", delivery: str = "pickup") -> Order:
    details = orders.Details(email="kjoper@example.no", name="Kari Kjøper", delivery_method=delivery,
                             payment_method=method, address_line="Storgata 1", postcode="0155", city="Oslo")
    if method == "invoice":
        details.organisation_name, details.org_number, details.buyer_reference = "Oslo kommune", "974760673", "PO-7"
    order = orders.place_order(session, {product.id: quantity for product, quantity in items.items()}, details,
                               now=when, payment_window=WINDOW, shipping=orders.ShippingRule())
    session.flush()
    return order


def _pay(session, order: Order, when: datetime) -> None:
    order.payment_intent_id = f"pi_report_{order.id}"
    orders.record_payment_succeeded(session, intent_id=order.payment_intent_id, amount_ore=order.total_ore,
                                    currency="nok", now=when)


def _refund(session, order: Order, amount_ore: int, when: datetime) -> None:
    payment = orders.start_refund(session, order, amount_ore, request_key=f"test-{order.id}-{amount_ore}",
                                  actor_user_id=None)
    orders.finish_refund(session, payment, refund_id=f"re_{order.id}", now=when, notify=False)


@pytest.fixture
def country(session):
    """Two units in two regions, three categories (one a child), goods at 25 and 15 % and a service, and orders
    of every kind: sales by invoice and card, a partial refund, and orders that are no sale."""
    bergen = make_unit(session, name="Bergen fengsel", region="vest")
    halden = make_unit(session, name="Halden fengsel", region="ost")
    furniture = make_category(session, name="Møbler")
    benches = make_category(session, name="Benker", parent=furniture)
    food = make_category(session, name="Mat")
    services = make_category(session, name="Tjenester")
    bench = make_product(session, unit=bergen, category=benches, title="Benk i eik", price_ore=249900, stock=50)
    jam = make_product(session, unit=halden, category=food, title="=Syltetøy av bringebær", price_ore=8900,
                       vat_rate_bp=1500, stock=50)
    repair = make_product(session, unit=halden, category=services, title="Reparasjon av stoler", kind="service",
                          price_ore=125000, stock=None)
    session.commit()

    made = {}
    made["invoice"] = _place(session, {bench: 2, jam: 3}, when=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    card = _place(session, {jam: 5, repair: 1}, when=datetime(2026, 3, 12, 12, 0, tzinfo=UTC), method="card",
                  delivery="shipping")
    _pay(session, card, datetime(2026, 3, 12, 12, 5, tzinfo=UTC))
    made["card"] = card
    refunded_in_part = _place(session, {bench: 1, jam: 2}, when=datetime(2026, 5, 2, 8, 0, tzinfo=UTC), method="card")
    _pay(session, refunded_in_part, datetime(2026, 5, 2, 8, 1, tzinfo=UTC))
    _refund(session, refunded_in_part, 100001, datetime(2026, 5, 9, 8, 0, tzinfo=UTC))
    made["partly refunded"] = refunded_in_part
    # 23:30 UTC on 31 January is 00:30 on 1 February in Oslo: February's.
    made["february"] = _place(session, {repair: 2}, when=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))

    # No sales: refunded in full, cancelled, awaiting payment, expired, and one outside the period.
    refunded = _place(session, {bench: 1}, when=datetime(2026, 4, 1, 10, 0, tzinfo=UTC), method="card")
    _pay(session, refunded, datetime(2026, 4, 1, 10, 1, tzinfo=UTC))
    _refund(session, refunded, refunded.total_ore, datetime(2026, 4, 2, 10, 0, tzinfo=UTC))
    cancelled = _place(session, {bench: 3}, when=datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    orders.cancel(session, cancelled, actor_user_id=None, now=datetime(2026, 6, 2, tzinfo=UTC))
    _place(session, {jam: 1}, when=datetime(2026, 7, 1, 10, 0, tzinfo=UTC), method="card")  # never paid
    expired = _place(session, {jam: 1}, when=datetime(2026, 7, 2, 10, 0, tzinfo=UTC), method="card")
    orders.expire_unpaid(session, now=datetime(2026, 7, 3, tzinfo=UTC))
    made["last year"] = _place(session, {bench: 1}, when=datetime(2025, 12, 31, 22, 59, tzinfo=UTC))  # 23:59 in Oslo
    session.commit()
    for order in (refunded, cancelled, expired):
        session.refresh(order)
    assert (refunded.status, cancelled.status, expired.status) == ("refunded", "cancelled", "expired")
    return {"orders": made, "units": {"bergen": bergen, "halden": halden},
            "categories": {"furniture": furniture, "food": food, "services": services},
            "products": {"bench": bench, "jam": jam, "repair": repair}}


def _expected(session, sales: list[Order]) -> list[dict]:
    """Every line of these orders as the reports must count it: kept share, MVA at its rate, month in Oslo."""
    from shop.core.time import OSLO

    lines = []
    for order in sales:
        session.refresh(order)
        for line in order.lines:
            gross = line.unit_price_ore * line.quantity
            kept = gross if not order.refunded_ore else gross * (order.total_ore - order.refunded_ore) // order.total_ore
            created = order.created_at if order.created_at.tzinfo else order.created_at.replace(tzinfo=UTC)
            lines.append({"order": order.id, "method": order.payment_method, "unit": line.unit_id,
                          "product": line.product_id, "rate": line.vat_rate_bp, "items": line.quantity,
                          "gross": kept, "vat": vat_included(kept, line.vat_rate_bp),
                          "month": created.astimezone(OSLO).strftime("%Y-%m")})
    return lines


def _sum(lines, **match) -> tuple[int, int, int, int]:
    chosen = [line for line in lines if all(line[key] == value for key, value in match.items())]
    return (len({line["order"] for line in chosen}), sum(line["items"] for line in chosen),
            sum(line["gross"] for line in chosen), sum(line["vat"] for line in chosen))


def _as_tuple(sales: reports.Sales) -> tuple:
    return sales.orders, sales.items, sales.gross_ore, sales.vat_ore


YEAR_2026 = reports.Period(date(2026, 1, 1), date(2026, 12, 31))


def _sales_of_2026(country) -> list[Order]:
    made = country["orders"]
    return [made["invoice"], made["card"], made["partly refunded"], made["february"]]


def test_the_month_report_sums_the_sales_of_the_orders_incl_and_excl_mva_per_month_rate_and_payment(session, country):
    lines = _expected(session, _sales_of_2026(country))

    report = reports.month_report(session, YEAR_2026)

    assert [row.key for row in report.months] == [f"2026-{m:02d}" for m in range(1, 13)]
    by_month = {row.key: row.sales for row in report.months}
    for month in ("2026-01", "2026-02", "2026-03", "2026-05"):
        assert _as_tuple(by_month[month]) == _sum(lines, month=month), month
    assert by_month["2026-01"].items == 0  # the order at 23:30 UTC on 31 January is February's
    assert by_month["2026-02"].orders == 1 and by_month["2026-02"].services_gross_ore == 2 * 125000
    assert _as_tuple(report.total) == _sum(lines)
    assert report.total.orders == 4
    assert report.total.net_ore == report.total.gross_ore - report.total.vat_ore
    rates = {int(row.key): row.sales for row in report.vat_rates}
    assert set(rates) == {2500, 1500}
    for rate in (2500, 1500):
        assert (rates[rate].gross_ore, rates[rate].vat_ore) == _sum(lines, rate=rate)[2:]
    methods = {row.key: row.sales for row in report.payment_methods}
    assert _as_tuple(methods["invoice"]) == _sum(lines, method="invoice")
    assert _as_tuple(methods["card"]) == _sum(lines, method="card")
    assert report.invoice_share == pytest.approx(methods["invoice"].gross_ore / report.total.gross_ore)
    assert report.invoice_order_share == pytest.approx(2 / 4)
    repair_id = country["products"]["repair"].id
    service = [line for line in lines if line["product"] == repair_id]
    kinds = {row.key: row.sales for row in report.kinds}
    assert kinds["service"].gross_ore == sum(line["gross"] for line in service)
    assert kinds["goods"].gross_ore + kinds["service"].gross_ore == report.total.gross_ore
    assert kinds["goods"].items + kinds["service"].items == report.total.items


def test_a_partial_refund_reduces_every_line_of_its_order_by_the_same_share(session, country):
    order = country["orders"]["partly refunded"]
    may = reports.Period(date(2026, 5, 1), date(2026, 5, 31))

    report = reports.month_report(session, may)

    session.refresh(order)
    kept = order.total_ore - order.refunded_ore
    expected = sum(line.unit_price_ore * line.quantity * kept // order.total_ore for line in order.lines)
    assert 0 < report.total.gross_ore == expected < order.subtotal_ore
    assert report.total.items == 3  # a refund of money takes no items back


def test_the_unit_report_counts_each_line_for_the_unit_that_fulfils_it_and_sums_the_regions(session, country):
    lines = _expected(session, _sales_of_2026(country))
    bergen, halden = country["units"]["bergen"], country["units"]["halden"]

    report = reports.unit_report(session, YEAR_2026)

    units = {row.label: row.sales for row in report.units}
    assert _as_tuple(units["Bergen fengsel"]) == _sum(lines, unit=bergen.id)
    assert _as_tuple(units["Halden fengsel"]) == _sum(lines, unit=halden.id)
    regions = {row.key: row.sales for row in report.regions}
    assert list(regions) == ["nord", "vest", "sor", "sorvest", "ost"]
    assert _as_tuple(regions["vest"]) == _sum(lines, unit=bergen.id)
    assert _as_tuple(regions["ost"]) == _sum(lines, unit=halden.id)
    assert _as_tuple(regions["nord"]) == (0, 0, 0, 0)
    assert (report.total.items, report.total.gross_ore, report.total.vat_ore) == _sum(lines)[1:]
    assert report.total.orders is None  # an order with parts from two units counts for both


def test_the_category_report_sums_top_level_categories_and_ranks_the_products(session, country):
    lines = _expected(session, _sales_of_2026(country))
    products = country["products"]

    report = reports.category_report(session, YEAR_2026)

    categories = {row.label: row.sales for row in report.categories}
    assert list(categories) == ["Mat", "Møbler", "Tjenester"]  # by position, then name; "Benker" is under "Møbler"
    furniture = _sum(lines, product=products["bench"].id)
    assert (categories["Møbler"].items, categories["Møbler"].gross_ore, categories["Møbler"].vat_ore) == furniture[1:]
    assert categories["Møbler"].orders == furniture[0]  # order lines: one per product and order
    assert categories["Tjenester"].services_gross_ore == categories["Tjenester"].gross_ore > 0
    assert (report.total.items, report.total.gross_ore, report.total.vat_ore) == _sum(lines)[1:]
    ranked = [(row.label, row.sales.gross_ore) for row in report.products]
    expected = sorted(((p.title, _sum(lines, product=p.id)[2]) for p in products.values()), key=lambda r: -r[1])
    assert ranked == expected
    assert report.products[0].extra["unit"] in ("Bergen fengsel", "Halden fengsel")


def test_a_period_counts_oslo_days_at_both_ends(session, country):
    new_years_eve = reports.month_report(session, reports.Period(date(2025, 12, 31), date(2025, 12, 31)))
    january = reports.month_report(session, reports.Period(date(2026, 1, 1), date(2026, 1, 31)))
    february_first = reports.month_report(session, reports.Period(date(2026, 2, 1), date(2026, 2, 1)))

    assert new_years_eve.total.orders == 1  # 22:59 UTC on 31 December 2025 is still 2025 in Oslo
    assert january.total.orders == 0
    assert february_first.total.orders == 1
    assert [row.key for row in february_first.months] == ["2026-02"]


def test_periods_are_oslo_calendar_months_across_summer_time():
    period = reports.Period(date(2026, 3, 15), date(2026, 4, 10))

    months = period.months()

    assert [m.key for m in months] == ["2026-03", "2026-04"]
    assert months[0].start_utc == datetime(2026, 3, 14, 23, 0, tzinfo=UTC)  # winter time: UTC+1
    assert months[0].end_utc == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # summer time from 29 March: UTC+2
    assert months[1].end_utc == datetime(2026, 4, 10, 22, 0, tzinfo=UTC)
    with pytest.raises(reports.InvalidPeriod):
        reports.Period(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(reports.InvalidPeriod):
        reports.Period(date(2020, 1, 1), date(2025, 2, 1))
    assert reports.Period.last_twelve_months(date(2026, 1, 15)) == reports.Period(date(2025, 2, 1), date(2026, 1, 15))


# The pages.

ROUTES = ["/coordinator/rapporter", "/coordinator/rapporter/enheter", "/coordinator/rapporter/kategorier",
          "/coordinator/rapporter/salg-per-maned.csv", "/coordinator/rapporter/mest-solgte-produkter.csv"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(("role", "expected"), [(None, 302), ("customer", 403), ("staff", 403), ("coordinator", 200),
                                                ("admin", 200)])
def test_only_coordinators_and_admins_see_the_reports(client, login_as, path, role, expected):
    if role:
        login_as(role)

    response = client.get(path)

    assert response.status_code == expected
    if expected == 302:
        assert "/logg-inn" in response.headers["Location"]


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def test_the_month_page_shows_the_numbers_in_norwegian_with_a_chart_described_by_its_table(client, login_as, country):
    login_as("coordinator")

    text = _page(client, f"/coordinator/rapporter?fra={JANUARY}&til={DECEMBER}")

    report = reports.month_report(db.session, YEAR_2026)
    total = f"{report.total.gross_ore // 100:,}".replace(",", "\xa0") + f",{report.total.gross_ore % 100:02d}\xa0kr"
    assert total in text
    svg = re.search(r"<svg [^>]*>.*?</svg>", text, re.DOTALL)[0]
    assert 'role="img"' in svg and 'aria-labelledby="months-caption"' in svg and 'aria-describedby="months-table"' in svg
    assert 'id="months-caption"' in text and 'id="months-table"' in text
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg  # the CSP allows neither
    assert "<path" in svg  # the lines were drawn
    assert "mars 2026" in text  # months in bokmål


def test_the_unit_and_category_pages_show_every_unit_region_and_category(client, login_as, country):
    login_as("admin")

    units = _page(client, f"/coordinator/rapporter/enheter?fra={JANUARY}&til={DECEMBER}")
    categories = _page(client, f"/coordinator/rapporter/kategorier?fra={JANUARY}&til={DECEMBER}")

    assert "Bergen fengsel" in units and "Halden fengsel" in units
    assert 'aria-describedby="regions-table"' in units and 'id="regions-table"' in units
    assert "Møbler" in categories and "Reparasjon av stoler" in categories and "Benker" not in categories
    assert 'aria-describedby="categories-table"' in categories


def _csv(client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def _ore(kroner: str) -> int:
    whole, ore = kroner.split(",")
    return int(whole) * 100 + (int(ore) if not whole.startswith("-") else -int(ore))


def test_the_csv_exports_parse_back_to_the_numbers_of_the_report(client, login_as, session, country):
    login_as("coordinator")
    period = f"?fra={JANUARY}&til={DECEMBER}"
    month_report = reports.month_report(session, YEAR_2026)
    unit_report = reports.unit_report(session, YEAR_2026)
    category_report = reports.category_report(session, YEAR_2026)

    months = _csv(client, f"/coordinator/rapporter/salg-per-maned.csv{period}")
    units = _csv(client, f"/coordinator/rapporter/salg-per-enhet.csv{period}")
    rates = _csv(client, f"/coordinator/rapporter/salg-per-mva-sats.csv{period}")
    products = _csv(client, f"/coordinator/rapporter/mest-solgte-produkter.csv{period}")
    regions = _csv(client, f"/coordinator/rapporter/salg-per-region.csv{period}")
    categories = _csv(client, f"/coordinator/rapporter/salg-per-kategori.csv{period}")
    methods = _csv(client, f"/coordinator/rapporter/salg-per-betalingsmate.csv{period}")

    assert months[0] == ["Måned", *reports.SALES_HEADER]
    assert [row[0] for row in months[1:]] == [f"2026-{m:02d}" for m in range(1, 13)] + ["Sum"]
    for row, expected in zip(months[1:], [*month_report.months, None], strict=True):
        sales = expected.sales if expected else month_report.total
        assert (int(row[1]), int(row[2]), _ore(row[3]), _ore(row[4]), _ore(row[5])) == \
               (sales.orders, sales.items, sales.gross_ore, sales.net_ore, sales.vat_ore)
        assert _ore(row[6]) + _ore(row[7]) == sales.gross_ore
    assert {row[0]: _ore(row[4]) for row in units[1:-1]} == {r.label: r.sales.gross_ore for r in unit_report.units}
    assert units[-1][:2] == ["Sum", ""] and units[-1][2] == "" and _ore(units[-1][4]) == unit_report.total.gross_ore
    assert units[1][1] in ("Vest", "Øst", "West", "East")
    assert {row[0]: (_ore(row[3]), _ore(row[5])) for row in rates[1:]} == \
           {reports.kroner(int(r.key)): (r.sales.gross_ore, r.sales.vat_ore) for r in month_report.vat_rates}
    assert [row[0] for row in products[1:]] == [r.label if not r.label.startswith("=") else "'" + r.label
                                               for r in category_report.products]
    assert "'=Syltetøy av bringebær" in [row[0] for row in products[1:]]  # a formula is shown as text
    assert sum(_ore(row[3]) for row in regions[1:]) == month_report.total.gross_ore
    assert _ore(categories[-1][3]) == category_report.total.gross_ore
    assert sum(int(row[1]) for row in methods[1:]) == month_report.total.orders == 4


@pytest.mark.parametrize(("query", "message"), [
    ("fra=2026-13-01", "YYYY-MM-DD"),
    ("fra=31.01.2026", "YYYY-MM-DD"),
    ("fra=0001-01-01", "2000"),
    ("til=9999-12-31", "2000"),
    ("fra=2026-05-01&til=2026-04-30", "before"),
    ("fra=2020-01-01&til=2026-01-01", "61"),
    ("fra=" + "9" * 5000, "YYYY-MM-DD"),
    ("fra=2026-01-01x", "YYYY-MM-DD"),
])
def test_a_date_range_that_cannot_be_one_gets_400_with_the_message_and_keeps_what_was_typed(client, login_as, query,
                                                                                              message):
    login_as("coordinator")
    client.set_cookie("lang", "en", domain="verkstedbutikken.test")
    response = client.get(f"/coordinator/rapporter?{query}")
    csv_response = client.get(f"/coordinator/rapporter/salg-per-enhet.csv?{query}")

    assert response.status_code == 400 and csv_response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert 'aria-invalid="true"' in text
    assert message in text or message in html.unescape(csv_response.get_data(as_text=True))
    typed = query.split("&")[0].split("=", 1)[1][:40]
    assert typed in text


def test_an_unknown_csv_table_is_not_found(client, login_as):
    login_as("coordinator")

    assert client.get("/coordinator/rapporter/x.csv").status_code == 404


def test_without_dates_the_report_covers_the_last_twelve_months(client, login_as, monkeypatch, country):
    monkeypatch.setattr("shop.coordinator.reports.utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    login_as("coordinator")

    text = _page(client, "/coordinator/rapporter")

    assert 'value="2026-02-01"' in text and 'value="2027-01-01"' in text  # 23:30 UTC is New Year's Day in Oslo
    assert "fra=2027-01-01" in text  # the "this month" choice


def _statements(session, fn) -> int:
    count = [0]

    def hit(*_args):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", hit)
    try:
        fn(session, YEAR_2026)
    finally:
        event.remove(db.engine, "before_cursor_execute", hit)
    return count[0]


@pytest.mark.parametrize("fn", [reports.month_report, reports.unit_report, reports.category_report],
                         ids=lambda fn: fn.__name__)
def test_each_report_takes_the_same_number_of_statements_however_many_orders(session, country, fn):
    session.expire_all()
    before = _statements(session, fn)
    products = country["products"]
    for n in range(6):
        _place(session, {products["bench"]: 1, products["repair"]: 1},
               when=datetime(2026, 1 + n, 5, 12, 0, tzinfo=UTC))
    session.commit()

    after = _statements(session, fn)

    assert before == after == {"month_report": 3, "unit_report": 4, "category_report": 4}[fn.__name__]
    assert session.scalar(select(Order.id).order_by(Order.id.desc()))  # the orders are there


def test_an_order_with_parts_from_two_units_of_one_region_counts_once_for_the_region(session):
    tromso, bodo = make_unit(session, name="Tromsø fengsel", region="nord"), make_unit(session, name="Bodø fengsel",
                                                                                         region="nord")
    ila = make_unit(session, name="Ila fengsel", region="ost")
    items = {make_product(session, unit=unit, stock=5): 1 for unit in (tromso, bodo, ila)}
    session.commit()
    _place(session, items, when=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    _place(session, {next(iter(items)): 1}, when=datetime(2026, 6, 2, 12, 0, tzinfo=UTC))
    session.commit()

    report = reports.unit_report(session, YEAR_2026)

    assert {row.key: row.sales.orders for row in report.regions} == {"nord": 2, "vest": 0, "sor": 0, "sorvest": 0,
                                                                     "ost": 1}
    assert {row.label: row.sales.orders for row in report.units} == {"Tromsø fengsel": 2, "Bodø fengsel": 1,
                                                                     "Ila fengsel": 1}


def test_the_sale_condition_keeps_sqlite_off_the_status_index_and_leaves_postgresql_the_bare_column():
    from sqlalchemy.dialects import postgresql, sqlite

    stmt = select(Order.id).where(reports.sale())

    assert '+"order".status IN' in str(stmt.compile(dialect=sqlite.dialect()))
    assert 'WHERE "order".status IN' in str(stmt.compile(dialect=postgresql.dialect()))


def test_a_single_month_is_drawn_as_two_bars_and_a_long_period_labels_at_most_seven_months(client, login_as, country):
    login_as("coordinator")

    march = _page(client, "/coordinator/rapporter?fra=2026-03-01&til=2026-03-31")
    years = _page(client, "/coordinator/rapporter?fra=2022-01-01&til=2026-12-31")

    march_svg = re.search(r"<svg [^>]*>.*?</svg>", march, re.DOTALL)[0]
    assert march_svg.count("<rect") >= 3 and "<path" not in march_svg  # background and two bars
    years_svg = re.search(r"<svg [^>]*>.*?</svg>", years, re.DOTALL)[0]
    assert 2 <= len(re.findall(r">[a-zæøå]+\.? \d\d</text>", years_svg)) <= 7
