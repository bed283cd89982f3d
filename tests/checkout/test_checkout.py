"""Cart and checkout through HTTP: quantities, problems shown not dropped, validation, invoice orders, status page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from factories import INVOICE, NOW, checkout_details, make_product, make_unit
from inventory.models import StockRecord
from shop.core.norway import valid_org_number
from shop.mail import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Order


def add(client, product, quantity=1):
    return client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": quantity})


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
    from factories import NOW
    from inventory.services import adjust

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


def test_the_review_links_the_terms_and_says_the_order_obliges_payment(client, session):
    product = make_product(session, stock=5)
    session.commit()
    add(client, product)
    client.post("/kasse/", data=checkout_details())

    review = client.get("/kasse/oppsummering").get_data(as_text=True)
    form = review[review.index('<form method="post" class="place-order">'):]
    form = form[:form.index("</form>")]
    assert 'href="/salgsbetingelser"' in form and 'href="/angrerett"' in form
    assert re.search(r'<button[^>]*type="submit">Bestill med betalingsplikt</button>', form)
    assert "angreretten for forbrukere gjelder ikke" not in form


def test_a_business_buyer_is_told_the_right_of_withdrawal_does_not_apply(client, session):
    product = make_product(session, stock=5)
    session.commit()
    add(client, product)
    client.post("/kasse/", data=checkout_details(**INVOICE))

    review = client.get("/kasse/oppsummering").get_data(as_text=True)
    assert "angreretten for forbrukere gjelder ikke" in review
    assert "Bestill med betalingsplikt" in review
