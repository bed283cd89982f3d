"""The stock page (/workshop/lager): many rows saved at once, counts that subtract what is sold and not yet
packed, reasons, conflicts kept beside the row, "All correct", start and stop stocking, history."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from factories import NOW, make_product, make_unit
from inventory.models import StockMovement, StockRecord
from inventory.services import adjust, ledger_mismatches
from inventory.stocktake import reservation_mismatches
from shop.core.time import utcnow
from shop.orders import services as orders


@pytest.fixture
def unit_with_stock(session):
    unit = make_unit(session, name="Bastøy fengsel")
    products = [make_product(session, unit=unit, title=f"Fuglekasse {n:02d}", stock=5) for n in range(20)]
    session.commit()
    records = {p.id: session.scalar(select(StockRecord).where(StockRecord.product_id == p.id)) for p in products}
    return unit, products, records


def form_for(client) -> dict[str, str]:
    """The stock form as the page renders it: its hidden fields, nothing typed."""
    page = client.get("/workshop/lager").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    rows = re.findall(r'<input type="hidden" name="row" value="(\d+)"', page)
    return {**fields, "row": rows}


def test_staff_save_many_rows_at_once_and_confirm_the_rest(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    login_as("staff", unit=unit)
    form = form_for(client)
    changed = list(records.values())[:5]
    data = {**form, "action": "confirm_all"}
    data[f"count-{changed[0].id}"] = "7"
    data[f"count-{changed[1].id}"] = "5"  # the same as before: confirms, no movement
    data[f"delta-{changed[2].id}"] = "+3"
    data[f"reason-{changed[2].id}"] = "produced"
    data[f"delta-{changed[3].id}"] = "-1"
    data[f"reason-{changed[3].id}"] = "damaged"
    data[f"delta-{changed[4].id}"] = "−2"  # a typographic minus, as phones type it
    data[f"reason-{changed[4].id}"] = "staff_sale"

    response = client.post("/workshop/lager", data=data)

    assert response.status_code == 303
    session.expire_all()
    on_hand = {r.id: session.get(StockRecord, r.id).on_hand for r in changed}
    assert on_hand == {changed[0].id: 7, changed[1].id: 5, changed[2].id: 8, changed[3].id: 4, changed[4].id: 3}
    reasons = sorted(session.scalars(select(StockMovement.reason).where(StockMovement.actor_user_id.is_not(None))))
    assert reasons == ["counted", "damaged", "produced", "staff_sale"]
    assert session.scalar(select(func.count()).select_from(StockRecord).where(StockRecord.confirmed_at.is_(None))) == 0
    assert ledger_mismatches(session) == [] and reservation_mismatches(session) == []


def test_a_count_subtracts_what_is_sold_and_not_yet_packed(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    product = products[0]
    orders.place_order(session, {product.id: 2}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    record = records[product.id]
    login_as("staff", unit=unit)
    form = form_for(client)
    page = client.get("/workshop/lager").get_data(as_text=True)
    row = page[page.index(f'id="row-{record.id}"'):page.index(f'id="row-{records[products[1].id].id}"')]
    assert "<dt>Solgt, ikke pakket</dt><dd>2</dd>" in row and "<dt>På hylla</dt><dd>5</dd>" in row

    # The shelf still holds all 5: 2 of them are sold and wait to be packed.
    client.post("/workshop/lager", data={**form, f"count-{record.id}": "5", "action": "save"})

    session.expire_all()
    assert session.get(StockRecord, record.id).on_hand == 3
    assert session.scalar(select(func.count()).select_from(StockMovement)
                          .where(StockMovement.reason == "counted")) == 0


def test_a_row_whose_stock_moved_is_a_conflict_and_the_other_rows_save(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    first, second = list(records.values())[:2]
    login_as("staff", unit=unit)
    form = form_for(client)
    adjust(session, first.id, -1, reason="sold", now=utcnow())  # an order came in meanwhile
    session.commit()

    response = client.post("/workshop/lager", data={**form, f"count-{first.id}": "9", f"count-{second.id}": "8",
                                                    "action": "save"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f'id="conflict-{first.id}"' in page and "viste 5" in page and "nå er den 4" in page
    assert f'id="count-{first.id}" name="count-{first.id}" type="text" inputmode="numeric" pattern="[0-9]*" ' \
           f'autocomplete="off" value="9"' in page  # the entry is kept
    session.expire_all()
    assert session.get(StockRecord, first.id).on_hand == 4  # not overwritten
    assert session.get(StockRecord, second.id).on_hand == 8  # the other row saved


@pytest.mark.parametrize(("entry", "message"), [
    ({"delta": "+2"}, "Velg hvorfor"),
    ({"delta": "+2", "reason": "damaged"}, "passer ikke"),
    ({"delta": "tre", "reason": "produced"}, "Skriv et helt tall"),
    ({"count": "99999999999999999999"}, "for stort"),
    ({"delta": "-9", "reason": "damaged"}, "holdes av for ordrer"),
])
def test_a_bad_row_gets_its_message_beside_it_and_keeps_what_was_typed(client, session, login_as, unit_with_stock,
                                                                      entry, message):
    unit, products, records = unit_with_stock
    record = list(records.values())[0]
    login_as("staff", unit=unit)
    form = form_for(client)
    data = {**form, "action": "save", **{f"{key}-{record.id}": value for key, value in entry.items()}}

    response = client.post("/workshop/lager", data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(rf'id="error-{record.id}">([^<]*)<', page)
    assert error and message in error.group(1)
    typed = entry.get("count") or entry.get("delta")
    assert f'value="{typed}"' in page
    session.expire_all()
    assert session.get(StockRecord, record.id).on_hand == 5


def test_staff_of_another_unit_cannot_touch_a_record(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    record = list(records.values())[0]
    login_as("staff", unit=make_unit(session))
    session.commit()

    posted = client.post("/workshop/lager", data={"row": record.id, f"shown-{record.id}": "5",
                                                  f"count-{record.id}": "0"})

    assert posted.status_code == 404
    assert client.get(f"/workshop/lager/{record.id}/historikk").status_code == 404
    assert client.post(f"/workshop/lager/{record.id}/stopp").status_code == 404
    assert client.post(f"/workshop/lager/{record.id}/terskel", data={"threshold": "9"}).status_code == 404
    session.expire_all()
    assert session.get(StockRecord, record.id).on_hand == 5 and session.get(StockRecord, record.id).active


def test_the_page_lists_only_the_units_own_records(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    other = make_product(session, title="Annen enhets benk", stock=3)
    session.commit()
    login_as("staff", unit=unit)

    page = client.get("/workshop/lager").get_data(as_text=True)

    assert page.count('<li class="stock-row') == 20 and "Annen enhets benk" not in page
    assert 'inputmode="numeric"' in page and "Tell alt som står på hylla" in page
    assert other


def test_start_and_stop_stocking_a_national_design(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    design = make_product(session, title="Nasjonal benk", stock=2)
    session.commit()
    login_as("staff", unit=unit)

    assert "Nasjonal benk" in client.get("/workshop/lager/start?q=nasjonal").get_data(as_text=True)
    assert client.post("/workshop/lager/start", data={"product_id": design.id}).status_code == 303
    record = session.scalar(select(StockRecord).where(StockRecord.product_id == design.id,
                                                      StockRecord.unit_id == unit.id))
    assert record is not None and record.active
    adjust(session, record.id, 4, reason="produced", now=utcnow())
    session.commit()

    assert client.post(f"/workshop/lager/{record.id}/stopp").status_code == 303

    session.expire_all()
    record = session.get(StockRecord, record.id)
    assert not record.active and record.on_hand == 0
    assert "Nasjonal benk" not in client.get("/workshop/lager").get_data(as_text=True)
    assert ledger_mismatches(session) == []


def test_stocking_cannot_stop_while_goods_are_held(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    product = products[0]
    orders.place_order(session, {product.id: 1}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="card"),
        now=utcnow(), payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    login_as("staff", unit=unit)

    client.post(f"/workshop/lager/{records[product.id].id}/stopp")

    session.expire_all()
    assert session.get(StockRecord, records[product.id].id).active


def test_the_history_shows_who_why_and_filters_by_reason(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    record = list(records.values())[0]
    user = login_as("staff", unit=unit, name="Ola Verksted")
    adjust(session, record.id, 2, reason="produced", now=utcnow(), actor_user_id=user.id)
    adjust(session, record.id, -1, reason="damaged", now=utcnow(), actor_user_id=user.id)
    session.commit()

    page = client.get(f"/workshop/lager/{record.id}/historikk").get_data(as_text=True)
    damaged_only = client.get(f"/workshop/lager/{record.id}/historikk?grunn=damaged").get_data(as_text=True)

    assert "Ola Verksted" in page and "+2" in page and "-1" in page
    assert "-1" in damaged_only and "+2" not in damaged_only


def test_the_start_page_shows_what_needs_the_unit_today(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    orders.place_order(session, {products[0].id: 1}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.execute(update(StockRecord).values(confirmed_at=utcnow() - timedelta(days=15)))
    session.commit()
    login_as("staff", unit=unit)

    page = client.get("/workshop").get_data(as_text=True)

    assert "1 ordre å pakke" in page
    assert "20 lagerrader ikke bekreftet på 14 dager" in page
    assert 'href="/handlekurv"' not in page  # staff menus replace the shopper's


def test_a_forged_row_of_another_unit_refuses_the_whole_save(client, session, login_as, unit_with_stock):
    unit, products, records = unit_with_stock
    mine = list(records.values())[0]
    theirs = make_product(session, stock=3)
    session.commit()
    their_record = session.scalar(select(StockRecord).where(StockRecord.product_id == theirs.id))
    login_as("staff", unit=unit)
    form = form_for(client)

    response = client.post("/workshop/lager", data={**form, "row": [*form["row"], str(their_record.id)],
                                                    f"count-{mine.id}": "1", "action": "confirm_all"})

    assert response.status_code == 404
    session.expire_all()
    assert session.get(StockRecord, mine.id).on_hand == 5
    assert session.get(StockRecord, their_record.id).on_hand == 3
