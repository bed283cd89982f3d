"""Cart and checkout through HTTP: quantities, problems shown not dropped, validation, invoice orders, status page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from datetime import timedelta

from conftest import INVOICE, NOW, checkout_details, make_product, make_unit
from inventory.models import StockRecord
from shop.models import CartItem, Order, OutboxMessage
from shop import orders
from shop.norway import valid_org_number


def add(client, product, quantity=1):
    return client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": quantity})


def test_adding_to_the_cart_and_changing_quantities(client, session):
    product = make_product(session, title="Benk i eik", price_ore=129900, stock=5)
    session.commit()

    assert add(client, product, 2).status_code == 303
    page = client.get("/handlekurv").get_data(as_text=True)
    assert "Benk i eik" in page and 'value="2"' in page and "2\xa0598,00\xa0kr" in page
    assert "Handlekurv <span class=\"cart-count\">(2" in client.get("/").get_data(as_text=True)

    client.post("/handlekurv/endre", data={"product_id": product.id, "quantity": 0})
    assert "Handlekurven er tom." in client.get("/handlekurv").get_data(as_text=True)


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "100", ""])
def test_bad_quantities_are_refused_with_a_message(client, session, quantity):
    product = make_product(session, stock=5)
    session.commit()

    response = client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": quantity}, follow_redirects=True)

    assert response.status_code == 200
    assert "Velg et antall fra 1 til 99." in response.get_data(as_text=True)


def test_unknown_or_unpublished_products_cannot_be_added(client, session):
    draft = make_product(session, status="draft")
    session.commit()

    for product_id in (draft.id, 999999):
        response = client.post("/handlekurv/legg-til", data={"product_id": product_id, "quantity": 1}, follow_redirects=True)
        assert "kan ikke kjøpes akkurat nå" in response.get_data(as_text=True)
    assert client.get("/handlekurv").get_data(as_text=True).count("cart-line\"") == 0


def test_a_product_that_became_unavailable_is_shown_with_a_message_not_dropped(client, session):
    gone = make_product(session, title="Krakk i bjørk", stock=5)
    scarce = make_product(session, title="Lampe i messing", stock=1)
    session.commit()
    add(client, gone)
    add(client, scarce, 1)
    client.post("/handlekurv/endre", data={"product_id": scarce.id, "quantity": 3})
    gone.status = "archived"
    session.commit()

    page = client.get("/handlekurv").get_data(as_text=True)

    assert "Produktet selges ikke lenger" in page and "tatt ut av salg" in page
    assert "Bare 1 er tilgjengelig" in page
    assert "Gå til kassen" not in page
    assert client.post("/kasse/oppsummering").status_code in (302, 303)


def test_made_to_order_products_can_be_ordered_beyond_stock_with_their_lead_time(client, session):
    product = make_product(session, stock=0, made_to_order=True, lead_time_days=28)
    session.commit()

    add(client, product, 3)
    page = client.get("/handlekurv").get_data(as_text=True)

    assert "Lages på bestilling – ca. 28 dager" in page and "Gå til kassen" in page


def test_made_to_order_products_with_some_stock_say_that_a_larger_quantity_will_be_made(client, session):
    product = make_product(session, stock=2, made_to_order=True, lead_time_days=21)
    session.commit()

    add(client, product, 5)
    page = client.get("/handlekurv").get_data(as_text=True)
    assert "Bare 2 er på lager, så alle 5 lages til deg: klare om ca. 21 dager." in page and "Gå til kassen" in page
    client.post("/kasse/", data=checkout_details())
    review = client.get("/kasse/oppsummering").get_data(as_text=True)
    assert "Lages på bestilling: klar om ca. 21 dager." in review

    client.post("/handlekurv/endre", data={"product_id": product.id, "quantity": 2})
    assert "lages til deg" not in client.get("/handlekurv").get_data(as_text=True)


def test_a_made_to_order_product_in_stock_says_more_can_be_made(client, session):
    product = make_product(session, stock=2, made_to_order=True, lead_time_days=28)
    plain = make_product(session, stock=2)
    session.commit()

    assert "Trenger du flere? De lages på bestilling: klare om ca. 28 dager." in \
        client.get(f"/produkt/{product.slug}").get_data(as_text=True)
    assert "Trenger du flere?" not in client.get(f"/produkt/{plain.slug}").get_data(as_text=True)


def test_the_cart_offers_what_one_workshop_can_send_not_the_sum_of_all(client, session):
    """An order line is filled by one unit: 3 at one and 2 at another is 3 for the cart, not 5."""
    from inventory.services import adjust, ensure_stock_record

    product = make_product(session, stock=3)
    other = make_unit(session)
    record = ensure_stock_record(session, product_id=product.id, unit_id=other.id)
    adjust(session, record.id, 2, reason="produced", now=NOW)
    session.commit()

    add(client, product, 5)
    assert "Bare 3 er tilgjengelig" in client.get("/handlekurv").get_data(as_text=True)
    client.post("/handlekurv/endre", data={"product_id": product.id, "quantity": 3})
    client.post("/kasse/", data=checkout_details())
    assert client.post("/kasse/oppsummering").status_code == 303
    assert session.scalar(select(Order.status)) == "pending_payment"


def test_stock_at_a_closed_workshop_is_not_offered(client, session):
    from inventory.services import adjust, ensure_stock_record

    product = make_product(session, stock=1)
    closed = make_unit(session)
    record = ensure_stock_record(session, product_id=product.id, unit_id=closed.id)
    adjust(session, record.id, 10, reason="produced", now=NOW)
    closed.active = False
    session.commit()

    add(client, product, 2)

    assert "Bare 1 er tilgjengelig" in client.get("/handlekurv").get_data(as_text=True)


def test_a_hold_past_its_expiry_does_not_make_a_product_look_sold_out(client, session):
    product = make_product(session, stock=1)
    session.commit()
    orders.place_order(session, {product.id: 1}, orders.Details(
        email="a@example.no", name="A", delivery_method="pickup", payment_method="card"),
        now=NOW - timedelta(hours=2), payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()  # an abandoned card order; `flask orders expire` has not run yet

    assert "På lager" in client.get(f"/produkt/{product.slug}").get_data(as_text=True) \
        or "Få igjen" in client.get(f"/produkt/{product.slug}").get_data(as_text=True)
    add(client, product, 1)
    page = client.get("/handlekurv").get_data(as_text=True)
    assert "Utsolgt" not in page and "Gå til kassen" in page
    client.post("/kasse/", data=checkout_details())
    assert client.post("/kasse/oppsummering").status_code == 303
    assert session.scalar(select(func.count()).select_from(Order)) == 2


def test_guest_cart_in_the_session_has_sane_bounds(client, session):
    product = make_product(session, stock=5)
    session.commit()
    with client.session_transaction() as cookie:
        cookie["cart"] = {str(product.id): 5, "x": 2, "-3": 1, str(product.id + 1000): "many"}

    page = client.get("/handlekurv").get_data(as_text=True)

    assert page.count('<li class="cart-line') == 1


def test_a_logged_in_customers_cart_is_kept_in_the_database(client, session, login_as):
    user = login_as("customer")
    product = make_product(session, stock=5)
    session.commit()

    add(client, product, 2)

    assert session.scalar(select(CartItem.quantity).where(CartItem.user_id == user.id)) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Skriv navnet ditt."),
        ({"email": "ikke-en-epost"}, "email", "Skriv en gyldig e-postadresse."),
        ({"postcode": "123"}, "postcode", "Skriv et norsk postnummer med fire sifre."),
        ({"postcode": "abcd"}, "postcode", "Skriv et norsk postnummer med fire sifre."),
        ({"address_line": ""}, "address_line", "Skriv gateadressen vi skal sende til."),
        ({**INVOICE, "org_number": "974760674"}, "org_number", "Skriv et gyldig organisasjonsnummer"),
        ({**INVOICE, "org_number": "12345678"}, "org_number", "Skriv et gyldig organisasjonsnummer"),
        ({**INVOICE, "buyer_reference": ""}, "buyer_reference", "Skriv referansen"),
        ({**INVOICE, "organisation_name": ""}, "organisation_name", "Skriv navnet på virksomheten"),
        ({"delivery_method": "teleport"}, "delivery_method", "Ikke et gyldig valg"),
    ],
)
def test_checkout_validates_on_the_server_and_keeps_what_was_typed(client, session, overrides, field, message):
    product = make_product(session, stock=5)
    session.commit()
    add(client, product)

    response = client.post("/kasse/", data=checkout_details(**overrides))
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert re.search(rf'id="{field}[^"]*-error"[^>]*>[^<]*{re.escape(message)}', page) or (
        message in page and f'id="{field}-error"' in page), page[page.find("ds-validation-message") - 200:][:600]
    assert 'value="Storgata 1"' in page or overrides.get("address_line") == ""
    assert 'value="kari@example.no"' in page or "email" in overrides


def test_pickup_needs_no_address(client, session):
    product = make_product(session, stock=5)
    session.commit()
    add(client, product)

    response = client.post("/kasse/", data=checkout_details(delivery_method="pickup", address_line="", postcode="", city=""))

    assert response.status_code == 303


def test_an_invoice_order_is_confirmed_at_once_with_stock_committed_and_an_email(client, session):
    product = make_product(session, title="Benk i eik", price_ore=129900, stock=3)
    session.commit()
    add(client, product, 2)
    assert client.post("/kasse/", data=checkout_details(**{**INVOICE, "org_number": "974 760 673"})).status_code == 303

    review = client.get("/kasse/oppsummering").get_data(as_text=True)
    assert "Faktura til Oslo kommune (org.nr. 974760673), referanse PO-4471" in review
    assert "2\xa0598,00\xa0kr" in review and "Herav mva." in review

    response = client.post("/kasse/oppsummering")
    assert response.status_code == 303 and "/ordre/" in response.headers["Location"]
    order = session.scalar(select(Order))
    assert order.status == "awaiting_invoice" and order.org_number == "974760673" and order.buyer_reference == "PO-4471"
    assert order.total_ore == 259800  # over the free-shipping threshold
    assert session.scalar(select(StockRecord.on_hand)) == 1
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Takk! Bestillingen er bekreftet." in confirmation
    assert session.scalar(select(OutboxMessage.to)) == "kari@example.no"
    assert "Handlekurven er tom." in client.get("/handlekurv").get_data(as_text=True)


def test_an_order_that_sells_out_during_checkout_fails_whole_with_a_clear_message(client, session):
    product = make_product(session, stock=2)
    session.commit()
    add(client, product, 2)
    client.post("/kasse/", data=checkout_details(**INVOICE))
    record = session.scalar(select(StockRecord))
    from inventory.services import adjust
    from conftest import NOW

    adjust(session, record.id, -1, reason="damaged", now=NOW)
    session.commit()

    response = client.post("/kasse/oppsummering", follow_redirects=True)

    assert "Sjekk handlekurven" in response.get_data(as_text=True) or "Noe i handlekurven har endret seg" in response.get_data(as_text=True)
    assert session.scalar(select(Order.id)) is None


def test_the_order_page_needs_the_unguessable_token(client, session):
    assert client.get("/ordre/not-a-real-token").status_code == 404


def test_an_empty_cart_cannot_check_out(client):
    assert client.get("/kasse/").status_code == 302
    assert client.post("/kasse/oppsummering").status_code == 302


@pytest.mark.parametrize(
    ("number", "valid"),
    [("974760673", True), ("889640782", True), ("923609016", True), ("974760674", False), ("12345678", False),
     ("abcdefghi", False), ("9747606730", False), ("000000000", True)],
)
def test_organisation_numbers_are_checked_with_mod_11(number, valid):
    assert valid_org_number(number) is valid


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


def test_the_order_form_sent_twice_places_one_order(client, session):
    product = make_product(session, stock=5)
    session.commit()
    add(client, product, 2)
    client.post("/kasse/", data=checkout_details(**INVOICE))
    page = client.get("/kasse/oppsummering").get_data(as_text=True)
    key = re.search(r'name="checkout_key" value="([^"]+)"', page).group(1)
    with client.session_transaction() as before:
        cookie = dict(before)  # the browser sends the same cookie with the second click

    first = client.post("/kasse/oppsummering", data={"checkout_key": key})
    with client.session_transaction() as again:
        again.clear()
        again.update(cookie)
    second = client.post("/kasse/oppsummering", data={"checkout_key": key})

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert session.scalar(select(StockRecord.on_hand)) == 3
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_new_checkout_after_an_order_gets_a_new_key_and_a_new_order(client, session):
    product = make_product(session, stock=5)
    session.commit()
    keys = []
    for _ in range(2):
        add(client, product, 1)
        client.post("/kasse/", data=checkout_details(**INVOICE))
        page = client.get("/kasse/oppsummering").get_data(as_text=True)
        keys.append(re.search(r'name="checkout_key" value="([^"]+)"', page).group(1))
        assert client.post("/kasse/oppsummering", data={"checkout_key": keys[-1]}).status_code == 303

    assert keys[0] != keys[1]
    assert session.scalar(select(func.count()).select_from(Order)) == 2


def test_placing_orders_is_limited_per_client_address(app, client, session):
    app.config["ORDER_RATE_LIMIT"] = "1 per minute"
    product = make_product(session, stock=5)
    session.commit()
    answers = []
    for _ in range(2):
        add(client, product, 1)
        client.post("/kasse/", data=checkout_details(**INVOICE))
        answers.append(client.post("/kasse/oppsummering"))

    assert [a.status_code for a in answers] == [303, 429]
    assert "For mange bestillinger" in answers[1].get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_pickup_order_says_where_to_pick_it_up(client, session):
    unit = make_unit(session, name="Bastøy fengsel", postal_address="Bastøy fengsel\n3190 Horten",
                     contact_email="verksted@bastoy.example")
    product = make_product(session, unit=unit, stock=3)
    session.commit()
    add(client, product, 1)
    client.post("/kasse/", data=checkout_details(delivery_method="pickup", **INVOICE))
    status_path = client.post("/kasse/oppsummering").headers["Location"]

    page = client.get(status_path).get_data(as_text=True)
    mail = session.scalar(select(OutboxMessage.body))

    assert "Hentes hos" in page and "Bastøy fengsel, 3190 Horten" in page and "fengsel, Bastøy" not in page
    assert 'href="mailto:verksted@bastoy.example"' in page and "når varene er klare" in page
    assert "- Bastøy fengsel, 3190 Horten (verksted@bastoy.example)" in mail


def test_the_thank_you_note_shows_right_after_paying_not_on_every_later_visit(client, session):
    product = make_product(session, stock=3)
    session.commit()
    order = orders.place_order(session, {product.id: 1}, orders.Details(
        email="a@example.no", name="A", delivery_method="pickup", payment_method="card"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    order.payment_intent_id = "pi_thanks"
    session.commit()
    orders.record_payment_succeeded(session, intent_id="pi_thanks", amount_ore=order.total_ore, currency="nok", now=NOW)
    session.commit()

    assert "Takk!" in client.get(f"/ordre/{order.public_token}?betalt=1").get_data(as_text=True)
    assert "Takk!" not in client.get(f"/ordre/{order.public_token}").get_data(as_text=True)


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
    from shop.coordinator import ORDERS_PER_PAGE

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
