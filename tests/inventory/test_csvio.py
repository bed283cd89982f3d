"""Stock CSV export and import (inventory.csvio): the file Excel opens, files Excel and people write back,
the preview's checks, and apply writing every row of a file or none."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from factories import NOW, make_product, make_unit
from inventory import csvio
from inventory.models import StockMovement, StockRecord
from inventory.services import adjust, ledger_mismatches
from inventory.stocktake import reservation_mismatches
from shop.core.actor import Actor, NotPermitted
from shop.orders import services as orders


@pytest.fixture
def shop(session):
    """Bastøy stocks three products (one with 2 held for a card order being paid), lists one it does not
    stock, and Halden has a published product and a draft; return the names → objects."""
    unit = make_unit(session, name="Bastøy fengsel")
    other = make_unit(session, name="Halden fengsel")
    birch = make_product(session, unit=unit, title="Fuglekasse i bjørk", stock=5)
    oak = make_product(session, unit=unit, title="=HYPERLINK(\"http://x\")", stock=5)
    axe = make_product(session, unit=unit, title="Øks med skaft", stock=5)
    unstocked = make_product(session, unit=unit, title="Benk", stock=None)
    halden = make_product(session, unit=other, title="Forkle i lin", stock=5)
    draft = make_product(session, unit=other, title="Hemmelig utkast", stock=None, status="draft")
    orders.place_order(session, {axe.id: 2}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="card"),
        now=NOW, payment_window=timedelta(days=3650), shipping=orders.ShippingRule())
    session.commit()
    records = {p.sku: session.scalar(select(StockRecord.id).where(StockRecord.product_id == p.id, StockRecord.unit_id == unit.id))
               for p in (birch, oak, axe)}
    return {"unit": unit, "actor": Actor(user_id=None, role="staff", unit_id=unit.id), "birch": birch, "oak": oak,
            "axe": axe, "unstocked": unstocked, "halden": halden, "draft": draft, "records": records}


def csv_bytes(rows, *, delimiter=";", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def preview(session, shop, rows, mode="count", reason=None, unpacked=None, **kwargs):
    parsed = csvio.parse(csv_bytes([("SKU", "Antall"), *rows], **kwargs))
    return csvio.preview(session, shop["actor"], parsed, mode, now=NOW, reason=reason,
                         unpacked=(lambda ids: unpacked or {}))


def state(session) -> tuple:
    """Every record's (on_hand, reserved) and the number of ledger rows."""
    session.expire_all()
    records = tuple(session.execute(select(StockRecord.id, StockRecord.on_hand, StockRecord.reserved)
                                    .order_by(StockRecord.id)).all())
    return records, session.scalar(select(func.count()).select_from(StockMovement))


# Export

def test_export_is_semicolon_utf8_with_bom_and_every_stocked_row(session, shop):
    data = csvio.export(session, shop["actor"], now=NOW, unpacked=lambda ids: {shop["records"][shop["birch"].sku]: 1})

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(csvio.EXPORT_HEADER)
    by_sku = {row[0]: row for row in rows[1:]}
    assert set(by_sku) == set(shop["records"])  # not the unstocked product, nor Halden's
    birch = by_sku[shop["birch"].sku]
    assert birch[1:7] == ["Fuglekasse i bjørk", "5", "1", "5", "3", "2026-11-20 13:00"]  # Oslo time (UTC+1)
    assert birch[7:] == ["", "5"]  # Antall to fill in, and the on-hand stamp of the export
    assert by_sku[shop["axe"].sku][4] == "3"  # available: 2 are held for an order being paid


@pytest.mark.parametrize("title", ["=1+1", "+47 99", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_export_guards_text_cells_against_formulas(session, shop, title):
    shop["birch"].title = title
    session.commit()

    data = csvio.export(session, shop["actor"], now=NOW, unpacked=lambda ids: {})

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row[1] for row in rows if row[0] == shop["birch"].sku] == ["'" + title]


def test_export_is_for_staff_of_a_unit(session, shop):
    with pytest.raises(NotPermitted):
        csvio.export(session, Actor(user_id=None, role="coordinator"), now=NOW, unpacked=lambda ids: {})


# Parse

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_parse_reads_excel_files_in_any_of_its_encodings_and_delimiters(encoding, delimiter):
    data = csv_bytes([("Produkt", "SKU", "Antall"), ("Skjærefjøl, eik", "ABC-1", "3"), ("Øks", "ABC-2", "")],
                     delimiter=delimiter, encoding=encoding)

    parsed = csvio.parse(data)

    assert parsed.rows == (csvio.ParsedRow(2, "ABC-1", "3"),)
    assert parsed.skipped == 1 and parsed.delimiter == delimiter
    assert parsed.encoding == encoding


def test_parse_finds_columns_by_name_ignores_others_and_reads_the_export_stamp():
    data = "sep=;\r\nMerknad;varenummer;På lager ved eksport;QUANTITY\r\n\"to\nlinjer\";X-9;4;−2\r\n\r\n;X-8;;7\r\n"

    parsed = csvio.parse(data.encode())

    assert parsed.rows == (csvio.ParsedRow(3, "X-9", "−2", "4"), csvio.ParsedRow(6, "X-8", "7", ""))


def test_parse_undoes_the_formula_guard_of_the_export_on_a_sku():
    assert csvio.parse(b"SKU;Antall\n'=X;1\n").rows[0].sku == "=X"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"), (b"\r\n  \r\n", "empty"), (b"PK\x03\x04rest", "spreadsheet"), (b"\xd0\xcf\x11\xe0", "spreadsheet"),
    (b"SKU;Antall\nA\x00;1\n", "nul"), ("SKU;Antall".encode("utf-16"), "utf16"), (b"SKU;Antall\nA;\x81\x8d\n", "encoding"),
    (b"Produkt;Antall\nA;1\n", "no_sku_column"), (b"SKU;Produkt\nA;1\n", "no_quantity_column"),
    (b"SKU;Antall\n\"A;1\n" + b"x" * 140_000, "broken"),
])
def test_parse_refuses_what_is_not_a_stock_csv_with_a_reason(data, code):
    with pytest.raises(csvio.UnreadableFile) as refused:
        csvio.parse(data)
    assert refused.value.code == code


def test_parse_caps_the_file_at_five_megabytes_and_20000_rows():
    with pytest.raises(csvio.UnreadableFile) as too_big:
        csvio.parse(b"SKU;Antall\n" + b"A;1\n" * (5 * 1024 * 1024 // 4))
    assert too_big.value.code == "too_big"
    assert len(csvio.parse(b"SKU;Antall\n" + b"A;1\n" * 20_000).rows) == 20_000
    with pytest.raises(csvio.UnreadableFile) as too_many:
        csvio.parse(b"SKU;Antall\n" + b"A;1\n" * 20_001)
    assert (too_many.value.code, too_many.value.line) == ("too_many_rows", 20_002)


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("+3", 3), ("-2", -2), ("\u22122", -2), ("1 000", 1000), ("1\u00a0000", 1000), ("5,0", 5), ("5.00", 5),
    ("1,5", None), ("abc", None), ("1e3", None), ("", None), ("١٢", None), ("--1", None),
])
def test_whole_number_reads_numbers_as_people_and_excel_write_them(text, value):
    assert csvio.whole_number(text) == value


# Preview

def test_preview_shows_now_new_and_change_and_writes_nothing(session, shop):
    birch, oak = shop["birch"].sku, shop["oak"].sku
    before = state(session)

    result = preview(session, shop, [(birch, "9"), (oak, "5")])

    assert [(r.line, r.title, r.current, r.new, r.change, r.problems) for r in result.rows] == [
        (2, "Fuglekasse i bjørk", 5, 9, 4, ()), (3, shop["oak"].title, 5, 5, 0, ())]
    assert result.ok and len(result.writes) == 2
    assert state(session) == before


def test_preview_of_a_count_subtracts_what_is_sold_and_not_yet_packed(session, shop):
    birch = shop["birch"].sku
    record_id = shop["records"][birch]

    row, = preview(session, shop, [(birch, "5")], unpacked={record_id: 2}).rows
    low, = preview(session, shop, [(birch, "1")], unpacked={record_id: 2}).rows

    assert (row.current, row.not_packed, row.new, row.change) == (5, 2, 3, -2)
    assert [p.code for p in low.problems] == ["below_packed"]


@pytest.mark.parametrize(("mode", "reason", "quantity", "code"), [
    ("count", None, "-1", "negative"), ("count", None, "1", "below_held"),  # 2 of the axes are held
    ("add", "correction", "-6", "negative"), ("add", "correction", "-4", "below_held"),
    ("add", "produced", "-1", "reason_sign"), ("count", None, "abc", "not_a_number"),
    ("count", None, "4,5", "not_a_number"), ("add", "produced", "99999999999999999", "too_large"),
    ("add", "produced", "1000001", "too_large"),
])
def test_preview_finds_numbers_that_do_not_fit(session, shop, mode, reason, quantity, code):
    row, = preview(session, shop, [(shop["axe"].sku, quantity)], mode, reason).rows

    assert [p.code for p in row.problems] == [code]


def test_preview_refuses_skus_the_unit_does_not_stock_without_telling_about_drafts(session, shop):
    rows = [("", "1"), ("FINNES-IKKE", "1"), (shop["halden"].sku, "1"), (shop["unstocked"].sku, "1"),
            (shop["draft"].sku, "1"), ("x" * 300, "1")]

    result = preview(session, shop, rows)

    assert [[p.code for p in r.problems] for r in result.rows] == [
        ["missing_sku"], ["unknown_sku"], ["other_unit"], ["not_stocked"], ["unknown_sku"], ["unknown_sku"]]
    assert result.rows[4].title is None  # another unit's draft shows nothing of itself
    assert not result.ok


def test_preview_marks_duplicate_rows_with_the_first_line(session, shop):
    birch = shop["birch"].sku

    result = preview(session, shop, [(birch, "1"), (shop["oak"].sku, "2"), (birch, "3")])

    assert result.rows[2].problems == (csvio.Problem("duplicate", 2),)
    assert not result.ok


def test_a_mixed_file_shows_every_problem_and_cannot_be_applied(session, shop):
    result = preview(session, shop, [(shop["birch"].sku, "9"), ("UKJENT", "2"), (shop["oak"].sku, "x")])

    assert [bool(r.problems) for r in result.rows] == [False, True, True]
    with pytest.raises(csvio.InvalidImport):
        csvio.apply(session, shop["actor"], result, now=NOW)


def test_preview_marks_rows_that_moved_since_the_export(session, shop):
    exported = csvio.export(session, shop["actor"], now=NOW, unpacked=lambda ids: {})
    adjust(session, shop["records"][shop["birch"].sku], -1, reason="damaged", now=NOW)
    session.commit()
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig")), delimiter=";"))
    for row in rows[1:]:
        row[7] = "5"
    parsed = csvio.parse(csv_bytes(rows, encoding="utf-8-sig"))

    result = csvio.preview(session, shop["actor"], parsed, "count", now=NOW)

    assert {r.sku: r.moved for r in result.rows} == {shop["birch"].sku: True, shop["oak"].sku: False,
                                                     shop["axe"].sku: False}
    assert [r.exported for r in result.moved_rows] == [5]


def test_preview_needs_a_known_mode_and_for_add_a_reason(session, shop):
    parsed = csvio.parse(b"SKU;Antall\nA;1\n")
    for mode, reason in (("set", None), ("add", None), ("add", "damaged")):
        with pytest.raises(csvio.InvalidImport):
            csvio.preview(session, shop["actor"], parsed, mode, now=NOW, reason=reason)


# Apply

def test_apply_writes_counts_and_additions_through_the_ledger(session, shop):
    birch, oak = shop["birch"].sku, shop["oak"].sku

    written = csvio.apply(session, shop["actor"], preview(session, shop, [(birch, "9"), (oak, "5")]), now=NOW)
    added = csvio.apply(session, shop["actor"],
                        preview(session, shop, [(birch, "+2"), (oak, "0")], "add", "produced"), now=NOW)
    session.commit()

    assert (written, added) == (2, 1)  # a matching count confirms its row; an addition of 0 writes nothing
    session.expire_all()
    assert session.get(StockRecord, shop["records"][birch]).on_hand == 11
    reasons = session.scalars(select(StockMovement.reason).where(StockMovement.note == csvio.NOTE)
                              .order_by(StockMovement.id)).all()
    assert reasons == ["counted", "produced"]
    assert ledger_mismatches(session) == [] and reservation_mismatches(session) == []


@pytest.mark.parametrize("mode", ["count", "add"])
def test_apply_writes_nothing_when_one_row_moved_after_the_preview(session, shop, mode):
    rows = [(sku, "6") for sku in shop["records"]]
    result = preview(session, shop, rows, mode, "produced" if mode == "add" else None)
    last = max(shop["records"].values())  # written last, so the rows before it are already flushed
    adjust(session, last, 1, reason="returned", now=NOW)
    session.commit()
    before = state(session)

    with pytest.raises(csvio.ImportConflict) as conflict:
        csvio.apply(session, shop["actor"], result, now=NOW)
    session.rollback()

    assert conflict.value.lines == [next(r.line for r in result.rows if r.record_id == last)]
    assert state(session) == before


def test_apply_refuses_another_units_records(session, shop):
    result = preview(session, shop, [(shop["birch"].sku, "9")])
    intruder = Actor(user_id=None, role="staff", unit_id=shop["halden"].unit_id)

    with pytest.raises(NotPermitted):
        csvio.apply(session, intruder, result, now=NOW)


# Any file at all

SKU_HEADERS = ("SKU", "sku", " Varenummer ", "Varenr.")
QUANTITY_HEADERS = ("Antall", "quantity", "Talt", "ANTALL")
OTHER_HEADERS = ("Produkt", "På lager ved eksport", "", "x;y", '"', "sep=;", "Merknad")
GARBAGE = st.binary(max_size=30) | st.sampled_from([b"\x00", b"\xff\xfe", b"PK\x03\x04", b'"', b"\r", b"\x81"])


def now_and_then(n: int) -> st.SearchStrategy[bool]:
    """True about once in n draws (st.integers would favour its bounds)."""
    return st.sampled_from([True] + [False] * (n - 1))


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each drawn about as often as its weight says (st.one_of would weigh them equally)."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


@st.composite
def csv_files(draw, own: list[str], others: list[str]) -> bytes:
    """A CSV file as people, Excel and attackers make them: any header, delimiter and encoding, odd cells."""
    columns = [draw(st.sampled_from(SKU_HEADERS)), draw(st.sampled_from(QUANTITY_HEADERS))]
    columns += draw(st.lists(st.sampled_from(OTHER_HEADERS) | st.text(max_size=8), max_size=3))
    if draw(now_and_then(10)):
        columns.pop(draw(st.integers(0, 1)))  # now and then a file without one of the two
    columns = draw(st.permutations(columns))
    cells = {
        # Mostly the unit's own SKUs and small numbers, so that many files are clean and get applied.
        "sku": weighted((6, st.sampled_from(own)), (1, st.sampled_from(others)),
                        (1, st.sampled_from(["", "UKJENT", "'=X", "x" * 50])), (1, st.text(max_size=12))),
        "quantity": weighted((6, st.integers(0, 12).map(str)), (1, st.integers(-3, -1).map(str)),
                             (1, st.integers(-(2**70), 2**70).map(str)),
                             (1, st.sampled_from(["", "abc", "1,5", "\u22123", "+2", "1 000", "9" * 5000, "5,0", "NaN"]))),
        "other": st.text(max_size=10) | st.integers().map(str),
    }
    kinds = ["sku" if c in SKU_HEADERS else "quantity" if c in QUANTITY_HEADERS else "other" for c in columns]
    sku_at = kinds.index("sku") if "sku" in kinds else None
    unique = (lambda row: row[sku_at]) if sku_at is not None and not draw(now_and_then(5)) else None  # mostly no duplicates
    rows = draw(st.lists(st.tuples(*(cells[kind] for kind in kinds)).map(list), max_size=8, unique_by=unique))
    for row in rows:
        if draw(now_and_then(10)):
            del row[draw(st.integers(0, len(row))):]  # a short row
    delimiter = draw(st.sampled_from([";", ";", ",", ",", "\t"]))  # a tab is neither: one column
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    writer.writerows(rows)
    data = out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])), errors="replace")
    if draw(now_and_then(5)):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(GARBAGE) + data[at:]
    return data


@st.composite
def sound_files(draw, own: list[str]) -> bytes:
    """A file that can be applied: the unit's own SKUs once each, numbers that fit, any delimiter and encoding."""
    skus = draw(st.lists(st.sampled_from(own), min_size=1, unique=True))
    rows = [(sku, str(draw(st.integers(3, 40))), "Skjærefjøl, «eik»") for sku in skus]
    delimiter = draw(st.sampled_from([";", ","]))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([("SKU", "Antall", "Produkt"), *rows])
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])))


def test_any_file_previews_without_surprises_and_applies_all_or_nothing(session, shop):
    actor = shop["actor"]
    others = [shop["halden"].sku, shop["unstocked"].sku, shop["draft"].sku]
    axe_record = shop["records"][shop["axe"].sku]

    @settings(max_examples=100, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=sound_files(list(shop["records"])) | csv_files(list(shop["records"]), others), mode=st.sampled_from([("count", None), ("add", "produced"), ("add", "correction")]),
           interfere=st.booleans())
    def check(data, mode, interfere):
        try:
            parsed = csvio.parse(data)
            result = csvio.preview(session, actor, parsed, mode[0], now=NOW, reason=mode[1],
                                   unpacked=lambda ids: {axe_record: 1})
        except csvio.CsvError:
            session.rollback()
            return
        session.rollback()
        moved = None
        if interfere and result.ok:
            moved = max(row.record_id for row in result.writes)
            adjust(session, moved, 1, reason="returned", now=NOW)  # between preview and apply
            session.commit()
        before = state(session)
        try:
            csvio.apply(session, actor, result, now=NOW)
        except csvio.CsvError:
            session.rollback()
            assert state(session) == before, "a refused file left some of its rows written"
            assert moved is not None or not result.ok
        else:
            session.commit()
            assert result.ok and moved is None
            on_hand = {record_id: n for record_id, n, _reserved in state(session)[0]}
            assert all(on_hand[row.record_id] == row.new for row in result.writes)
        assert ledger_mismatches(session) == []
        session.rollback()

    check()
