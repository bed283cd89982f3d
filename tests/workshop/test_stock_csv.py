"""The stock CSV pages (/workshop/lager/csv): download, upload → preview → confirm, refusals, and no 500s."""
from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import func, select

from factories import NOW, in_bokmal, make_product, make_unit
from inventory import csvio
from inventory.models import StockMovement, StockRecord
from inventory.services import adjust, ledger_mismatches
from shop.orders import services as orders

PAGE = "/workshop/lager/csv"


@pytest.fixture
def unit_with_stock(session):
    """Bastøy with three products of 5 each; return (unit, {sku: record id})."""
    unit = make_unit(session, name="Bastøy fengsel")
    products = [make_product(session, unit=unit, title=title, stock=5)
                for title in ("Fuglekasse i bjørk", "Skjærefjøl i eik", "Øks med skaft")]
    session.commit()
    records = {p.sku: session.scalar(select(StockRecord.id).where(StockRecord.product_id == p.id)) for p in products}
    return unit, records


def upload(client, content: bytes, *, mode: str = "count", reason: str = "", name: str = "lager.csv"):
    return client.post(PAGE, data={"file": (io.BytesIO(content), name), "mode": mode, "reason": reason,
                                   "action": "preview"})


def plan_of(response) -> str:
    """The signed rows the preview page sends back with its confirm button."""
    found = re.search(r'name="plan" type="hidden" value="([^"]*)"', response.get_data(as_text=True))
    assert found, "the preview offers no confirm form"
    return html.unescape(found.group(1))


def on_hand(session, record_id: int) -> int:
    session.expire_all()
    return session.get(StockRecord, record_id).on_hand


def movements(session) -> int:
    return session.scalar(select(func.count()).select_from(StockMovement))


def test_staff_download_the_units_stock_as_a_semicolon_csv_for_excel(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)

    response = client.get("/workshop/lager/csv/eksport.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(rf"attachment; filename=lager-{unit.slug}-\d{{4}}-\d\d-\d\d\.csv",
                        response.headers["Content-Disposition"])
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["SKU", "Produkt", "På lager"]
    assert len(lines) == 1 + len(records)
    assert any("Skjærefjøl i eik" in line for line in lines)


def test_upload_preview_and_confirm_writes_every_row(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    user = login_as("staff", unit=unit)
    (a, b, c) = records
    before = movements(session)

    preview = upload(client, f"SKU;Antall\n{a};9\n{b};5\n{c};\n".encode())

    assert preview.status_code == 200
    text = html.unescape(preview.get_data(as_text=True))
    assert "Fuglekasse i bjørk" in text and "+4" in text
    assert on_hand(session, records[a]) == 5 and movements(session) == before  # the preview wrote nothing

    response = client.post(PAGE, data={"action": "confirm", "plan": plan_of(preview)})

    assert response.status_code == 303 and response.headers["Location"].endswith("/workshop/lager")
    assert on_hand(session, records[a]) == 9 and on_hand(session, records[b]) == 5 and on_hand(session, records[c]) == 5
    moves = session.scalars(select(StockMovement).where(StockMovement.actor_user_id == user.id)).all()
    assert [(m.stock_record_id, m.delta, m.reason, m.note) for m in moves] == [(records[a], 4, "counted", "CSV-import")]
    assert session.get(StockRecord, records[b]).confirmed_at is not None  # a count that matched confirms the row
    assert ledger_mismatches(session) == []
    page = client.get("/workshop/lager").get_data(as_text=True)
    with force_locale("nb"):
        saved = ngettext("Saved %(num)s row from the file.", "Saved %(num)s rows from the file.", 2)
    assert saved in html.unescape(page)


def test_add_to_stock_with_a_reason_from_a_comma_file(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)
    a, b, _c = records

    preview = upload(client, f"sku,quantity,note\n{a},3,x\n{b},-1,y\n".encode(), mode="add", reason="correction")
    response = client.post(PAGE, data={"action": "confirm", "plan": plan_of(preview)})

    assert response.status_code == 303
    assert on_hand(session, records[a]) == 8 and on_hand(session, records[b]) == 4
    reasons = set(session.scalars(select(StockMovement.reason).where(StockMovement.note == "CSV-import")))
    assert reasons == {"correction"}


def test_add_to_stock_needs_a_reason_and_keeps_the_choice(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)

    response = upload(client, f"SKU;Antall\n{next(iter(records))};3\n".encode(), mode="add")

    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert in_bokmal("Choose why the stock changes.") in text
    assert re.search(r'<input[^>]*checked[^>]*value="add"|<input[^>]*value="add"[^>]*checked', text)


def test_another_units_sku_is_refused_and_nothing_is_written(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    other = make_product(session, unit=make_unit(session, name="Halden fengsel"), title="Forkle i lin", stock=5)
    session.commit()
    login_as("staff", unit=unit)
    before = movements(session)

    response = upload(client, f"SKU;Antall\n{next(iter(records))};9\n{other.sku};1\nUKJENT-1;2\n".encode())

    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert in_bokmal("Another unit's product, which your unit does not stock.") in text
    assert in_bokmal("No product has this SKU.") in text
    assert 'name="plan"' not in text  # no confirm button while a row is wrong
    assert movements(session) == before


def test_an_unreadable_file_gets_the_message_next_to_the_field(client, session, login_as, unit_with_stock):
    unit, _records = unit_with_stock
    login_as("staff", unit=unit)

    response = upload(client, b"PK\x03\x04 not a csv", name="lager.xlsx")

    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert 'id="file-error"' in text and "CSV UTF-8" in text


def test_a_conflict_between_preview_and_confirm_saves_nothing_and_shows_the_numbers_now(client, session, login_as,
                                                                                        unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)
    a, b, _c = records
    preview = upload(client, f"SKU;Antall\n{a};9\n{b};7\n".encode())
    adjust(session, records[b], -1, reason="damaged", now=NOW)  # someone else, meanwhile
    session.commit()
    before = movements(session)

    response = client.post(PAGE, data={"action": "confirm", "plan": plan_of(preview)})

    assert response.status_code == 409
    assert in_bokmal("Nothing was saved: the stock changed since you saw the preview. Here are the numbers now. "
                     "Check them and save again.") in html.unescape(response.get_data(as_text=True))
    assert on_hand(session, records[a]) == 5 and on_hand(session, records[b]) == 4 and movements(session) == before
    # The new preview can be confirmed.
    assert client.post(PAGE, data={"action": "confirm", "plan": plan_of(response)}).status_code == 303
    assert on_hand(session, records[a]) == 9 and on_hand(session, records[b]) == 7


def test_confirming_twice_adds_once(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)
    a = next(iter(records))
    plan = plan_of(upload(client, f"SKU;Antall\n{a};3\n".encode(), mode="add", reason="produced"))

    first = client.post(PAGE, data={"action": "confirm", "plan": plan})
    second = client.post(PAGE, data={"action": "confirm", "plan": plan})

    assert (first.status_code, second.status_code) == (303, 409)
    assert on_hand(session, records[a]) == 8


def test_a_count_subtracts_what_is_sold_and_not_yet_packed(client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    sku = next(iter(records))
    product_id = session.get(StockRecord, records[sku]).product_id
    orders.place_order(session, {product_id: 2}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    assert on_hand(session, records[sku]) == 3
    login_as("staff", unit=unit)

    preview = upload(client, f"SKU;Antall\n{sku};5\n".encode())  # all 5 still stand on the shelf
    client.post(PAGE, data={"action": "confirm", "plan": plan_of(preview)})

    assert on_hand(session, records[sku]) == 3


def test_staff_of_another_unit_cannot_use_this_units_preview(app, client, session, login_as, unit_with_stock):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)
    a = next(iter(records))
    plan = plan_of(upload(client, f"SKU;Antall\n{a};9\n".encode()))
    intruder = login_as("staff", unit=make_unit(session, name="Halden fengsel"))
    before = movements(session)

    response = client.post(PAGE, data={"action": "confirm", "plan": plan})

    assert response.status_code == 400
    assert on_hand(session, records[a]) == 5 and movements(session) == before
    # Nor does the intruder's own preview of the SKU say anything about this unit's stock.
    peek = upload(client, f"SKU;Antall\n{a};9\n".encode())
    assert peek.status_code == 400 and ">5<" not in peek.get_data(as_text=True)
    assert intruder.unit_id != unit.id


def test_a_forged_or_old_plan_is_refused(app, client, session, login_as, unit_with_stock, monkeypatch):
    unit, records = unit_with_stock
    login_as("staff", unit=unit)
    a = next(iter(records))
    plan = plan_of(upload(client, f"SKU;Antall\n{a};9\n".encode()))

    forged = client.post(PAGE, data={"action": "confirm", "plan": plan[:-3] + "AAA"})
    monkeypatch.setattr("shop.workshop.stock_csv.PLAN_MAX_AGE", -1)
    old = client.post(PAGE, data={"action": "confirm", "plan": plan})

    assert forged.status_code == old.status_code == 400
    assert on_hand(session, records[a]) == 5


@pytest.mark.parametrize("content", [
    b"", b"\x00\x00\x00", b"SKU;Antall\n" + b"x" * 200_000, b"SKU;Antall\n\"ubalansert;5\n",
    b"\xff\xfeS\x00K\x00U\x00", b"\x81\x8d\x8f\x90\x9d", b"Bare tekst", b"SKU\nA-1\n", b"SKU;Antall\n;;;\n;5\n",
    b"SKU;Antall\n" + b"A;" + b"9" * 5000 + b"\n", "SKU;Antall\nA;−3\nB;1,5\n".encode(),
])
def test_bad_files_never_give_a_500(client, session, login_as, unit_with_stock, content):
    unit, _records = unit_with_stock
    login_as("staff", unit=unit)

    response = upload(client, content)

    assert response.status_code in (200, 400)


def test_a_file_over_the_size_limit_is_refused_with_a_message(client, session, login_as, unit_with_stock,
                                                              monkeypatch):
    # The real 5 MB limit is proven on parse() in tests/inventory/test_csvio.py; a small one here keeps the
    # test client from spooling the upload to a temporary file.
    monkeypatch.setattr(csvio, "MAX_BYTES", 100_000)
    unit, _records = unit_with_stock
    login_as("staff", unit=unit)

    response = upload(client, b"SKU;Antall\n" + b"A;1\n" * 40_000)

    assert response.status_code == 400
    assert in_bokmal("The file is larger than %(megabytes)s MB. Split it into smaller files.", megabytes=0) \
        in html.unescape(response.get_data(as_text=True))


def test_the_upload_page_has_labels_for_every_input(client, session, login_as, unit_with_stock):
    unit, _records = unit_with_stock
    login_as("staff", unit=unit)

    text = client.get(PAGE).get_data(as_text=True)

    ids = re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*type="(?:file|radio)"|<input[^>]*type="(?:file|radio)"[^>]*\bid="([^"]+)"',
                     text)
    ids = [a or b for a, b in ids]
    assert ids and all(f'for="{i}"' in text for i in ids)
