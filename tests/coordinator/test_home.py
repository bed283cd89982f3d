"""The coordinator's start page: the day's work across the country, each count from the data behind it."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import update

from factories import in_bokmal, make_product, make_unit
from inventory.models import StockRecord
from inventory.stocktake import stale_units
from shop.core.time import utcnow
from shop.orders.models import Fulfilment, Order, OrderLine


def page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _confirm(session, unit, when):
    session.execute(update(StockRecord).where(StockRecord.unit_id == unit.id).values(confirmed_at=when))


def test_an_empty_day_says_so_in_every_card(client, login_as):
    login_as("coordinator")

    text = page(client.get("/coordinator"))

    headings = re.findall(r'<h2 class="ds-heading" data-size="sm" id="c-[a-z]+">([^<]*)</h2>', text)
    assert len(headings) == 7 and all(h.startswith("0 ") for h in headings)


def test_the_start_page_counts_what_waits_across_the_country(client, session, login_as, split_order):
    now = utcnow()
    make_product(session, title="Krakk i furu", status="submitted")
    silent, fresh = make_unit(session, name="Stille fengsel"), make_unit(session, name="Flittig fengsel")
    make_product(session, unit=silent, title="Fuglekasse")
    make_product(session, unit=fresh, title="Vedkubbe")
    session.flush()
    _confirm(session, silent, now - timedelta(days=20))
    _confirm(session, fresh, now - timedelta(days=1))
    _confirm(session, split_order["bergen"], now)
    _confirm(session, split_order["halden"], now)
    order = split_order["order"]
    session.execute(update(Fulfilment).where(Fulfilment.id == split_order["halden_part"].id)
                    .values(updated_at=now - timedelta(days=9)))
    session.execute(update(Fulfilment).where(Fulfilment.id == split_order["bergen_part"].id).values(updated_at=now))
    session.execute(update(OrderLine).where(OrderLine.order_id == order.id, OrderLine.unit_id == split_order["bergen"].id)
                    .values(made_to_order=True, promised_date=(now - timedelta(days=3)).date()))
    session.execute(update(Order).where(Order.id == order.id).values(attention="Betaling etter utløp"))
    session.commit()
    login_as("coordinator")

    text = page(client.get("/coordinator"))

    assert in_bokmal("%(num)s listing waits for review", num=1) in text
    assert in_bokmal("%(num)s order needs attention", num=1) in text
    assert in_bokmal("%(num)s invoice order to invoice", num=1) in text  # the split order is awaiting its invoice
    assert in_bokmal("%(num)s unit has not confirmed its stock for %(days)s days", num=1, days=14) in text
    assert "Stille fengsel" in text and "Flittig fengsel" not in text
    assert in_bokmal("%(num)s made-to-order line past its promised date", num=1) in text
    assert in_bokmal("%(num)s part of an order has not moved for %(days)s days", num=1, days=5) in text
    assert "Halden fengsel" in text


def test_a_unit_is_stale_by_its_newest_confirmation_and_never_counts_as_oldest(session):
    now = utcnow()
    never, old, recent, inactive = (make_unit(session, name=n) for n in ("Aldri", "Gammel", "Ny", "Nedlagt"))
    for unit in (never, old, recent, inactive):
        make_product(session, unit=unit)
    inactive.active = False
    session.flush()
    session.execute(update(StockRecord).values(confirmed_at=None))
    _confirm(session, old, now - timedelta(days=15))
    _confirm(session, recent, now - timedelta(days=13))
    session.commit()

    stale = stale_units(session, before=now - timedelta(days=14))

    assert [u.name for u in stale] == ["Aldri", "Gammel"]
    assert stale[0].last_confirmed is None and stale[1].last_confirmed is not None
    assert all(u.stale_records == 1 for u in stale)


def test_the_coordinator_lands_on_the_start_page_and_the_menu_names_every_area(client, login_as):
    login_as("coordinator")

    text = page(client.get("/coordinator"))

    assert 'aria-label="' + in_bokmal("Coordinator") + '"' in text
    assert 'href="/coordinator/varer"' in text and 'href="/coordinator/ordre"' in text
