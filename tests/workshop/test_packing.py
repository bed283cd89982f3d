"""The packing queue (/workshop/ordre): staff see and move only their own unit's part of each order."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from factories import fulfilment_mail, in_bokmal, make_unit, post_step
from shop.core.audit import AuditEvent
from shop.mail import OutboxMessage
from shop.orders.models import Order


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


def test_skipping_steps_is_refused(client, session, login_as, split_order):
    login_as("staff", unit=split_order["bergen"])
    part = split_order["bergen_part"]

    response = client.post(f"/workshop/ordre/{part.id}/status", data={"status": "delivered"}, follow_redirects=True)

    assert "Det steget er ikke mulig" in response.get_data(as_text=True)
    session.refresh(part)
    assert part.status == "pending"


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


def test_the_queue_shows_open_work_and_sent_parts_under_their_own_filter(client, session, login_as, one_unit_order):
    order, part, unit = one_unit_order("shipping")
    login_as("staff", unit=unit)
    for step in ("packed", "shipped"):
        post_step(client, part, step)

    open_work = client.get("/workshop/ordre").get_data(as_text=True)
    sent = client.get("/workshop/ordre?vis=sendt").get_data(as_text=True)

    assert order.number not in open_work
    assert order.number in sent


def test_the_packing_slip_lists_what_to_pack_and_where_it_goes(client, session, login_as, one_unit_order):
    order, part, unit = one_unit_order("shipping")
    login_as("staff", unit=unit)

    slip = client.get(f"/workshop/ordre/{part.id}/pakkseddel")

    page = slip.get_data(as_text=True)
    assert slip.status_code == 200
    assert order.number in page and "Skjærefjøl i bjørk" in page and "Storgata 1" in page and "0155 Oslo" in page
    assert "PO-9" in page


def test_another_units_packing_slip_is_not_found(client, session, login_as, one_unit_order):
    order, part, unit = one_unit_order("shipping")
    login_as("staff", unit=make_unit(session))
    session.commit()

    assert client.get(f"/workshop/ordre/{part.id}/pakkseddel").status_code == 404


def test_when_every_part_is_delivered_the_order_is_complete(client, session, login_as, split_order):
    order = split_order["order"]
    for unit_key, part_key in (("bergen", "bergen_part"), ("halden", "halden_part")):
        login_as("staff", unit=split_order[unit_key])
        for step in ("packed", "shipped", "delivered"):
            post_step(client, split_order[part_key], step)
        session.expire_all()
        expected = "completed" if unit_key == "halden" else "awaiting_invoice"
        assert session.get(Order, order.id).status == expected
