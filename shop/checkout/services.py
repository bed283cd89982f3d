"""Checkout rules: turning what the customer typed into the order's details, and the shipping rule."""
from __future__ import annotations

from shop.core.norway import normalise_org_number
from shop.orders.services import Details, ShippingRule


def shipping_rule(config) -> ShippingRule:
    """The shipping rule the shop is configured with (SHIPPING_ORE, FREE_SHIPPING_FROM_ORE)."""
    return ShippingRule(config["SHIPPING_ORE"], config["FREE_SHIPPING_FROM_ORE"])


def details_from(saved: dict, *, user_id: int | None, locale: str = "nb") -> Details:
    """The order's details from the checkout form's saved data: trimmed, and only what the choices need."""
    invoice = saved.get("payment_method") == "invoice"
    shipping = saved.get("delivery_method") == "shipping"

    def text(name: str) -> str:
        return (saved.get(name) or "").strip()

    return Details(
        email=text("email").lower(), name=text("name"), phone=text("phone"),
        delivery_method=saved["delivery_method"], payment_method=saved["payment_method"],
        address_line=text("address_line") if shipping else "",
        postcode=text("postcode") if shipping else "",
        city=text("city") if shipping else "",
        organisation_name=text("organisation_name") if invoice else "",
        org_number=normalise_org_number(saved.get("org_number") or "") if invoice else None,
        buyer_reference=text("buyer_reference") if invoice else None,
        invoice_email=(text("invoice_email").lower() or None) if invoice else None,
        user_id=user_id, locale=locale,
    )
