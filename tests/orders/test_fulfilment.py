"""Fulfilment rules in the service: the unit boundary, the steps of each delivery method, the customer e-mail in the same transaction."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from conftest import ON_POSTGRES, TEST_DATABASE_URL
from factories import NOW, fulfilment_mail, make_product
from shop.core.actor import NotPermitted
from shop.orders import fulfilment
from shop.orders import services as orders
from shop.orders.models import Fulfilment


def test_the_service_refuses_other_units_even_without_the_view(session, split_order):
    intruder = fulfilment.Actor(user_id=1, role="staff", unit_id=split_order["halden"].id)

    with pytest.raises(NotPermitted):
        fulfilment.advance(session, intruder, split_order["bergen_part"].id, "packed", now=NOW)


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


# The steps follow the delivery method the customer chose.

@pytest.mark.parametrize(("delivery_method", "forged"), [("shipping", "ready_for_pickup"), ("pickup", "shipped")])
def test_the_service_refuses_the_other_delivery_methods_step_from_any_status(session, login_as, one_unit_order,
                                                                              delivery_method, forged):
    order, part, unit = one_unit_order(delivery_method)
    staff = login_as("staff", unit=unit)
    actor = fulfilment.Actor(user_id=staff.id, role="staff", unit_id=unit.id)

    for status in ("pending", "packed"):
        if status == "packed":
            fulfilment.advance(session, actor, part.id, "packed", now=NOW)
        with pytest.raises(fulfilment.WrongDeliveryStep):
            fulfilment.advance(session, actor, part.id, forged, now=NOW)
        assert part.status == status


def test_the_email_is_part_of_the_status_change_and_rolls_back_with_it(session, login_as, one_unit_order):
    order, part, unit = one_unit_order("shipping")
    staff = login_as("staff", unit=unit)
    actor = fulfilment.Actor(user_id=staff.id, role="staff", unit_id=unit.id)
    fulfilment.advance(session, actor, part.id, "packed", now=NOW)
    session.commit()

    fulfilment.advance(session, actor, part.id, "shipped", now=NOW, tracking_number="70712345")
    assert len(fulfilment_mail(session, order)) == 1
    session.rollback()

    assert fulfilment_mail(session, order) == []
    assert session.get(Fulfilment, part.id).status == "packed"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the row lock is proven on PostgreSQL; set TEST_DATABASE_URL")
def test_two_staff_sending_the_same_part_at_once_email_the_customer_once(app, session, login_as, one_unit_order):
    order, part, unit = one_unit_order("shipping")
    staff = login_as("staff", unit=unit)
    actor = fulfilment.Actor(user_id=staff.id, role="staff", unit_id=unit.id)
    fulfilment.advance(session, actor, part.id, "packed", now=NOW)
    part_id = part.id  # read before the threads: the test's session is not theirs to use
    session.commit()
    engine = create_engine(TEST_DATABASE_URL, connect_args={"options": "-c lock_timeout=20000"})
    barrier, errors = threading.Barrier(2), []

    def send() -> None:
        with app.app_context(), Session(bind=engine) as own:
            try:
                own.connection()
                barrier.wait(timeout=30)
                fulfilment.advance(own, actor, part_id, "shipped", now=NOW)
                own.commit()
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

    threads = [threading.Thread(target=send, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()

    assert errors == [] and not any(thread.is_alive() for thread in threads)
    assert len(fulfilment_mail(session, order)) == 1
