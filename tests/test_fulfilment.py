"""Each unit sees and handles only its own part of an order; staff of one unit never reach another's."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from conftest import NOW, ON_POSTGRES, TEST_DATABASE_URL, make_product, make_unit
from shop import fulfilment, orders
from shop.accounts import NotPermitted
from shop.models import AuditEvent, Fulfilment, OutboxMessage


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


# The steps follow the delivery method the customer chose.

@pytest.fixture
def one_unit_order(session):
    """Make an invoice order from one workshop, for shipping or pickup; return (order, its fulfilment, the unit)."""

    def make(delivery_method: str):
        unit = make_unit(session, name="Ila fengsel", postal_address="Ila fengsel, Postboks 100, 1332 Østerås",
                         contact_email="verksted@ila.example.no")
        product = make_product(session, unit=unit, title="Skjærefjøl i bjørk", stock=3)
        session.commit()
        address = {"address_line": "Storgata 1", "postcode": "0155", "city": "Oslo"} if delivery_method == "shipping" else {}
        order = orders.place_order(
            session, {product.id: 1},
            orders.Details(email="kunde@example.no", name="Kari Nordmann", delivery_method=delivery_method,
                           payment_method="invoice", organisation_name="Oslo kommune", org_number="974760673",
                           buyer_reference="PO-9", **address),
            now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
        )
        session.commit()
        return order, session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).one(), unit

    return make


def fulfilment_mail(session, order) -> list[OutboxMessage]:
    """The e-mails to the customer other than the order confirmation."""
    with force_locale("nb"):
        confirmation = gettext("Order %(number)s is confirmed", number=order.number)
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.to == order.email, OutboxMessage.subject != confirmation)
        .order_by(OutboxMessage.id)
    ))


def in_bokmal(msgid: str, **variables) -> str:
    with force_locale("nb"):
        return gettext(msgid, **variables)


def post_step(client, part, step: str, **form):
    return client.post(f"/workshop/ordre/{part.id}/status", data={"status": step, **form})


@pytest.mark.parametrize(("delivery_method", "handover"), [("shipping", "shipped"), ("pickup", "ready_for_pickup")])
def test_staff_move_an_order_through_the_steps_of_its_delivery_method(client, session, login_as, one_unit_order,
                                                                       delivery_method, handover):
    order, part, unit = one_unit_order(delivery_method)
    login_as("staff", unit=unit)

    for step in ("packed", handover, "delivered"):
        assert post_step(client, part, step).status_code == 303
        session.refresh(part)
        assert part.status == step


@pytest.mark.parametrize(("delivery_method", "offered", "not_offered"),
                         [("shipping", "shipped", "ready_for_pickup"), ("pickup", "ready_for_pickup", "shipped")])
def test_a_packed_order_offers_only_the_handover_of_its_delivery_method(client, session, login_as, one_unit_order,
                                                                       delivery_method, offered, not_offered):
    order, part, unit = one_unit_order(delivery_method)
    login_as("staff", unit=unit)
    post_step(client, part, "packed")

    page = client.get("/workshop/ordre").get_data(as_text=True)

    assert f'name="status" value="{offered}"' in page
    assert f'name="status" value="{not_offered}"' not in page
    assert ('name="tracking_number"' in page) == (offered == "shipped")


@pytest.mark.parametrize(("delivery_method", "forged", "message"), [
    ("shipping", "ready_for_pickup", "The customer chose shipping for this order, so it cannot be made ready for pickup."),
    ("pickup", "shipped", "The customer picks up this order, so it cannot be marked as sent."),
])
def test_a_forged_step_of_the_other_delivery_method_is_refused_and_changes_nothing(
        client, session, login_as, one_unit_order, delivery_method, forged, message):
    order, part, unit = one_unit_order(delivery_method)
    login_as("staff", unit=unit)
    post_step(client, part, "packed")
    mail_before = session.scalar(select(func.count()).select_from(OutboxMessage))
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))

    response = post_step(client, part, forged, tracking_number="70799999")

    assert response.status_code == 409
    assert in_bokmal(message) in response.get_data(as_text=True)
    session.refresh(part)
    assert (part.status, part.tracking_number) == ("packed", "")
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == mail_before
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


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


# The customer hears when goods are sent or ready for pickup.

def test_sending_goods_emails_the_customer_once_with_the_tracking_number_and_link(client, session, login_as,
                                                                                   split_order):
    order = split_order["order"]
    login_as("staff", unit=split_order["bergen"])
    part = split_order["bergen_part"]
    post_step(client, part, "packed")
    assert fulfilment_mail(session, order) == []

    post_step(client, part, "shipped", tracking_number=" 70712345 ")
    post_step(client, part, "shipped", tracking_number="70712345")  # a second click, or a page left open

    [mail] = fulfilment_mail(session, order)
    assert mail.to == "innkjop@example.no"
    assert mail.subject == in_bokmal("Goods from order %(number)s have been sent", number=order.number)
    assert f"http://verkstedbutikken.test/ordre/{order.public_token}" in mail.body
    assert "70712345" in mail.body and "Bergen fengsel" in mail.body
    assert "Benk i eik" in mail.body and "Forkle i lin" not in mail.body  # only what this workshop sent
    assert in_bokmal("The rest of the order comes from other workshops. You get an e-mail when it is sent.") in mail.body


def test_the_last_part_sent_says_nothing_about_the_rest_of_the_order(client, session, login_as, split_order):
    order = split_order["order"]
    for unit, part in ((split_order["halden"], split_order["halden_part"]), (split_order["bergen"], split_order["bergen_part"])):
        login_as("staff", unit=unit)
        post_step(client, part, "packed")
        post_step(client, part, "shipped")

    first, last = fulfilment_mail(session, order)
    assert "Forkle i lin" in first.body and "Benk i eik" in last.body
    rest = in_bokmal("The rest of the order comes from other workshops. You get an e-mail when it is sent.")
    assert rest in first.body and rest not in last.body
    assert in_bokmal("Tracking number") not in last.body  # none was given


def test_goods_ready_for_pickup_email_the_customer_which_workshop_to_visit(client, session, login_as, one_unit_order):
    order, part, unit = one_unit_order("pickup")
    login_as("staff", unit=unit)
    post_step(client, part, "packed")

    post_step(client, part, "ready_for_pickup")
    post_step(client, part, "ready_for_pickup")

    [mail] = fulfilment_mail(session, order)
    assert mail.to == "kunde@example.no"
    assert mail.subject == in_bokmal("Goods from order %(number)s are ready for pickup", number=order.number)
    assert in_bokmal("Goods from your order %(number)s are ready for pickup at %(unit)s:", number=order.number,
                     unit="Ila fengsel") in mail.body
    assert "Postboks 100, 1332 Østerås" in mail.body and "verksted@ila.example.no" in mail.body
    assert "Skjærefjøl i bjørk" in mail.body
    assert f"http://verkstedbutikken.test/ordre/{order.public_token}" in mail.body


@pytest.mark.parametrize(("delivery_method", "handover"), [("shipping", "shipped"), ("pickup", "ready_for_pickup")])
def test_packing_and_delivering_send_no_email(client, session, login_as, one_unit_order, delivery_method, handover):
    order, part, unit = one_unit_order(delivery_method)
    login_as("staff", unit=unit)

    post_step(client, part, "packed")
    assert fulfilment_mail(session, order) == []
    post_step(client, part, handover)
    post_step(client, part, "delivered")

    assert len(fulfilment_mail(session, order)) == 1
    session.refresh(part)
    assert part.status == "delivered"


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
