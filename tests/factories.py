"""Factories: small functions that make one valid object with sensible defaults, through the real services."""
from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from flask_babel import force_locale, gettext
from sqlalchemy import select

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_serial = count(1)


def next_serial() -> int:
    """A number no other object in this test run has had (for unique names and e-mail addresses)."""
    return next(_serial)


def make_unit(session, **fields):
    from catalogue.services import create_unit

    n = next_serial()
    fields.setdefault("name", f"Testfengsel {n}")
    fields.setdefault("region", "ost")
    fields.setdefault("description", "Snekkerverksted og tekstilverksted.")
    fields.setdefault("trades", ["snekker"])
    return create_unit(session, **fields)


def make_category(session, **fields):
    from catalogue.services import create_category

    fields.setdefault("name", f"Kategori {next_serial()}")
    return create_category(session, **fields)


def make_product(session, *, unit=None, category=None, stock: int | None = 5, status: str = "published", **fields):
    """Make a product (published by default) with stock at its own unit, through the real services."""
    from catalogue.services import create_product, publish
    from inventory.services import adjust, ensure_stock_record

    unit = unit or make_unit(session)
    category = category or make_category(session)
    fields.setdefault("title", f"Produkt {next_serial()}")
    fields.setdefault("price_ore", 49900)
    product = create_product(session, unit=unit, category=category, **fields)
    if status == "published":
        publish(session, product, now=fields.get("published_at") or NOW)
    elif status != "draft":
        product.status = status
    if stock is not None and product.kind == "goods":
        record = ensure_stock_record(session, product_id=product.id, unit_id=unit.id)
        if stock:
            adjust(session, record.id, stock, reason="produced", now=NOW)
    session.flush()
    return product


def checkout_details(**overrides):
    """Checkout form data that passes validation (card payment, shipping)."""
    data = {
        "name": "Kari Nordmann", "email": "kari@example.no", "phone": "", "delivery_method": "shipping",
        "address_line": "Storgata 1", "postcode": "0155", "city": "Oslo", "payment_method": "card",
        "organisation_name": "", "org_number": "", "buyer_reference": "", "invoice_email": "",
    }
    data.update(overrides)
    return data


INVOICE = {"payment_method": "invoice", "organisation_name": "Oslo kommune", "org_number": "974760673",
           "buyer_reference": "PO-4471", "invoice_email": "faktura@example.no"}


# Reading what a step of an order did.

def fulfilment_mail(session, order) -> list:
    """The e-mails to the customer other than the order confirmation."""
    from shop.mail import OutboxMessage

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
