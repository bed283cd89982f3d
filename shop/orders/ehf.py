"""EHF invoices and credit notes: Peppol BIS Billing 3.0 documents in UBL 2.1, built from plain dataclasses.

No Flask and no database: the caller maps its invoice onto a `Document`, `breakdown` works out the amounts
(the PDF invoice uses the same numbers, so PDF and EHF agree to the øre) and `build` writes the XML.

Prices in the shop include MVA, so the amounts run backwards from what the customer was shown:
per VAT rate, VAT = gross × rate / (1 + rate) rounded half up once for the whole rate, net = gross − VAT,
and that net is shared out over the rate's lines (and the shipping) by the largest-remainder method, so
every line net is whole øre and they add up to the category net exactly. TaxInclusiveAmount is then the
gross the customer saw, to the øre, whatever the rounding of the single lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from shop.core.money import vat_included
from shop.core.norway import normalise_org_number, valid_bank_account, valid_org_number

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ORG_SCHEME = "0192"  # ICD/EAS code of the Norwegian organisation number (Enhetsregisteret)
UNIT_CODE = "EA"  # UN/ECE Recommendation 20: "each"
CREDIT_TRANSFER = "30"  # UNCL 4461
FREIGHT = "FC"  # UNCL 7161: freight service
KINDS = ("invoice", "credit_note")

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class InvalidDocument(ValueError):
    """The document cannot become a valid EHF: a required field is missing or an identifier is wrong."""


@dataclass(frozen=True)
class Party:
    """A seller or buyer: a Norwegian organisation with its address and, for the seller, a contact."""

    name: str
    org_number: str  # 9 digits, valid mod-11
    address_line: str
    postcode: str
    city: str
    country: str = "NO"
    vat_registered: bool = False  # True -> PartyTaxScheme CompanyID "NO{org}MVA", scheme VAT
    email: str = ""
    phone: str = ""
    contact_name: str = ""


@dataclass(frozen=True)
class Line:
    """One invoiced product: positive quantity, unit price including MVA in øre."""

    id: str
    description: str
    sku: str
    quantity: int
    unit_price_ore: int
    vat_rate_bp: int  # 2500 = 25 %, 1500 = 15 % (food), 1200, 0 ...


@dataclass(frozen=True)
class Document:
    """An invoice or credit note as the shop knows it, before it becomes UBL."""

    kind: str  # "invoice" or "credit_note"
    number: str
    issue_date: date
    due_date: date | None  # invoices: required; credit notes: optional
    seller: Party
    buyer: Party
    buyer_reference: str  # the buyer's PO / reference (BuyerReference); may be ""
    order_reference: str  # our order number, goes in OrderReference/ID
    lines: tuple[Line, ...]
    shipping_ore: int = 0  # including MVA; becomes a document-level charge (see _add_shipping)
    shipping_vat_rate_bp: int = 2500
    kid: str = ""  # PaymentMeans/PaymentID
    bank_account: str = ""  # 11 digits, PaymentMeans/PayeeFinancialAccount/ID
    billing_reference: str = ""  # credit notes: the invoice they correct
    billing_reference_date: date | None = None
    note: str = ""
    # When and where the goods were delivered (bokføringsforskriften § 5-1-1 asks the invoice to say so): the day
    # the last part left the workshop, and the delivery address ("" for a pickup at the workshop).
    delivery_date: date | None = None
    delivery_address_line: str = ""
    delivery_postcode: str = ""
    delivery_city: str = ""
    currency: str = "NOK"


@dataclass(frozen=True)
class Category:
    """One VAT breakdown (TaxSubtotal): the code, the rate, and its gross, taxable (net) and VAT amounts."""

    code: str  # "S" standard rated (rate > 0), "Z" zero rated (rate 0)
    rate_bp: int
    gross_ore: int
    taxable_ore: int
    vat_ore: int


@dataclass(frozen=True)
class LineAmounts:
    """What one line comes to: the gross the customer saw, its share of the category net, and the MVA in it."""

    line_id: str
    quantity: int
    gross_ore: int
    net_ore: int
    vat_ore: int

    @property
    def net_unit_price_ore(self) -> Decimal:
        """The net price of one item in øre, with as many decimals as quantity × price needs to give net_ore."""
        return _unit_price_ore(self.net_ore, self.quantity)


@dataclass(frozen=True)
class Totals:
    """Every amount of a document in whole øre, as the EHF states them and the PDF should print them."""

    categories: tuple[Category, ...]  # highest rate first
    lines: tuple[LineAmounts, ...]  # in the document's order
    shipping_gross_ore: int
    shipping_net_ore: int
    line_extension_ore: int  # Σ line net
    charge_total_ore: int  # the shipping net (the only document-level charge)
    tax_exclusive_ore: int  # line_extension_ore + charge_total_ore
    vat_ore: int  # Σ category VAT
    tax_inclusive_ore: int  # == Σ unit_price_ore × quantity + shipping_ore
    payable_ore: int

    def line(self, line_id: str) -> LineAmounts:
        """Return the amounts of the line with this id.

        Raises:
            KeyError: no line has the id.
        """
        for amounts in self.lines:
            if amounts.line_id == line_id:
                return amounts
        raise KeyError(line_id)


# --- amounts -------------------------------------------------------------------------------------------------


def breakdown(document: Document) -> Totals:
    """Work out the VAT breakdown, the line nets and the document totals of a document."""
    gross_by_rate: dict[int, list[tuple[int, int]]] = {}  # rate -> [(index, gross)], index -1 is shipping
    for index, line in enumerate(document.lines):
        gross_by_rate.setdefault(line.vat_rate_bp, []).append((index, line.unit_price_ore * line.quantity))
    if document.shipping_ore:
        gross_by_rate.setdefault(document.shipping_vat_rate_bp, []).append((-1, document.shipping_ore))

    categories: list[Category] = []
    net_by_index: dict[int, int] = {}
    for rate_bp in sorted(gross_by_rate, reverse=True):
        items = gross_by_rate[rate_bp]
        gross = sum(amount for _, amount in items)
        vat = vat_included(gross, rate_bp)
        categories.append(Category(_category_code(rate_bp), rate_bp, gross, gross - vat, vat))
        shares = _split(gross - vat, [amount for _, amount in items])
        net_by_index.update((index, share) for (index, _), share in zip(items, shares, strict=True))

    lines = tuple(_line_amounts(line, net_by_index[index]) for index, line in enumerate(document.lines))
    shipping_net = net_by_index.get(-1, 0)
    line_extension = sum(amounts.net_ore for amounts in lines)
    vat = sum(category.vat_ore for category in categories)
    tax_inclusive = line_extension + shipping_net + vat
    return Totals(categories=tuple(categories), lines=lines, shipping_gross_ore=document.shipping_ore,
                  shipping_net_ore=shipping_net, line_extension_ore=line_extension, charge_total_ore=shipping_net,
                  tax_exclusive_ore=line_extension + shipping_net, vat_ore=vat, tax_inclusive_ore=tax_inclusive,
                  payable_ore=tax_inclusive)


def _category_code(rate_bp: int) -> str:
    # 0 % goods in Norway (books, newspapers) are "fritatt" = zero rated, Z. E ("unntatt", outside the VAT law)
    # would also demand an exemption reason (BR-E-10) that the shop has no basis for.
    return "S" if rate_bp > 0 else "Z"


def _line_amounts(line: Line, net_ore: int) -> LineAmounts:
    gross = line.unit_price_ore * line.quantity
    return LineAmounts(line.id, line.quantity, gross, net_ore, gross - net_ore)


def _split(total: int, weights: list[int]) -> list[int]:
    """Share whole øre out in proportion to the weights (largest remainder), the shares adding up to total."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    short = total - sum(shares)
    # Ties go to the earlier item, so the same document always splits the same way.
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:short]:
        shares[index] += 1
    return shares


def _unit_price_ore(net_ore: int, quantity: int) -> Decimal:
    # PEPPOL-EN16931-R120 allows quantity × price to miss the line net by 0.02, but a 2-decimal price misses
    # by up to quantity × 0.005 kr. With one more decimal (of øre) per digit of the quantity the miss stays
    # under half an øre for any quantity, so quantity × price rounds to the line net exactly.
    if net_ore % quantity == 0:
        return Decimal(net_ore // quantity)
    places = Decimal(1).scaleb(-len(str(quantity)))
    return (Decimal(net_ore) / Decimal(quantity)).quantize(places, rounding=ROUND_HALF_UP)


def _money(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def _price(ore: Decimal) -> str:
    text = format((ore / 100).normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _percent(rate_bp: int) -> str:
    return format((Decimal(rate_bp) / 100).normalize(), "f")


# --- checks --------------------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Drop the characters XML 1.0 forbids (NUL, control characters, lone surrogates) and trim the ends."""
    return _NOT_XML.sub("", text).strip()


def _required(text: str, what: str) -> str:
    value = clean(text)
    if not value:
        raise InvalidDocument(f"{what} is empty")
    return value


def _org_number(party: Party, role: str) -> str:
    number = normalise_org_number(party.org_number)
    if not valid_org_number(number):
        raise InvalidDocument(f"{role} organisation number {party.org_number!r} is not nine digits with a "
                              "valid mod-11 check digit")
    return number


def _check(document: Document) -> None:
    """Raise InvalidDocument for what would make the EHF invalid or misleading, before building anything."""
    if document.kind not in KINDS:
        raise InvalidDocument(f"kind must be one of {KINDS}, not {document.kind!r}")
    if not document.lines:
        raise InvalidDocument("a document needs at least one line")
    if document.kind == "invoice" and document.due_date is None:
        raise InvalidDocument("an invoice needs a due date")
    if len({line.id for line in document.lines}) != len(document.lines):
        raise InvalidDocument("line ids must be unique")
    for line in document.lines:
        if line.quantity <= 0 or line.unit_price_ore < 0 or not 0 <= line.vat_rate_bp < 10000:
            raise InvalidDocument(f"line {line.id!r}: quantity must be positive, price and rate not negative")
    if document.shipping_ore < 0 or not 0 <= document.shipping_vat_rate_bp < 10000:
        raise InvalidDocument("shipping and its rate must not be negative")
    shipping_rate = document.shipping_vat_rate_bp if document.shipping_ore else 0
    if (shipping_rate or any(line.vat_rate_bp for line in document.lines)) and not document.seller.vat_registered:
        # The rules would let it through (BR-S-02 counts the "Foretaksregisteret" entry as a tax registration),
        # but only a VAT-registered seller may state MVA on an invoice.
        raise InvalidDocument("the seller is not VAT-registered, so no line or shipping can carry MVA")
    if not re.fullmatch(r"[A-Z]{3}", document.currency):
        raise InvalidDocument(f"currency {document.currency!r} is not an ISO 4217 code")
    if document.bank_account and not valid_bank_account(document.bank_account):
        raise InvalidDocument(f"bank account {document.bank_account!r} is not a valid Norwegian account number")
    if document.kid and not re.fullmatch(r"\d{2,25}", document.kid.strip()):
        raise InvalidDocument(f"KID {document.kid!r} must be 2–25 digits")


# --- XML -----------------------------------------------------------------------------------------------------


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")


def _cbc(parent: etree._Element, name: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", attributes)
    element.text = text
    return element


def _cbc_if(parent: etree._Element, name: str, text: str) -> None:
    """Add the element only when the text is not empty: Peppol rejects empty elements (PEPPOL-EN16931-R008)."""
    value = clean(text)
    if value:
        _cbc(parent, name, value)


def _amount(parent: etree._Element, name: str, ore: int, currency: str) -> None:
    _cbc(parent, name, _money(ore), currencyID=currency)


def _tax_category(parent: etree._Element, name: str, rate_bp: int) -> None:
    category = _cac(parent, name)
    _cbc(category, "ID", _category_code(rate_bp))
    _cbc(category, "Percent", _percent(rate_bp))
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _add_party(parent: etree._Element, role: str, party: Party, *, seller: bool) -> None:
    org = _org_number(party, role)
    wrapper = _cac(parent, "AccountingSupplierParty" if seller else "AccountingCustomerParty")
    element = _cac(wrapper, "Party")
    _cbc(element, "EndpointID", org, schemeID=ORG_SCHEME)
    name = _required(party.name, f"{role} name")
    _cbc(_cac(element, "PartyName"), "Name", name)
    address = _cac(element, "PostalAddress")
    if seller:
        _cbc(address, "StreetName", _required(party.address_line, f"{role} address"))
        _cbc(address, "CityName", _required(party.city, f"{role} city"))
        _cbc(address, "PostalZone", _required(party.postcode, f"{role} postcode"))
    else:
        # The buyer's address is the country alone when the order was picked up (BR-10 and BR-11 ask no more);
        # a public body's access point knows its address from Enhetsregisteret.
        for name, value in (("StreetName", party.address_line), ("CityName", party.city),
                            ("PostalZone", party.postcode)):
            _cbc_if(address, name, value)
    country = _required(party.country, f"{role} country").upper()
    _cbc(_cac(address, "Country"), "IdentificationCode", country)
    if party.vat_registered:
        vat = _cac(element, "PartyTaxScheme")
        _cbc(vat, "CompanyID", f"NO{org}MVA")
        _cbc(_cac(vat, "TaxScheme"), "ID", "VAT")
    if seller and country == "NO":
        # NO-R-002: Norwegian sellers state "Foretaksregisteret" (foretaksregisterloven § 10-2).
        register = _cac(element, "PartyTaxScheme")
        _cbc(register, "CompanyID", "Foretaksregisteret")
        _cbc(_cac(register, "TaxScheme"), "ID", "TAX")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", name)
    _cbc(legal, "CompanyID", org, schemeID=ORG_SCHEME)
    _add_contact(element, party)


def _add_contact(parent: etree._Element, party: Party) -> None:
    fields = [("Name", clean(party.contact_name)), ("Telephone", clean(party.phone)),
              ("ElectronicMail", clean(party.email))]
    if any(value for _, value in fields):
        contact = _cac(parent, "Contact")
        for name, value in fields:
            _cbc_if(contact, name, value)


def _add_header(root: etree._Element, document: Document, invoice: bool) -> None:
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", _required(document.number, "document number"))
    _cbc(root, "IssueDate", document.issue_date.isoformat())
    if invoice and document.due_date is not None:
        # UBL 2.1 CreditNote has no DueDate; a credit note's due date goes in PaymentMeans/PaymentDueDate.
        _cbc(root, "DueDate", document.due_date.isoformat())
    _cbc(root, "InvoiceTypeCode" if invoice else "CreditNoteTypeCode", "380" if invoice else "381")
    _cbc_if(root, "Note", document.note)
    _cbc(root, "DocumentCurrencyCode", document.currency)
    _cbc_if(root, "BuyerReference", document.buyer_reference)
    # Always present, so PEPPOL-EN16931-R003 holds for a buyer without a PO. EN 16931 reads OrderReference/ID
    # as the buyer's order (BT-13); SalesOrderID (BT-14) says in the standard's words that it is ours.
    order_number = _required(document.order_reference, "order reference")
    order = _cac(root, "OrderReference")
    _cbc(order, "ID", order_number)
    _cbc(order, "SalesOrderID", order_number)
    if document.billing_reference:
        preceding = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(preceding, "ID", _required(document.billing_reference, "billing reference"))
        if document.billing_reference_date is not None:
            _cbc(preceding, "IssueDate", document.billing_reference_date.isoformat())


def _add_payment(root: etree._Element, document: Document, invoice: bool) -> None:
    account = re.sub(r"[\s.]", "", document.bank_account)
    kid = document.kid.strip()
    if account:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", CREDIT_TRANSFER)
        if not invoice and document.due_date is not None:
            _cbc(means, "PaymentDueDate", document.due_date.isoformat())
        _cbc_if(means, "PaymentID", kid)
        _cbc(_cac(means, "PayeeFinancialAccount"), "ID", account)
    # Payment terms on every document: BR-CO-25 wants a due date or terms whenever something is payable,
    # and a credit note has no document-level DueDate to satisfy it with.
    _cbc(_cac(root, "PaymentTerms"), "Note", _payment_terms(document, invoice, account, kid))


def _payment_terms(document: Document, invoice: bool, account: str, kid: str) -> str:
    if invoice:
        text = f"Betales innen {document.due_date:%d.%m.%Y}"
        if account:
            text += f" til konto {account[:4]}.{account[4:6]}.{account[6:]}"
        return text + (f" med KID {kid}." if kid else ".")
    text = f"Kreditnota for faktura {clean(document.billing_reference)}." if document.billing_reference \
        else "Kreditnota."
    if document.due_date is not None:
        text += f" Beløpet tilbakebetales innen {document.due_date:%d.%m.%Y}."
    return text


def _add_shipping(root: etree._Element, document: Document, totals: Totals) -> None:
    # Shipping is a document-level charge (BG-21, reason code FC) rather than a line: it is no item with an
    # SKU, the buyer's system can book freight apart from goods by the code, and the lines stay exactly the
    # products ordered. It takes part in the category split like a line, so BR-S-08 holds to the øre.
    if not document.shipping_ore:
        return
    charge = _cac(root, "AllowanceCharge")
    _cbc(charge, "ChargeIndicator", "true")
    _cbc(charge, "AllowanceChargeReasonCode", FREIGHT)
    _cbc(charge, "AllowanceChargeReason", "Frakt")
    _amount(charge, "Amount", totals.shipping_net_ore, document.currency)
    _tax_category(charge, "TaxCategory", document.shipping_vat_rate_bp)


def _add_totals(root: etree._Element, document: Document, totals: Totals) -> None:
    currency = document.currency
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", totals.vat_ore, currency)
    for category in totals.categories:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", category.taxable_ore, currency)
        _amount(subtotal, "TaxAmount", category.vat_ore, currency)
        _tax_category(subtotal, "TaxCategory", category.rate_bp)
    monetary = _cac(root, "LegalMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", totals.line_extension_ore, currency)
    _amount(monetary, "TaxExclusiveAmount", totals.tax_exclusive_ore, currency)
    _amount(monetary, "TaxInclusiveAmount", totals.tax_inclusive_ore, currency)
    if document.shipping_ore:
        _amount(monetary, "ChargeTotalAmount", totals.charge_total_ore, currency)
    _amount(monetary, "PayableAmount", totals.payable_ore, currency)


def _add_line(root: etree._Element, line: Line, amounts: LineAmounts, currency: str, invoice: bool) -> None:
    element = _cac(root, "InvoiceLine" if invoice else "CreditNoteLine")
    _cbc(element, "ID", _required(line.id, "line id"))
    _cbc(element, "InvoicedQuantity" if invoice else "CreditedQuantity", str(line.quantity), unitCode=UNIT_CODE)
    _amount(element, "LineExtensionAmount", amounts.net_ore, currency)
    item = _cac(element, "Item")
    _cbc(item, "Name", _required(line.description, f"line {line.id!r} description"))
    if clean(line.sku):
        _cbc(_cac(item, "SellersItemIdentification"), "ID", clean(line.sku))
    _tax_category(item, "ClassifiedTaxCategory", line.vat_rate_bp)
    price = _cac(element, "Price")
    _cbc(price, "PriceAmount", _price(amounts.net_unit_price_ore), currencyID=currency)


def _add_delivery(root: etree._Element, document: Document) -> None:
    """BG-13: the delivery date and, for goods sent, the address they went to (its country is required)."""
    if document.delivery_date is None and not document.delivery_address_line:
        return
    delivery = _cac(root, "Delivery")
    if document.delivery_date is not None:
        _cbc(delivery, "ActualDeliveryDate", document.delivery_date.isoformat())
    if document.delivery_address_line:
        address = _cac(_cac(delivery, "DeliveryLocation"), "Address")
        _cbc_if(address, "StreetName", document.delivery_address_line)
        _cbc_if(address, "CityName", document.delivery_city)
        _cbc_if(address, "PostalZone", document.delivery_postcode)
        _cbc(_cac(address, "Country"), "IdentificationCode", "NO")


def build(document: Document) -> bytes:
    """Write the document as a Peppol BIS Billing 3.0 UBL Invoice or CreditNote, UTF-8 with an XML declaration.

    Raises:
        InvalidDocument: a required field is empty, an organisation or account number is wrong, an invoice
            has no due date, or a line has a quantity below one.
    """
    _check(document)
    invoice = document.kind == "invoice"
    totals = breakdown(document)
    root = etree.Element(f"{{{NS_INVOICE if invoice else NS_CREDIT_NOTE}}}{'Invoice' if invoice else 'CreditNote'}",
                         nsmap={None: NS_INVOICE if invoice else NS_CREDIT_NOTE, "cac": NS_CAC, "cbc": NS_CBC})
    # The children follow the element order of the UBL 2.1 schemas, which access points check before the rules.
    _add_header(root, document, invoice)
    _add_party(root, "seller", document.seller, seller=True)
    _add_party(root, "buyer", document.buyer, seller=False)
    _add_delivery(root, document)
    _add_payment(root, document, invoice)
    _add_shipping(root, document, totals)
    _add_totals(root, document, totals)
    for line, amounts in zip(document.lines, totals.lines, strict=True):
        _add_line(root, line, amounts, document.currency, invoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
