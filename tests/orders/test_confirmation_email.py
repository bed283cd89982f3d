"""The order confirmation carries what angrerettloven § 10 asks for: who sells, the goods with prices, the total
with MVA and shipping, delivery and payment terms, the right of withdrawal with its deadline and the form, and how
to complain; as plain text and HTML, in the language the customer shopped in."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from factories import NOW, make_product
from shop.mail import OutboxMessage
from shop.orders import services as orders

CONSUMER = dict(email="kari@example.no", name="Kari <b>Nordmann</b>", delivery_method="shipping",
                payment_method="card", address_line="Storgata 1", postcode="0155", city="Oslo")
AGENCY = dict(email="innkjop@example.no", name="Innkjøper", delivery_method="pickup", payment_method="invoice",
              organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1")


def place(session, details, locale="nb"):
    product = make_product(session, title="Skjærefjøl i bjørk", price_ore=34_900, stock=3)
    session.commit()
    order = orders.place_order(session, {product.id: 2}, orders.Details(**details, locale=locale), now=NOW,
                               payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    return order


def confirmation(session, order) -> OutboxMessage:
    """Pay the card order (the confirmation goes out when the payment lands) and return the e-mail."""
    order.payment_intent_id = f"pi_{order.id}"
    session.commit()
    orders.record_payment_succeeded(session, intent_id=order.payment_intent_id, amount_ore=order.total_ore,
                                    currency="nok", now=NOW)
    session.commit()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.to == order.email)).one()


def test_a_consumer_confirmation_has_seller_goods_totals_terms_and_the_withdrawal_form(session):
    order = place(session, CONSUMER)
    message = confirmation(session, order)

    body = message.body
    for expected in ("Kriminalomsorgen – Verkstedbutikken", "999 999 999 MVA", "2 × Skjærefjøl i bjørk",
                     "698,00", "Frakt", "Totalt", "mva.", "14 dager", "Angreskjema",
                     "ønsker å gå fra min/vår avtale", "to år", "fem år", "/salgsbetingelser", "/angrerett",
                     order.number):
        assert expected.replace(" ", "\xa0") in body or expected in body, expected
    assert message.html is not None
    assert "Angreskjema" in message.html and "/angrerett" in message.html
    assert "<b>Nordmann</b>" not in message.html, "what the customer typed is escaped in the HTML part"


def test_a_business_buyer_is_told_withdrawal_does_not_apply_and_gets_no_form(session):
    place(session, AGENCY)
    message = session.scalars(select(OutboxMessage)).one()
    assert "angreretten for forbrukere gjelder ikke" in message.body
    assert "Angreskjema" not in message.body
    assert "forfall" in message.body.lower()
    assert "kjøpsloven" in message.body and "forbrukerkjøpsloven" not in message.body


def test_the_confirmation_is_in_the_language_the_customer_shopped_in(session):
    order = place(session, AGENCY, locale="en")
    message = session.scalars(select(OutboxMessage)).one()
    assert order.locale == "en"
    assert "Right of withdrawal" in message.body and "Angrerett" not in message.body
    assert 'lang="en"' in message.html
