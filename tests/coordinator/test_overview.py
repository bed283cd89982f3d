"""The national overview: every unit's figures and stale stock (with a frozen clock), the national list of goods and
services with its filters and CSV export, who may see them, and a constant number of statements per page."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, literal, select

from factories import NOW, in_bokmal, make_category, make_product, make_unit
from inventory import overview as stock_overview
from inventory import stocktake
from inventory.models import StockRecord
from inventory.services import adjust, ensure_stock_record
from shop.core.actor import Actor, NotPermitted
from shop.core.money import net_of_vat
from shop.extensions import db
from shop.orders import fulfilment, overview
from shop.orders import services as orders

COORDINATOR = Actor(user_id=None, role="coordinator")
STALE_DAYS = 14


def plural_in_bokmal(singular: str, plural: str, n: int) -> str:
    from flask_babel import force_locale, ngettext

    with force_locale("nb"):
        return ngettext(singular, plural, n)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def staff_of(unit) -> Actor:
    return Actor(user_id=None, role="staff", unit_id=unit.id)


def confirm(session, unit, at) -> None:
    """The unit says "all correct" for every record it keeps, at this time."""
    ids = session.scalars(select(StockRecord.id).where(StockRecord.unit_id == unit.id)).all()
    stocktake.confirm_all(session, staff_of(unit), ids, now=at)
    session.flush()


def invoice_order(session, items: dict[int, int], *, at):
    return orders.place_order(
        session, items,
        orders.Details(email="innkjop@example.no", name="Innkjøper", delivery_method="pickup", payment_method="invoice",
                       organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=at, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())


def rows_by_name(session, **kwargs) -> dict[str, overview.UnitRow]:
    rows = overview.unit_overview(session, COORDINATOR, now=kwargs.pop("now", NOW), stale_days=STALE_DAYS, **kwargs)
    return {row.name: row for row in rows}


# The units: stale stock, with the clock frozen

@pytest.fixture
def country(session):
    """Five units whose stock was last confirmed at telling times, relative to NOW."""
    units = {
        "fresh": make_unit(session, name="Bergen fengsel", region="vest"),
        "stale": make_unit(session, name="Tromsø fengsel", region="nord"),
        "never": make_unit(session, name="Halden fengsel", region="ost"),
        "services": make_unit(session, name="Skien fengsel", region="sor"),
        "closed": make_unit(session, name="Åna fengsel", region="sorvest"),
    }
    for key in ("fresh", "stale", "closed"):
        make_product(session, unit=units[key], stock=4)  # adding stock confirms it too (at NOW)
    make_product(session, unit=units["never"], stock=0)  # a record nobody ever counted
    make_product(session, unit=units["services"], kind="service", stock=None)
    confirm(session, units["fresh"], NOW - timedelta(days=STALE_DAYS - 1))
    confirm(session, units["stale"], NOW - timedelta(days=STALE_DAYS + 1))
    confirm(session, units["closed"], NOW - timedelta(days=90))
    units["closed"].active = False
    session.commit()
    return units


def test_units_past_the_limit_are_stale_and_the_rest_are_not(session, country):
    rows = rows_by_name(session)

    assert {name for name, row in rows.items() if row.stale} == {"Tromsø fengsel", "Halden fengsel"}
    assert rows["Tromsø fengsel"].confirmed_days == STALE_DAYS + 1
    assert rows["Bergen fengsel"].confirmed_days == STALE_DAYS - 1
    assert rows["Halden fengsel"].confirmed_days is None and rows["Halden fengsel"].last_confirmed_at is None
    assert rows["Skien fengsel"].records == 0 and not rows["Skien fengsel"].stale  # services keep no stock
    assert not rows["Åna fengsel"].stale  # not active: nothing of it is for sale


def test_stale_follows_the_clock_that_is_passed_in(session, country):
    later = rows_by_name(session, now=NOW + timedelta(days=2))
    earlier = rows_by_name(session, now=NOW - timedelta(days=2))

    assert later["Bergen fengsel"].stale and later["Bergen fengsel"].confirmed_days == STALE_DAYS + 1
    assert not earlier["Tromsø fengsel"].stale


def test_stale_starts_just_past_the_limit(session):
    unit = make_unit(session)
    make_product(session, unit=unit, stock=1)
    confirm(session, unit, NOW - timedelta(days=STALE_DAYS))
    session.commit()

    exactly = rows_by_name(session)[unit.name]
    a_second_later = rows_by_name(session, now=NOW + timedelta(seconds=1))[unit.name]

    assert not exactly.stale and a_second_later.stale


def test_the_newest_confirmation_of_any_record_counts(session):
    unit = make_unit(session)
    first, second = make_product(session, unit=unit, stock=1), make_product(session, unit=unit, stock=1)
    session.flush()
    old_record, new_record = (session.scalars(select(StockRecord.id).where(StockRecord.product_id == p.id)).one()
                              for p in (first, second))
    stocktake.confirm_all(session, staff_of(unit), [old_record], now=NOW - timedelta(days=40))
    stocktake.confirm_all(session, staff_of(unit), [new_record], now=NOW - timedelta(days=2))
    session.commit()

    row = rows_by_name(session)[unit.name]

    assert not row.stale and row.confirmed_days == 2 and row.stale_records == 1


# The units: what they offer, their stock and their open orders

def test_published_goods_and_services_are_counted_and_drafts_are_not(session):
    unit = make_unit(session)
    make_product(session, unit=unit)
    make_product(session, unit=unit)
    make_product(session, unit=unit, kind="service", stock=None)
    make_product(session, unit=unit, status="draft")
    make_product(session, unit=unit, kind="service", status="submitted", stock=None)
    session.commit()

    row = rows_by_name(session)[unit.name]

    assert (row.goods, row.services) == (2, 1)


def test_stock_value_is_on_hand_times_the_price_without_mva(session):
    unit = make_unit(session)
    make_product(session, unit=unit, price_ore=12500, vat_rate_bp=2500, stock=3)  # 100 kr excl. MVA
    make_product(session, unit=unit, price_ore=11500, vat_rate_bp=1500, stock=2)  # 100 kr excl. 15 % MVA
    make_product(session, unit=unit, price_ore=99, vat_rate_bp=2500, stock=7)  # 79 øre each (0.792 rounded)
    session.commit()

    row = rows_by_name(session)[unit.name]

    assert row.value_ore == 3 * 10000 + 2 * 10000 + 7 * net_of_vat(99, 2500)
    assert net_of_vat(99, 2500) == 79


def test_net_price_in_sql_rounds_as_the_money_module_does(session):
    cases = [(0, 2500), (1, 2500), (99, 2500), (12345, 1500), (49900, 2500), (1_999_999_999, 2500), (77777, 1200),
             (5, 0), (2, 1500), (3, 1200)]
    for gross, rate in cases:
        assert session.scalar(select(stock_overview.net_price(literal(gross), literal(rate)))) == \
            net_of_vat(gross, rate), (gross, rate)


def test_low_and_out_records_follow_the_stock_page(session):
    unit = make_unit(session)
    for stock, threshold in ((10, 3), (3, 3), (1, 3), (0, 3), (0, 0)):
        product = make_product(session, unit=unit, stock=stock)
        session.flush()
        record = session.scalars(select(StockRecord).where(StockRecord.product_id == product.id)).one()
        record.low_stock_threshold = threshold
    session.commit()

    row = rows_by_name(session)[unit.name]
    page_rows = stocktake.stock_rows(session, unit.id, now=NOW)

    assert (row.records, row.low, row.out) == (5, 2, 2)
    # The stock page's own "low" (which includes out) agrees: low + out there.
    assert sum(r.low for r in page_rows) == row.low + row.out


def test_goods_held_for_an_order_whose_hold_ran_out_count_as_available(session):
    unit = make_unit(session)
    product = make_product(session, unit=unit, stock=1)
    session.commit()
    orders.place_order(session, {product.id: 1}, orders.Details(
        email="kari@example.no", name="Kari", delivery_method="shipping", payment_method="card",
        address_line="Storgata 1", postcode="0155", city="Oslo"),
        now=NOW - timedelta(hours=1), payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()

    assert rows_by_name(session, now=NOW - timedelta(minutes=50))[unit.name].out == 1  # still held
    assert rows_by_name(session)[unit.name].out == 0  # the hold ran out


def test_open_fulfilments_are_counted_with_the_age_of_the_oldest(session):
    unit, other = make_unit(session, name="Ila fengsel"), make_unit(session, name="Bastøy fengsel")
    bench = make_product(session, unit=unit, stock=10)
    board = make_product(session, unit=other, stock=10)
    session.commit()
    invoice_order(session, {bench.id: 1}, at=NOW - timedelta(days=6, hours=2))
    invoice_order(session, {bench.id: 1, board.id: 1}, at=NOW - timedelta(days=1))
    done = invoice_order(session, {bench.id: 1}, at=NOW - timedelta(days=20))
    cancelled = invoice_order(session, {bench.id: 1}, at=NOW - timedelta(days=30))
    session.commit()
    staff = Actor(user_id=None, role="staff", unit_id=unit.id)
    [part] = done.fulfilments
    for step in ("packed", "ready_for_pickup", "delivered"):
        fulfilment.advance(session, staff, part.id, step, now=NOW)
    orders.cancel(session, cancelled, actor_user_id=None, now=NOW)
    session.commit()

    rows = rows_by_name(session)

    assert (rows["Ila fengsel"].open_fulfilments, rows["Ila fengsel"].oldest_open_days) == (2, 6)
    assert (rows["Bastøy fengsel"].open_fulfilments, rows["Bastøy fengsel"].oldest_open_days) == (1, 1)


def test_units_sort_by_any_column_and_filter_by_region(session, country):
    make_product(session, unit=country["fresh"], stock=50, price_ore=100000)
    session.commit()

    by_value = [r.name for r in overview.unit_overview(session, COORDINATOR, now=NOW, stale_days=STALE_DAYS,
                                                       sort="value")]
    stalest = [r.name for r in overview.unit_overview(session, COORDINATOR, now=NOW, stale_days=STALE_DAYS,
                                                      sort="confirmed")]
    by_name = [r.name for r in overview.unit_overview(session, COORDINATOR, now=NOW, stale_days=STALE_DAYS)]
    north = [r.name for r in overview.unit_overview(session, COORDINATOR, now=NOW, stale_days=STALE_DAYS,
                                                    region="nord")]

    assert by_value[0] == "Bergen fengsel"
    # Never confirmed first, then the longest ago; a unit without stock last.
    assert stalest == ["Halden fengsel", "Åna fengsel", "Tromsø fengsel", "Bergen fengsel", "Skien fengsel"]
    assert by_name == ["Bergen fengsel", "Halden fengsel", "Skien fengsel", "Tromsø fengsel", "Åna fengsel"]
    assert north == ["Tromsø fengsel"]
    ascending = overview.unit_overview(session, COORDINATOR, now=NOW, stale_days=STALE_DAYS, sort="value",
                                       descending=False)
    assert [r.name for r in ascending][-1] == "Bergen fengsel"


def test_only_the_coordinator_and_admins_get_the_read_models(session):
    for actor in (Actor(user_id=None, role="staff", unit_id=1), Actor(user_id=None, role="customer")):
        with pytest.raises(NotPermitted):
            overview.unit_overview(session, actor, now=NOW, stale_days=STALE_DAYS)
        with pytest.raises(NotPermitted):
            stock_overview.national_products(session, actor, stock_overview.ProductQuery(), now=NOW)
        with pytest.raises(NotPermitted):
            stock_overview.export_products(session, actor, stock_overview.ProductQuery(), now=NOW)
    assert overview.unit_overview(session, Actor(user_id=None, role="admin"), now=NOW, stale_days=STALE_DAYS) == []


# The units page

ROUTES = ["/coordinator/oversikt", "/coordinator/oversikt/varer", "/coordinator/oversikt/varer/eksport.csv"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("staff", 403), ("coordinator", 200), ("admin", 200)])
def test_only_coordinators_and_admins_open_the_overview(client, session, login_as, path, role, status):
    login_as(role)

    assert client.get(path).status_code == status


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_visitors_are_asked_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


def test_the_units_page_marks_stale_units_with_their_figures(client, session, login_as, country, monkeypatch):
    import shop.coordinator.overview as view

    monkeypatch.setattr(view, "utcnow", lambda: NOW)
    login_as("coordinator")

    response = client.get("/coordinator/oversikt")
    text = page(response)

    assert response.status_code == 200
    assert text.count(in_bokmal("Stale stock")) == 2
    assert plural_in_bokmal("%(num)s unit has stale stock.", "%(num)s units have stale stock.", 2) in text
    assert "Tromsø fengsel" in text and "Åna fengsel" in text
    assert 'href="/coordinator/oversikt/varer?unit=bergen-fengsel"' in text
    assert sort_link(text, "name")[0] == "ascending"


def test_the_units_page_filters_by_region_and_refuses_an_unknown_one(client, session, login_as, country):
    login_as("coordinator")

    north = page(client.get("/coordinator/oversikt?region=nord"))
    refused = client.get("/coordinator/oversikt?region=atlantis")

    assert "Tromsø fengsel" in north and "Bergen fengsel" not in north
    assert refused.status_code == 400 and 'id="region-error"' in page(refused)
    assert "Bergen fengsel" in page(refused)  # the region is left out, the rest still shows


def sort_link(text: str, sort: str) -> tuple[str, dict[str, list[str]]]:
    """(aria-sort of the column header that sorts by this, what its button sends)."""
    header = re.search(r'<th scope="col"[^>]*? aria-sort="(\w+)"><button type="submit" form="sort-' + sort
                       + '" name="sort" value="' + sort + '">', text)
    form = re.search(r'<form id="sort-' + sort + r'" method="get" action="/coordinator/oversikt" hidden>(.*?)</form>',
                     text, re.DOTALL)
    assert header and form, f"no header sorts by {sort}"
    sent = {"sort": [sort]}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form[1]):
        sent.setdefault(name, []).append(value)
    return header[1], sent


def test_an_unknown_sort_in_a_link_falls_back_to_the_name(client, session, login_as, country):
    login_as("coordinator")

    response = client.get("/coordinator/oversikt?sort=" + "ж" * 200 + "&dir=sideways")
    text = page(response)

    assert response.status_code == 200
    assert text.index("Bergen fengsel") < text.index("Halden fengsel") < text.index("Tromsø fengsel")
    assert sort_link(text, "name") == ("ascending", {"sort": ["name"], "dir": ["desc"]})


def test_the_column_headers_sort_and_say_which_way(client, session, login_as, country):
    login_as("coordinator")

    text = page(client.get("/coordinator/oversikt?sort=value&region=nord"))

    assert sort_link(text, "value") == ("descending", {"sort": ["value"], "region": ["nord"], "dir": ["asc"]})
    assert sort_link(text, "low") == ("none", {"sort": ["low"], "region": ["nord"], "dir": ["desc"]})
    assert sort_link(text, "name") == ("none", {"sort": ["name"], "region": ["nord"], "dir": ["asc"]})


# The national list

@pytest.fixture
def catalogue(session):
    """Goods and services of two units in two regions, in several states."""
    nord, vest = make_unit(session, name="Tromsø fengsel", region="nord"), make_unit(session, name="Bergen fengsel",
                                                                                      region="vest")
    furniture = make_category(session, name="Møbler")
    benches = make_category(session, name="Benker", parent=furniture)
    kitchen = make_category(session, name="Kjøkken")
    made = {
        "bench": make_product(session, unit=nord, category=benches, title="Benk i eik", stock=10, price_ore=129900),
        "stool": make_product(session, unit=nord, category=furniture, title="Krakk i bjørk", stock=2),
        "table": make_product(session, unit=vest, category=furniture, title="Spisebord", stock=0, made_to_order=True,
                              lead_time_days=21),
        "board": make_product(session, unit=vest, category=kitchen, title="=Skjærebrett", stock=5),
        "draft": make_product(session, unit=vest, category=kitchen, title="Kladd", status="draft", stock=None),
        "print": make_product(session, unit=vest, category=kitchen, title="Trykk av visittkort", kind="service",
                              stock=None, price_ore=150000, vat_rate_bp=2500),
    }
    session.commit()
    return made


def listed(client, query="") -> list[str]:
    """The titles the page lists, checked against the export of the same filters."""
    response = client.get(f"/coordinator/oversikt/varer{query}")
    assert response.status_code == 200, page(response)[:2000]
    titles = rows_of_csv(client, query)
    text = page(response)
    assert all(f">{title}</a>" in text for title in titles)
    assert text.count('<th scope="row">') == len(titles)
    return titles


def rows_of_csv(client, query="") -> list[str]:
    """The titles in the export, without the quote that guards a formula-like cell."""
    response = client.get(f"/coordinator/oversikt/varer/eksport.csv{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))[1:]
    return [row[1].removeprefix("'") for row in rows]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["=Skjærebrett", "Benk i eik", "Kladd", "Krakk i bjørk", "Spisebord", "Trykk av visittkort"]),
    ("?unit=bergen-fengsel", ["=Skjærebrett", "Kladd", "Spisebord", "Trykk av visittkort"]),
    ("?region=nord", ["Benk i eik", "Krakk i bjørk"]),
    ("?category=mobler", ["Benk i eik", "Krakk i bjørk", "Spisebord"]),  # with its child category
    ("?category=benker", ["Benk i eik"]),
    ("?kind=service", ["Trykk av visittkort"]),
    ("?status=draft", ["Kladd"]),
    ("?stock=ok", ["=Skjærebrett", "Benk i eik"]),
    ("?stock=low", ["Krakk i bjørk"]),
    ("?stock=out", ["Kladd", "Spisebord"]),
    ("?made=yes", ["Spisebord"]),
    ("?made=no&kind=goods&region=vest", ["=Skjærebrett", "Kladd"]),
    ("?q=BENK", ["Benk i eik"]),
    ("?sort=price_desc&kind=service", ["Trykk av visittkort"]),
])
def test_the_national_list_filters(client, session, login_as, catalogue, query, expected):
    login_as("coordinator")

    assert sorted(listed(client, query)) == sorted(expected)


def test_the_list_sorts(client, session, login_as, catalogue):
    login_as("coordinator")

    assert rows_of_csv(client, "?sort=available&kind=goods")[:2] in (["Kladd", "Spisebord"], ["Spisebord", "Kladd"])
    assert rows_of_csv(client, "?sort=price_desc")[0] == "Trykk av visittkort"
    assert rows_of_csv(client, "?sort=unit")[:2] == ["=Skjærebrett", "Kladd"]  # Bergen first, then by title


def test_the_list_shows_stock_state_price_and_made_to_order(client, session, login_as, catalogue):
    login_as("coordinator")

    text = page(client.get("/coordinator/oversikt/varer"))

    assert "Benk i eik" in text and "1\xa0299,00\xa0kr" in text
    assert in_bokmal("Low stock") in text and in_bokmal("Out of stock") in text
    assert in_bokmal("Made to order – about %(days)s days", days=21) in text
    assert in_bokmal("No stock (service)") in text
    assert f'href="/coordinator/varer/{catalogue["bench"].id}"' in text


def test_a_bad_filter_is_refused_by_its_field_and_the_others_still_apply(client, session, login_as, catalogue):
    login_as("coordinator")

    response = client.get("/coordinator/oversikt/varer?region=nord&q=eik&stock=plenty&unit=" + "ж" * 300)
    text = page(response)

    assert response.status_code == 400
    assert 'id="stock-error"' in text and 'id="unit-error"' in text
    assert 'value="eik"' in text and '<option selected value="nord">' in text  # what was chosen stays
    assert "Benk i eik" in text and "Spisebord" not in text and "Krakk i bjørk" not in text
    # The export link takes the filters that apply, not the ones refused.
    link = re.search(r'href="(/coordinator/oversikt/varer/eksport\.csv[^"]*)"', text)[1]
    assert parse_qs(urlsplit(link).query) == {"q": ["eik"], "region": ["nord"], "sort": ["title"]}
    assert client.get("/coordinator/oversikt/varer/eksport.csv?stock=plenty").status_code == 400


def test_each_listed_title_opens_the_listing_for_the_coordinator(client, session, login_as, catalogue):
    login_as("coordinator")

    for key in ("bench", "draft", "print"):
        assert client.get(f"/coordinator/varer/{catalogue[key].id}").status_code == 200


def test_the_list_is_paginated(client, session, login_as):
    unit = make_unit(session)
    category = make_category(session)
    for n in range(55):
        make_product(session, unit=unit, category=category, title=f"Fuglekasse {n:02d}", stock=None)
    session.commit()
    login_as("coordinator")

    first, second = page(client.get("/coordinator/oversikt/varer")), page(client.get("/coordinator/oversikt/varer?page=2"))

    assert "Fuglekasse 49" in first and "Fuglekasse 50" not in first
    assert "Fuglekasse 50" in second and "Fuglekasse 54" in second and "Fuglekasse 00" not in second
    assert client.get("/coordinator/oversikt/varer?page=3").status_code == 404
    assert client.get("/coordinator/oversikt/varer?page=-1").status_code == 400
    assert client.get("/coordinator/oversikt/varer?page=" + "9" * 40).status_code == 400
    assert len(rows_of_csv(client, "?page=2")) == 55  # the export is every page


def test_the_csv_export_parses_back_with_every_column(client, session, login_as, catalogue):
    record = ensure_stock_record(session, product_id=catalogue["bench"].id,
                                 unit_id=make_unit(session, name="Halden fengsel").id)
    adjust(session, record.id, 4, reason="produced", now=NOW)
    session.commit()
    login_as("coordinator")

    response = client.get("/coordinator/oversikt/varer/eksport.csv")
    body = response.data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    header, by_title = rows[0], {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}

    assert response.mimetype == "text/csv" and body.startswith("\ufeff")
    assert "attachment" in response.headers["Content-Disposition"]
    assert header == stock_overview_header_in_bokmal()
    bench = by_title["Benk i eik"]
    assert bench[in_bokmal("SKU")] == catalogue["bench"].sku
    assert bench[in_bokmal("Price incl. VAT (kr)")] == "1299,00"
    assert bench[in_bokmal("Price excl. VAT (kr)")] == "1039,20"
    assert bench[in_bokmal("VAT rate (%)")] == "25"
    assert bench[in_bokmal("On hand")] == "14" and bench[in_bokmal("Stock records")] == "2"  # two units stock it
    assert bench[in_bokmal("Stock value excl. VAT (kr)")] == "14548,80"
    assert bench[in_bokmal("Region")] == in_bokmal("North")
    service = by_title["Trykk av visittkort"]
    assert service[in_bokmal("On hand")] == "" and service[in_bokmal("Stock state")] == ""
    assert service[in_bokmal("Type")] == in_bokmal("Service")
    # A text cell that starts like a formula is written so that Excel shows it as text.
    assert "'=Skjærebrett" in by_title and "=Skjærebrett" not in by_title
    assert by_title["Spisebord"][in_bokmal("Made to order")] == in_bokmal("Yes")
    assert by_title["Spisebord"][in_bokmal("Lead time (days)")] == "21"


def stock_overview_header_in_bokmal() -> list[str]:
    from flask_babel import force_locale

    with force_locale("nb"):
        return stock_overview.export_header()


# A constant number of statements per page, whatever the size of the country

def _statements(client, path) -> int:
    engine = db.engine
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _grow(session, units: int) -> None:
    category = make_category(session)
    for _n in range(units):
        unit = make_unit(session)
        goods = make_product(session, unit=unit, category=category, stock=5)
        make_product(session, unit=unit, category=category, kind="service", stock=None)
        session.commit()
        invoice_order(session, {goods.id: 1}, at=NOW)
        confirm(session, unit, NOW)
    session.commit()


@pytest.mark.parametrize("path", ["/coordinator/oversikt", "/coordinator/oversikt/varer",
                                  "/coordinator/oversikt/varer?stock=ok&sort=available"])
def test_each_page_runs_the_same_number_of_statements_for_two_units_or_eight(client, session, login_as, path):
    login_as("coordinator")
    _grow(session, 2)
    small = _statements(client, path)
    _grow(session, 6)

    assert _statements(client, path) == small


def test_the_two_ways_of_reading_stock_agree(session, catalogue):
    # A page that is neither filtered nor sorted by stock sums stock for its own rows only; one that is sums it for
    # every product first. Both must show the same figures.
    plain = stock_overview.national_products(session, COORDINATOR, stock_overview.ProductQuery(), now=NOW)
    by_stock = stock_overview.national_products(session, COORDINATOR, stock_overview.ProductQuery(sort="available"),
                                                now=NOW)

    assert sorted(plain.items, key=lambda r: r.id) == sorted(by_stock.items, key=lambda r: r.id)
    states = {row.title: row.stock_state for row in plain.items}
    assert states == {"Benk i eik": "ok", "Krakk i bjørk": "low", "Spisebord": "out", "=Skjærebrett": "ok",
                      "Kladd": "out", "Trykk av visittkort": None}


# In Chromium, on a phone: axe-core, keyboard, and tables that scroll in their box

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_as_coordinator(app, session, country, catalogue):
    from browser_support import CHROMIUM, PageWatcher, launch_chromium, live_server

    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("axe_playwright_python")
    from shop.accounts.services import create_user

    create_user(session, email="koordinator@example.no", password="passord-koord", role="coordinator")
    session.commit()
    with live_server(app) as base_url, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base_url, viewport=PHONE, locale="nb-NO", is_mobile=True,
                                      has_touch=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.watcher = PageWatcher(page)
        page.goto("/logg-inn")
        page.get_by_label("E-post").fill("koordinator@example.no")
        page.get_by_label("Passord").fill("passord-koord")
        page.get_by_role("button", name="Logg inn").click()
        page.wait_for_load_state()
        yield page
        context.close()
        browser.close()


@pytest.mark.browser
def test_the_overview_pages_pass_axe_on_a_phone_and_sort_by_keyboard(phone_as_coordinator):
    from axe_playwright_python.sync_playwright import Axe

    from browser_support import blocking, describe_violations

    page, problems = phone_as_coordinator, []
    for name, path in [("units", "/coordinator/oversikt"), ("units by value", "/coordinator/oversikt?sort=value"),
                       ("units, bad region", "/coordinator/oversikt?region=atlantis"),
                       ("list", "/coordinator/oversikt/varer"),
                       ("list, filtered", "/coordinator/oversikt/varer?stock=low&kind=goods&sort=available"),
                       ("list, bad filter", "/coordinator/oversikt/varer?stock=plenty")]:
        page.goto(path)
        found = blocking(Axe().run(page).response["violations"])
        if found:
            problems.append(f"{name}: axe-core:\n{describe_violations(found)}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name}: the page is {width}px wide on a {PHONE['width']}px phone")

    page.goto("/coordinator/oversikt")
    page.locator('thead button[value="value"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=value**")

    assert page.locator('th[aria-sort="descending"]').count() == 1
    assert not problems, "\n".join(problems)
    assert page.watcher.problems == []
