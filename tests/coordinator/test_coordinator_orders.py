"""The coordinator's order pages: who may see them, finding orders, and cancelling an invoice order."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from factories import INVOICE, NOW, checkout_details, make_product
from inventory.models import StockRecord
from shop.orders import services as orders
from shop.orders.models import Order


def add(client, product, quantity=1):
    return client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": quantity})


COORDINATOR_PAGES = [("get", "/coordinator/ordre"), ("get", "/coordinator/ordre/{id}"),
                     ("post", "/coordinator/ordre/{id}/refunder"), ("post", "/coordinator/ordre/{id}/kanseller")]


@pytest.mark.parametrize(("method", "path"), COORDINATOR_PAGES)
@pytest.mark.parametrize(("role", "expected"), [(None, 302), ("customer", 403), ("staff", 403), ("coordinator", None), ("admin", None)])
def test_only_coordinators_and_admins_reach_the_order_pages(client, session, login_as, method, path, role, expected):
    product = make_product(session, stock=3)
    session.commit()
    add(client, product)
    client.post("/kasse/", data=checkout_details(**INVOICE))
    client.post("/kasse/oppsummering")
    order = session.scalar(select(Order))
    if role:
        login_as(role)

    response = getattr(client, method)(path.format(id=order.id), data={})

    if expected is None:
        assert response.status_code in (200, 400)  # allowed in; an empty form is a 400
    else:
        assert response.status_code == expected
    session.refresh(order)
    assert order.status == "awaiting_invoice"  # nothing changed by an empty or refused request


def test_the_coordinator_sees_orders_needing_attention_first_and_can_cancel_an_invoice_order(client, session, login_as):
    product = make_product(session, stock=3)
    session.commit()
    add(client, product, 2)
    client.post("/kasse/", data=checkout_details(**INVOICE))
    client.post("/kasse/oppsummering")
    order = session.scalar(select(Order))
    login_as("coordinator")

    assert order.number in client.get("/coordinator/ordre").get_data(as_text=True)
    response = client.post(f"/coordinator/ordre/{order.id}/kanseller", data={"reason": "Feilbestilling"})

    assert response.status_code == 303
    session.refresh(order)
    assert order.status == "cancelled"
    assert session.scalar(select(StockRecord.on_hand)) == 3


def test_the_coordinator_finds_orders_by_number_name_or_email_and_status(client, session, login_as):
    product = make_product(session, stock=10)
    session.commit()
    placed = []
    for name, email in (("Kari Nordmann", "kari@example.no"), ("Ola 100%_ Hansen", "ola@firma.no")):
        placed.append(orders.place_order(session, {product.id: 1}, orders.Details(
            email=email, name=name, delivery_method="pickup", payment_method="card"),
            now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule()))
    placed[1].attention = "Betalt etter utløp"
    session.commit()
    login_as("coordinator")

    def numbers(query: str) -> list[str]:
        page = client.get(f"/coordinator/ordre?{query}")
        assert page.status_code == 200
        return re.findall(r">(VB-\d{6})</a>", page.get_data(as_text=True))

    assert numbers("") == [placed[1].number, placed[0].number]  # attention first
    assert numbers("q=KARI") == [placed[0].number]
    assert numbers("q=firma.no") == [placed[1].number]
    assert numbers(f"q={placed[0].number.lower()}") == [placed[0].number]
    assert numbers("q=100%25_") == [placed[1].number]  # % and _ are searched for, not wildcards
    assert numbers("q=%25") == [placed[1].number]
    assert numbers("attention=y") == [placed[1].number]
    assert numbers("status=paid") == []
    bad = client.get("/coordinator/ordre?status=ukjent")
    assert bad.status_code == 400 and 'id="status-error"' in bad.get_data(as_text=True)
    assert client.get("/coordinator/ordre?page=9").status_code == 404


def test_the_coordinators_order_list_pages_through_many_orders(client, session, login_as):
    from shop.coordinator.orders import ORDERS_PER_PAGE

    product = make_product(session, stock=ORDERS_PER_PAGE + 5)
    session.commit()
    for n in range(ORDERS_PER_PAGE + 1):
        orders.place_order(session, {product.id: 1}, orders.Details(
            email=f"k{n}@example.no", name=f"Kunde {n}", delivery_method="pickup", payment_method="card"),
            now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    login_as("coordinator")

    first = client.get("/coordinator/ordre").get_data(as_text=True)
    second = client.get("/coordinator/ordre?page=2").get_data(as_text=True)

    assert first.count("/coordinator/ordre/") == ORDERS_PER_PAGE and 'rel="next"' in first
    assert second.count("/coordinator/ordre/") == 1 and "VB-000001" in second
