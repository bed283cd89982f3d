"""Each unit sees and handles only its own part of an order; staff of one unit never reach another's."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import NOW, make_product, make_unit
from shop import fulfilment, orders
from shop.accounts import NotPermitted
from shop.models import Fulfilment


@pytest.fixture
def split_order(session):
    """An invoice order with goods from Bergen and from Halden: two fulfilments."""
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    bench = make_product(session, unit=bergen, title="Benk i eik", stock=3)
    apron = make_product(session, unit=halden, title="Forkle i lin", stock=3)
    session.commit()
    order = orders.place_order(
        session, {bench.id: 1, apron.id: 2},
        orders.Details(email="innkjop@example.no", name="Innkjøper", delivery_method="shipping", payment_method="invoice",
                       address_line="Rådhusgata 1", postcode="0151", city="Oslo", organisation_name="Oslo kommune",
                       org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
    )
    session.commit()
    by_unit = {f.unit_id: f for f in session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id))}
    return {"order": order, "bergen": bergen, "halden": halden, "bergen_part": by_unit[bergen.id], "halden_part": by_unit[halden.id]}


def test_staff_see_only_their_units_part_of_an_order(client, login_as, split_order):
    login_as("staff", unit=split_order["bergen"])

    page = client.get("/workshop/ordre").get_data(as_text=True)

    assert split_order["order"].number in page
    assert "Benk i eik" in page and "Forkle i lin" not in page
    assert "Rådhusgata 1" in page


def test_staff_move_their_part_along_the_flow(client, session, login_as, split_order):
    login_as("staff", unit=split_order["bergen"])
    part = split_order["bergen_part"]

    for step in ("packed", "shipped", "delivered"):
        response = client.post(f"/workshop/ordre/{part.id}/status", data={"status": step, "tracking_number": "70712345"})
        assert response.status_code == 303
    session.refresh(part)

    assert part.status == "delivered" and part.tracking_number == "70712345"
    assert split_order["halden_part"].status == "pending"


def test_staff_of_another_unit_cannot_change_or_even_find_a_fulfilment(client, session, login_as, split_order):
    login_as("staff", unit=split_order["halden"])
    part = split_order["bergen_part"]

    response = client.post(f"/workshop/ordre/{part.id}/status", data={"status": "packed"})

    assert response.status_code == 404
    session.refresh(part)
    assert part.status == "pending"


def test_the_service_refuses_other_units_even_without_the_view(session, split_order):
    intruder = fulfilment.Actor(user_id=1, role="staff", unit_id=split_order["halden"].id)

    with pytest.raises(NotPermitted):
        fulfilment.advance(session, intruder, split_order["bergen_part"].id, "packed", now=NOW)


def test_skipping_steps_is_refused(client, session, login_as, split_order):
    login_as("staff", unit=split_order["bergen"])
    part = split_order["bergen_part"]

    response = client.post(f"/workshop/ordre/{part.id}/status", data={"status": "delivered"}, follow_redirects=True)

    assert "Det steget er ikke mulig" in response.get_data(as_text=True)
    session.refresh(part)
    assert part.status == "pending"


def test_unpaid_card_orders_are_not_in_the_packing_queue(session, split_order):
    product = make_product(session, unit=split_order["bergen"], stock=2)
    session.commit()
    unpaid = orders.place_order(
        session, {product.id: 1},
        orders.Details(email="a@example.no", name="A", delivery_method="pickup", payment_method="card"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
    )
    session.commit()
    staff = fulfilment.Actor(user_id=1, role="staff", unit_id=split_order["bergen"].id)

    queued = {f.order_id for f in fulfilment.queue(session, staff)}

    assert split_order["order"].id in queued and unpaid.id not in queued


@pytest.mark.parametrize(("role", "expected"), [(None, 302), ("customer", 403), ("coordinator", 403), ("staff", 200), ("admin", 403)])
def test_only_unit_staff_have_a_packing_queue(client, login_as, split_order, role, expected):
    if role:
        login_as(role, unit=split_order["bergen"] if role == "staff" else None)

    assert client.get("/workshop/ordre").status_code == expected


@pytest.mark.parametrize("role", ["customer", "coordinator"])
def test_non_staff_cannot_change_fulfilments(client, session, login_as, split_order, role):
    login_as(role)

    response = client.post(f"/workshop/ordre/{split_order['bergen_part'].id}/status", data={"status": "packed"})

    assert response.status_code == 403
    session.refresh(split_order["bergen_part"])
    assert split_order["bergen_part"].status == "pending"
