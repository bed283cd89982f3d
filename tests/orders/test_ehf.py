"""The shop's EHF documents pass the official Peppol BIS 3.0 rules, and the validator catches what breaks them."""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from shop.orders import ehf, peppol

RULES = peppol.DEFAULT_RULES_DIR
NS = {"cac": ehf.NS_CAC, "cbc": ehf.NS_CBC}
RATES = (2500, 1500, 1200, 0)

SELLER = ehf.Party(name="Kriminalomsorgen, Verkstedbutikken", org_number="123456785", address_line="Storgata 1",
                   postcode="0155", city="Oslo", vat_registered=True, email="faktura@verksted.example.no",
                   phone="22 00 00 00", contact_name="Kari Nordmann")
BUYER = ehf.Party(name="Oslo kommune, Bymiljøetaten", org_number="987654325", address_line="Postboks 1, Rådhuset",
                  postcode="0037", city="Oslo", contact_name="Ola Nordmann")


def line(id: str = "1", price: int = 49900, quantity: int = 1, rate: int = 2500, title: str = "Fuglekasse") -> ehf.Line:
    return ehf.Line(id=id, description=title, sku=f"SKU-{id}", quantity=quantity, unit_price_ore=price,
                    vat_rate_bp=rate)


def invoice(*lines: ehf.Line, **overrides) -> ehf.Document:
    document = ehf.Document(kind="invoice", number="100042", issue_date=date(2025, 3, 3), due_date=date(2025, 3, 17),
                            seller=SELLER, buyer=BUYER, buyer_reference="PO-4711", order_reference="V-5001",
                            lines=lines or (line(),), shipping_ore=14900, kid="0001000428", bank_account="12345678903")
    return dataclasses.replace(document, **overrides)


def credit_note(*lines: ehf.Line, **overrides) -> ehf.Document:
    defaults = {"kind": "credit_note", "number": "K-100007", "due_date": None, "billing_reference": "100042",
                "billing_reference_date": date(2025, 3, 3), "kid": "", "bank_account": ""}
    return invoice(*lines, **(defaults | overrides))


def gross(document: ehf.Document) -> int:
    return sum(item.unit_price_ore * item.quantity for item in document.lines) + document.shipping_ore


def ore(tree: etree._Element, path: str) -> int:
    """An amount in the XML, back in øre."""
    return int(Decimal(tree.xpath(path, namespaces=NS)[0].text) * 100)


@pytest.fixture(scope="session")
def rules_cache(tmp_path_factory) -> Path:
    """One cache folder for the session, so the rules compile once however many tests validate."""
    cache = tmp_path_factory.mktemp("peppol-cache")
    peppol.prepare(cache_dir=cache)
    return cache


@pytest.fixture(scope="session")
def validate(rules_cache):
    def run(xml: bytes) -> list[peppol.Failure]:
        return peppol.validate(xml, cache_dir=rules_cache)
    return run


def fatal_ids(failures: list[peppol.Failure]) -> list[str]:
    return [failure.rule_id for failure in peppol.fatal(failures)]


def assert_accepted(document: ehf.Document, validate) -> etree._Element:
    """Build, validate with the official rules, and check the total is what the customer was shown."""
    xml = ehf.build(document)
    failures = validate(xml)
    assert fatal_ids(failures) == [], [(f.rule_id, f.text, f.location) for f in peppol.fatal(failures)]
    tree = etree.fromstring(xml)
    assert ore(tree, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == gross(document)
    assert ore(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") == gross(document)
    assert ehf.breakdown(document).tax_inclusive_ore == gross(document)
    return tree


# --- documents the shop sends --------------------------------------------------------------------------------


def test_an_invoice_with_food_furniture_books_and_shipping_passes_the_rules(validate):
    document = invoice(line("1", 129900, 2, 2500, "Hagebenk i eik"), line("2", 8900, 6, 1500, "Jordbærsyltetøy"),
                       line("3", 34900, 1, 0, "Bok om snekring"), line("4", 15000, 1, 1200, "Kurs: Trearbeid"))
    tree = assert_accepted(document, validate)
    rates = tree.xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()", namespaces=NS)
    codes = tree.xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", namespaces=NS)
    assert list(zip(codes, rates, strict=True)) == [("S", "25"), ("S", "15"), ("S", "12"), ("Z", "0")]
    assert tree.xpath("cac:AllowanceCharge/cbc:AllowanceChargeReasonCode/text()", namespaces=NS) == ["FC"]


def test_free_shipping_leaves_out_the_charge(validate):
    tree = assert_accepted(invoice(line("1", 250000, 1), line("2", 4900, 3, 1500), shipping_ore=0), validate)
    assert tree.xpath("cac:AllowanceCharge | cac:LegalMonetaryTotal/cbc:ChargeTotalAmount", namespaces=NS) == []


def test_an_invoice_of_one_line_passes(validate):
    assert_accepted(invoice(line("1", 100, 1), shipping_ore=0), validate)


def test_an_invoice_of_many_lines_with_quantities_passes(validate):
    lines = tuple(line(str(n), 1000 + n * 137, n % 7 + 1, RATES[n % 4], f"Vare {n}") for n in range(1, 61))
    assert_accepted(invoice(*lines), validate)


def test_shipping_at_a_rate_no_line_has_gets_its_own_category(validate):
    tree = assert_accepted(invoice(line("1", 8900, 3, 1500), shipping_ore=9900, shipping_vat_rate_bp=2500), validate)
    assert tree.xpath("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()", namespaces=NS) == ["25", "15"]


def test_a_buyer_without_a_po_is_identified_by_our_order_number(validate):
    tree = assert_accepted(invoice(buyer_reference=""), validate)
    assert tree.xpath("cbc:BuyerReference", namespaces=NS) == []
    assert tree.xpath("cac:OrderReference/cbc:ID/text()", namespaces=NS) == ["V-5001"]


def test_a_credit_note_for_a_whole_invoice_references_it(validate):
    document = credit_note(line("1", 129900, 2, 2500), line("2", 8900, 6, 1500))
    tree = assert_accepted(document, validate)
    assert etree.QName(tree).localname == "CreditNote"
    assert tree.xpath("cbc:CreditNoteTypeCode/text()", namespaces=NS) == ["381"]
    assert tree.xpath("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()", namespaces=NS) == ["100042"]
    assert tree.xpath("cbc:DueDate | cac:InvoiceLine", namespaces=NS) == []
    assert tree.xpath("cac:CreditNoteLine/cbc:CreditedQuantity/text()", namespaces=NS) == ["2", "6"]


def test_a_partial_credit_note_for_one_item_passes(validate):
    assert_accepted(credit_note(line("1", 8900, 1, 1500, "Jordbærsyltetøy"), shipping_ore=0), validate)


def test_a_credit_note_with_a_refund_date_and_account_states_them_in_payment_means(validate):
    document = credit_note(line("1", 3333, 3), due_date=date(2025, 4, 1), bank_account="12345678903")
    tree = assert_accepted(document, validate)
    assert tree.xpath("cac:PaymentMeans/cbc:PaymentDueDate/text()", namespaces=NS) == ["2025-04-01"]


def test_non_latin_text_survives_and_forbidden_characters_are_dropped(validate):
    buyer = dataclasses.replace(BUYER, name="Ærlig Øst-Åsen AS — Ωμέγα «Фабрика» 🌲", city="Tromsø\x00",
                                address_line="Storgata\x07 5\ufffe")
    document = invoice(line("1", 19900, 2, 2500, "Skål i bjørk \U0001f963 — 木のボウル\x1b"), buyer=buyer,
                       note="Levert til resepsjonen\x0b, 2. etg. ✓", buyer_reference="Ref: Åse/Ørjan")
    tree = assert_accepted(document, validate)
    party = "cac:AccountingCustomerParty/cac:Party/"
    assert tree.xpath(party + "cac:PartyName/cbc:Name/text()", namespaces=NS) == [
        "Ærlig Øst-Åsen AS — Ωμέγα «Фабрика» 🌲"]
    assert tree.xpath(party + "cac:PostalAddress/cbc:CityName/text()", namespaces=NS) == ["Tromsø"]
    assert tree.xpath(party + "cac:PostalAddress/cbc:StreetName/text()", namespaces=NS) == ["Storgata 5"]
    assert tree.xpath("cac:InvoiceLine/cac:Item/cbc:Name/text()", namespaces=NS) == ["Skål i bjørk 🥣 — 木のボウル"]


def test_the_document_is_utf8_with_an_xml_declaration():
    xml = ehf.build(invoice(line("1", 100, 1, 2500, "Blåbær")))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Blåbær".encode() in xml


# --- rounding ------------------------------------------------------------------------------------------------

ROUNDING_CASES = {
    "100 lines of 1 øre at 25 %": tuple(line(str(n), 1, 1, 2500) for n in range(1, 101)),
    "99 lines of 1 øre at 15 %": tuple(line(str(n), 1, 1, 1500) for n in range(1, 100)),
    "3 × 33.33 at 25 %": (line("1", 3333, 3, 2500),),
    "three lines of 33.33": tuple(line(str(n), 3333, 1, 2500) for n in range(1, 4)),
    "1 øre at 25 % and 1 øre at 15 %": (line("1", 1, 1, 2500), line("2", 1, 1, 1500)),
    "1 øre × 7 at 12 %": (line("1", 1, 7, 1200),),
    "2 øre × 49 at 25 %": (line("1", 2, 49, 2500),),
    "a free item beside a paid one": (line("1", 0, 3, 2500), line("2", 1, 1, 2500)),
    "0.01 at 0 % and 0.01 at 25 %": (line("1", 1, 1, 0), line("2", 1, 1, 2500)),
    "the most expensive order": tuple(line(str(n), 10_000_000, 50, RATES[n % 4]) for n in range(1, 9)),
    "a quantity with five digits": (line("1", 3, 12345, 2500), line("2", 7, 9999, 1500)),
    "prices ending in 9 øre at every rate": tuple(line(str(n), 99 + 1000 * n, n, RATES[n % 4]) for n in range(1, 9)),
}


@pytest.mark.parametrize("shipping", [0, 1, 14900], ids=["free shipping", "1 øre shipping", "149 kr shipping"])
@pytest.mark.parametrize("lines", ROUNDING_CASES.values(), ids=ROUNDING_CASES.keys())
def test_rounding_never_breaks_the_totals(lines, shipping, validate):
    tree = assert_accepted(invoice(*lines, shipping_ore=shipping), validate)
    # Each line's quantity × net price comes back to its net amount to the øre, not just within R120's 0.02.
    for element in tree.xpath("cac:InvoiceLine", namespaces=NS):
        quantity = Decimal(element.findtext("cbc:InvoicedQuantity", namespaces=NS))
        price = Decimal(element.findtext("cac:Price/cbc:PriceAmount", namespaces=NS))
        net = Decimal(element.findtext("cbc:LineExtensionAmount", namespaces=NS))
        assert abs(quantity * price - net) < Decimal("0.005")


def test_vat_is_rounded_once_per_rate_not_per_line():
    totals = ehf.breakdown(invoice(*ROUNDING_CASES["100 lines of 1 øre at 25 %"], shipping_ore=0))
    # Per line, 1 øre holds 0.2 øre of VAT, which rounds to nothing; the 100 øre together hold 20 øre.
    assert [(c.code, c.rate_bp, c.taxable_ore, c.vat_ore) for c in totals.categories] == [("S", 2500, 80, 20)]
    assert sum(amounts.net_ore for amounts in totals.lines) == 80
    assert {amounts.net_ore for amounts in totals.lines} == {0, 1}


def test_breakdown_splits_the_category_net_over_lines_and_shipping_exactly():
    document = invoice(line("1", 3333, 3), line("2", 12345, 1), line("3", 8900, 2, 1500), shipping_ore=14900)
    totals = ehf.breakdown(document)
    by_rate = {category.rate_bp: category for category in totals.categories}
    assert by_rate[2500].gross_ore == 9999 + 12345 + 14900
    assert by_rate[2500].vat_ore == 7449  # 37244 × 25/125 = 7448.8, rounded half up
    assert totals.line("1").net_ore + totals.line("2").net_ore + totals.shipping_net_ore == by_rate[2500].taxable_ore
    assert totals.line("3").net_ore == by_rate[1500].taxable_ore == 17800 - 2322
    assert totals.charge_total_ore == totals.shipping_net_ore
    assert totals.tax_exclusive_ore == totals.line_extension_ore + totals.charge_total_ore
    assert totals.tax_inclusive_ore == totals.tax_exclusive_ore + totals.vat_ore == gross(document)
    assert all(amounts.gross_ore == amounts.net_ore + amounts.vat_ore for amounts in totals.lines)


def test_the_xml_states_the_amounts_of_breakdown():
    document = invoice(line("1", 3333, 3), line("2", 8900, 2, 1500))
    totals = ehf.breakdown(document)
    tree = etree.fromstring(ehf.build(document))
    assert [ore(element, "cbc:LineExtensionAmount") for element in tree.xpath("cac:InvoiceLine", namespaces=NS)] \
        == [amounts.net_ore for amounts in totals.lines]
    assert ore(tree, "cac:TaxTotal/cbc:TaxAmount") == totals.vat_ore
    assert ore(tree, "cac:AllowanceCharge/cbc:Amount") == totals.shipping_net_ore


@pytest.mark.slow
@settings(max_examples=25, deadline=None, database=None)
@given(lines=st.lists(st.tuples(st.integers(1, 10_000_000), st.integers(1, 50), st.sampled_from(RATES)),
                      min_size=1, max_size=8),
       shipping=st.one_of(st.just(0), st.integers(1, 50_000)), shipping_rate=st.sampled_from(RATES),
       kind=st.sampled_from(ehf.KINDS))
def test_any_order_passes_the_rules_and_totals_what_the_customer_saw(lines, shipping, shipping_rate, kind, validate):
    items = tuple(line(str(n), price, quantity, rate) for n, (price, quantity, rate) in enumerate(lines, start=1))
    make = invoice if kind == "invoice" else credit_note
    assert_accepted(make(*items, shipping_ore=shipping, shipping_vat_rate_bp=shipping_rate), validate)


# --- the validator rejects what is wrong ---------------------------------------------------------------------


def edited(document: ehf.Document, edit) -> bytes:
    tree = etree.fromstring(ehf.build(document))
    edit(tree)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def remove(tree: etree._Element, path: str) -> None:
    for element in tree.xpath(path, namespaces=NS):
        element.getparent().remove(element)


def test_without_buyer_reference_and_order_reference_the_invoice_is_rejected(validate):
    xml = edited(invoice(), lambda tree: remove(tree, "cbc:BuyerReference | cac:OrderReference"))
    failures = validate(xml)
    assert "PEPPOL-EN16931-R003" in fatal_ids(failures)
    failure = next(f for f in failures if f.rule_id == "PEPPOL-EN16931-R003")
    assert "bestillingsnummer" in failure.message_nb


def test_a_wrong_mod11_digit_in_the_endpoint_is_rejected(validate):
    def break_check_digit(tree: etree._Element) -> None:
        tree.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)[0].text = "987654324"

    failures = validate(edited(invoice(), break_check_digit))
    assert "PEPPOL-COMMON-R041" in fatal_ids(failures)
    failure = next(f for f in failures if f.rule_id == "PEPPOL-COMMON-R041")
    assert failure.location.endswith("cac:AccountingCustomerParty[1]/cac:Party[1]/cbc:EndpointID[1]")
    assert failure.text == "Norwegian organization number MUST be stated in the correct format."
    assert failure.message_nb.startswith("Organisasjonsnummeret er ugyldig")


def test_a_payable_amount_one_krone_off_is_rejected(validate):
    def add_a_krone(tree: etree._Element) -> None:
        payable = tree.xpath("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS)[0]
        payable.text = str(Decimal(payable.text) + 1)

    failures = validate(edited(invoice(), add_a_krone))
    assert fatal_ids(failures) == ["BR-CO-16"]
    assert peppol.Report(tuple(failures)).valid is False
    assert "Beløpet å betale" in failures[0].message_nb


def test_a_line_total_that_does_not_add_up_is_rejected(validate):
    def change_a_line(tree: etree._Element) -> None:
        tree.xpath("cac:InvoiceLine/cbc:LineExtensionAmount", namespaces=NS)[0].text = "1.00"

    ids = fatal_ids(validate(edited(invoice(), change_a_line)))
    assert {"BR-CO-10", "PEPPOL-EN16931-R120"} <= set(ids)


def test_a_rule_without_a_norwegian_text_is_framed_in_norwegian():
    failure = peppol.Failure("UBL-CR-999", "warning", "A UBL invoice should not include X", "/Invoice[1]")
    assert failure.message_nb == "Regel UBL-CR-999 er brutt (tekst på engelsk): A UBL invoice should not include X"
    assert not failure.fatal


def test_report_is_valid_with_warnings_only(rules_cache):
    report = peppol.check((RULES / "Norwegian-example-1.xml").read_bytes(), cache_dir=rules_cache)
    assert report.valid
    assert [failure.rule_id for failure in report.warnings] == ["UBL-CR-679"]


@pytest.mark.parametrize("name", ["Norwegian-example-1.xml", "base-example.xml", "base-creditnote-correction.xml"])
def test_the_shipped_examples_pass(name, validate):
    assert fatal_ids(validate((RULES / name).read_bytes())) == []


def test_xml_that_is_not_well_formed_is_an_error_not_a_report(rules_cache):
    with pytest.raises(peppol.UnreadableDocument):
        peppol.validate(b"<Invoice><cbc:ID>", cache_dir=rules_cache)


def test_missing_rules_are_an_error(tmp_path):
    with pytest.raises(peppol.RulesNotFound):
        peppol.validate(ehf.build(invoice()), rules_dir=tmp_path, cache_dir=tmp_path)


def test_a_changed_rule_file_is_compiled_again(tmp_path, rules_cache):
    rules = tmp_path / "rules"
    for source in RULES.rglob("*.*"):
        if source.is_file() and source.suffix != ".xml":
            copy = rules / source.relative_to(RULES)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source.read_bytes())
    cache = tmp_path / "cache"
    xml = ehf.build(invoice())
    assert fatal_ids(peppol.validate(xml, rules_dir=rules, cache_dir=cache)) == []
    first = sorted(path.name for path in cache.iterdir())
    assert len(first) == 2
    rule_file = rules / "PEPPOL-EN16931-UBL.sch"
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + "<!-- changed -->\n", encoding="utf-8")
    assert fatal_ids(peppol.validate(xml, rules_dir=rules, cache_dir=cache)) == []
    second = sorted(path.name for path in cache.iterdir())
    assert len(second) == 3 and set(first) < set(second)
    assert not [path for path in cache.iterdir() if path.suffix == ".tmp"]


def test_the_environment_chooses_the_rules_and_the_cache(monkeypatch, tmp_path, rules_cache):
    assert RULES == Path(__file__).resolve().parents[2] / "shop" / "orders" / "peppol_rules"
    monkeypatch.setenv("PEPPOL_CACHE_DIR", str(rules_cache))
    cached = sorted(rules_cache.iterdir())
    assert fatal_ids(peppol.validate(ehf.build(invoice()))) == []
    assert sorted(rules_cache.iterdir()) == cached
    monkeypatch.setenv("PEPPOL_RULES_DIR", str(tmp_path))
    with pytest.raises(peppol.RulesNotFound):
        peppol.validate(ehf.build(invoice()))


def test_a_seller_outside_the_vat_register_can_invoice_zero_rated_goods(validate):
    seller = dataclasses.replace(SELLER, vat_registered=False)
    tree = assert_accepted(invoice(line("1", 34900, 2, 0, "Bok"), seller=seller, shipping_ore=0), validate)
    assert tree.xpath("//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']", namespaces=NS) == []


# --- what build refuses --------------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [
    {"due_date": None},
    {"lines": ()},
    {"kind": "receipt"},
    {"buyer": dataclasses.replace(BUYER, org_number="987654324")},
    {"seller": dataclasses.replace(SELLER, name=" \x00 ")},
    {"order_reference": ""},
    {"bank_account": "12345678900"},
    {"lines": (line("1", 100, 0),)},
    {"lines": (line("1"), line("1"))},
    {"seller": dataclasses.replace(SELLER, vat_registered=False)},
], ids=["invoice without due date", "no lines", "unknown kind", "wrong org number", "empty seller name",
        "no order reference", "wrong bank account", "zero quantity", "duplicate line ids", "MVA without VAT number"])
def test_build_refuses_a_document_that_cannot_be_valid(overrides):
    with pytest.raises(ehf.InvalidDocument):
        ehf.build(invoice(**overrides))


def test_the_rules_shipped_with_the_shop_are_the_teams_copy():
    shared = Path(__file__).resolve().parents[3] / "shared" / "peppol"
    if not shared.exists():
        pytest.skip("the team's shared/peppol is not beside this checkout")
    for source in shared.rglob("*"):
        if source.is_file() and source.name != "README.md":  # ours says where the copy comes from
            assert (RULES / source.relative_to(shared)).read_bytes() == source.read_bytes(), source.name


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_the_delivery_date_and_address_are_stated_and_valid(validate, kind):
    details = {"delivery_date": date(2025, 3, 1), "delivery_address_line": "Rådhusgata 1", "delivery_postcode": "0151",
               "delivery_city": "Oslo"}
    document = invoice(**details) if kind == "invoice" else credit_note(**details)
    xml = ehf.build(document)
    assert b"<cbc:ActualDeliveryDate>2025-03-01</cbc:ActualDeliveryDate>" in xml and b"R\xc3\xa5dhusgata 1" in xml
    assert fatal_ids(validate(xml)) == []
    picked_up = ehf.build(dataclasses.replace(document, delivery_address_line="", delivery_postcode="", delivery_city=""))
    assert b"<cac:DeliveryLocation>" not in picked_up and fatal_ids(validate(picked_up)) == []
