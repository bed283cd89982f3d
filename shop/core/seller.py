"""Who sells: the seller's identity from configuration (ehandelsloven § 8), for pages, e-mails and invoices."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from shop.core.norway import format_bank_account, format_org_number


@dataclass(frozen=True)
class Seller:
    """The shop's legal seller, as configured (SELLER_* and INVOICE_* settings)."""

    name: str
    org_number: str
    vat_registered: bool
    address_line: str
    postcode: str
    city: str
    email: str
    phone: str
    operator_unit: str
    parent_agency: str
    bank_account: str
    due_days: int
    demo: bool

    @property
    def address(self) -> str:
        return f"{self.address_line}, {self.postcode} {self.city}"

    @property
    def org_number_display(self) -> str:
        return format_org_number(self.org_number)

    @property
    def vat_number(self) -> str:
        """The number as the VAT register writes it: "999 999 999 MVA" (empty when not registered)."""
        return f"{self.org_number_display} MVA" if self.vat_registered else ""

    @property
    def bank_account_display(self) -> str:
        return format_bank_account(self.bank_account)


def seller(config=None) -> Seller:
    """The seller of this app (or of the given config mapping)."""
    config = config if config is not None else current_app.config
    return Seller(
        name=config["SELLER_NAME"], org_number=config["SELLER_ORG_NUMBER"],
        vat_registered=config["SELLER_VAT_REGISTERED"], address_line=config["SELLER_ADDRESS_LINE"],
        postcode=config["SELLER_POSTCODE"], city=config["SELLER_CITY"], email=config["SELLER_EMAIL"],
        phone=config["SELLER_PHONE"], operator_unit=config["SELLER_OPERATOR_UNIT"],
        parent_agency=config["SELLER_PARENT_AGENCY"], bank_account=config["INVOICE_BANK_ACCOUNT"],
        due_days=config["INVOICE_DUE_DAYS"], demo=config["SELLER_DEMO"],
    )
