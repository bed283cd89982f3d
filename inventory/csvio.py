"""A unit's stock as a CSV file: export it for Excel, and import counts or additions from one, all rows or none.

The export is what Excel in Norway opens with a double click: semicolons, UTF-8 with a BOM, and text
cells that cannot run as formulas. Its column "På lager ved eksport" is the stamp an import compares
with the stock now, so rows that moved since the export are marked in the preview.

An import is read (parse), checked row by row against the database without writing (preview), and then
written in one go (apply): every row through inventory.services.set_many (set-based conditional UPDATEs
plus the ledger rows), and if any row no longer fits what the preview showed, apply raises and the caller
rolls the whole file back.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from catalogue.models import Product
from inventory import stocktake
from inventory.models import StockRecord
from inventory.services import set_many
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record as audit
from shop.core.time import OSLO, aware

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MODES = ("count", "add")
ADD_REASONS = ("produced", "correction")  # what staff may give as the reason for a whole file of additions
NOTE = "CSV-import"  # on every ledger row an import writes, so the history says where it came from

EXPORT_HEADER = ("SKU", "Produkt", "På lager", "Solgt, ikke pakket", "Tilgjengelig", "Varslingsgrense",
                 "Sist bekreftet", "Antall", "På lager ved eksport")
# Header names an import recognises (compared lower-cased, spaces collapsed), Norwegian and English.
SKU_NAMES = {"sku", "varenummer", "varenr", "varenr.", "artikkelnummer", "item number"}
QUANTITY_NAMES = {"antall", "talt", "telling", "talt på hylla", "endring", "legg til", "quantity", "qty", "count",
                  "counted", "change", "add", "delta"}
EXPORTED_NAMES = {"på lager ved eksport", "on hand at export"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SKU_MAX_LENGTH = 40  # the column's length: a longer one names no product
_SPACES = re.compile(r"[ \u00a0\u202f]")  # Norwegian thousands separators: space, no-break and narrow no-break
_WHOLE = re.compile(r"-?[0-9]+(?:[.,]0+)?")  # Excel may write a whole number as 5,0
_BATCH = 5000  # SKUs per IN list: well below SQLite's and PostgreSQL's limits on parameters


class CsvError(Exception):
    """Base class of this module's errors: the only kind preview and apply raise (besides NotPermitted)."""


class UnreadableFile(CsvError):
    """The file cannot be read as a stock CSV; code says why (see the view's messages), line where."""

    def __init__(self, code: str, line: int | None = None, **params):
        super().__init__(code if line is None else f"{code} at line {line}")
        self.code, self.line, self.params = code, line, params


class InvalidImport(CsvError):
    """The import was asked for wrongly: an unknown mode or reason, or apply of a preview with problems."""


class ImportConflict(CsvError):
    """Stock moved between preview and apply (or a row no longer fits): nothing of the file may stay."""

    def __init__(self, lines: list[int]):
        super().__init__(f"rows changed since the preview: lines {lines[:20]}")
        self.lines = lines


# Export

def _guard(text: str) -> str:
    """A text cell that Excel or LibreOffice will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export(session: Session, actor: Actor, *, now: datetime,
           unpacked: Callable[[list[int]], Mapping[int, int]]) -> bytes:
    """The actor's unit's stock as CSV bytes (semicolons, UTF-8 with BOM), one row per stocked product.

    unpacked gives "sold and not yet packed" per stock record (inventory does not know about orders).

    Raises:
        NotPermitted: the actor is not staff of a unit.
    """
    if actor.unit_id is None:
        raise NotPermitted("only staff of a unit keep stock")
    rows = stocktake.stock_rows(session, actor.unit_id, now=now)
    packed = unpacked([row.record_id for row in rows])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        confirmed = aware(row.confirmed_at).astimezone(OSLO).strftime("%Y-%m-%d %H:%M") if row.confirmed_at else ""
        writer.writerow((_guard(row.sku), _guard(row.title), row.on_hand, packed.get(row.record_id, 0), row.available,
                         row.low_stock_threshold, confirmed, "", row.on_hand))
    return out.getvalue().encode("utf-8-sig")


# Parse

@dataclass(frozen=True)
class ParsedRow:
    """One data row of the file, as text: the SKU, the number, and the on-hand stamp of the export (if any)."""

    line: int
    sku: str
    quantity: str
    exported: str = ""


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[ParsedRow, ...]
    skipped: int = 0  # rows without a number: left as they are
    encoding: str = "utf-8"
    delimiter: str = ";"


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"  # what Excel on Norwegian Windows saves as "CSV (semikolondelt)"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise UnreadableFile("encoding") from error


def _delimiter(text: str) -> str:
    """The delimiter: semicolon or comma, as Excel's "sep=" line says, or else as the header line holds more of."""
    first = next((line for line in text.splitlines() if line.strip()), "").strip()
    if first.lower() in ("sep=;", "sep=,"):
        return first[-1]
    # Titles with commas or semicolons are quoted; a header line rarely holds the other one by accident.
    return "," if first.count(",") > first.count(";") else ";"


def _name(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').lower().split())


def _find(header: list[str], names: set[str]) -> int | None:
    return next((i for i, cell in enumerate(header) if _name(cell) in names), None)


def _cell(record: list[str], index: int | None) -> str:
    return record[index].strip() if index is not None and index < len(record) else ""


def parse(data: bytes) -> ParsedFile:
    """Read a stock CSV: find the SKU and quantity columns by name, and keep the rows that have a number.

    Raises:
        UnreadableFile: too big, too many rows, not text (a spreadsheet, NUL bytes, unknown encoding),
            broken CSV, or no SKU or quantity column.
    """
    if len(data) > MAX_BYTES:
        raise UnreadableFile("too_big", megabytes=MAX_BYTES // (1024 * 1024))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx (a zip) and the old .xls
        raise UnreadableFile("spreadsheet")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        raise UnreadableFile("utf16")
    if b"\x00" in data:
        raise UnreadableFile("nul")
    text, encoding = _decode(data)
    if not text.strip():
        raise UnreadableFile("empty")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[ParsedRow] = []
    skipped = data_rows = 0
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1  # a quoted cell may span lines: report where the row starts
            if not any(cell.strip() for cell in record):
                continue
            if header is None and _name(record[0]) == "sep=" and not any(c.strip() for c in record[1:]):
                continue
            if header is None:
                header = record
                sku_at, quantity_at = _find(header, SKU_NAMES), _find(header, QUANTITY_NAMES)
                exported_at = _find(header, EXPORTED_NAMES)
                if sku_at is None:
                    raise UnreadableFile("no_sku_column", start)
                if quantity_at is None:
                    raise UnreadableFile("no_quantity_column", start)
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise UnreadableFile("too_many_rows", start, rows=MAX_ROWS)
            quantity = _cell(record, quantity_at)
            if not quantity:
                skipped += 1
                continue
            rows.append(ParsedRow(start, _unguard(_cell(record, sku_at)), quantity, _cell(record, exported_at)))
    except csv.Error as error:
        raise UnreadableFile("broken", reader.line_num or line) from error
    if header is None:
        raise UnreadableFile("empty")
    return ParsedFile(tuple(rows), skipped, encoding, delimiter)


def _unguard(sku: str) -> str:
    """A SKU as our export guarded it ('=ABC) reads back as the SKU."""
    return sku[1:] if sku.startswith("'") and sku[1:].startswith(FORMULA_STARTS) else sku


def whole_number(text: str) -> int | None:
    """A whole number as people and Excel write it ("12", "+3", "−2", "1 000", "5,0"), or None."""
    text = _SPACES.sub("", text).replace("\u2212", "-")
    text = text.removeprefix("+")
    if not _WHOLE.fullmatch(text):
        return None
    digits = re.split(r"[.,]", text)[0]
    if len(digits.lstrip("-")) > 12:  # far beyond MAX_CHANGE; also keeps int() from huge strings
        return stocktake.MAX_CHANGE * 10
    return int(digits)


# Preview

PROBLEM_CODES = ("missing_sku", "unknown_sku", "other_unit", "not_stocked", "not_a_number", "too_large", "negative",
                 "below_packed", "below_held", "reason_sign", "duplicate")


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row; code is one of PROBLEM_CODES."""

    code: str
    first_line: int | None = None  # for a duplicate: the line the SKU first appeared on


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file against the stock now: the number now, the number after, and what is wrong."""

    line: int
    sku: str
    title: str | None = None
    record_id: int | None = None
    value: int | None = None  # the number in the file: a shelf count, or an amount to add
    current: int | None = None  # on hand now
    not_packed: int = 0
    new: int | None = None  # on hand after the import
    exported: int | None = None  # on hand at export, when the file says
    problems: tuple[Problem, ...] = ()

    @property
    def change(self) -> int | None:
        return None if self.new is None or self.current is None else self.new - self.current

    @property
    def moved(self) -> bool:
        """The stock moved since the file was exported (the export's stamp differs from on hand now)."""
        return self.exported is not None and self.current is not None and self.exported != self.current


@dataclass
class Preview:
    mode: str
    reason: str | None
    rows: list[PreviewRow] = field(default_factory=list)
    skipped: int = 0

    @property
    def problem_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.problems]

    @property
    def moved_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.moved]

    @property
    def writes(self) -> list[PreviewRow]:
        """The rows apply writes: every sound count (a count that matches confirms the row), and additions that add."""
        return [row for row in self.rows if not row.problems and (self.mode == "count" or row.value)]

    @property
    def ok(self) -> bool:
        """Nothing is wrong and something would be written: the preview may be applied."""
        return not self.problem_rows and bool(self.writes)


@dataclass(frozen=True)
class _Stocked:
    product_id: int
    sku: str
    title: str
    owner_unit_id: int
    status: str
    record_id: int | None
    on_hand: int
    reserved: int


def _lookup(session: Session, unit_id: int, skus: Iterable[str]) -> dict[str, _Stocked]:
    """The products with these SKUs, each with the unit's active stock record of it (if any)."""
    found: dict[str, _Stocked] = {}
    wanted = sorted({sku for sku in skus if sku and len(sku) <= SKU_MAX_LENGTH})
    for start in range(0, len(wanted), _BATCH):
        stmt = (
            select(Product.id, Product.sku, Product.title, Product.unit_id, Product.status, StockRecord.id,
                   StockRecord.on_hand, StockRecord.reserved)
            .outerjoin(StockRecord, and_(StockRecord.product_id == Product.id, StockRecord.unit_id == unit_id,
                                         StockRecord.active.is_(True)))
            .where(Product.sku.in_(wanted[start:start + _BATCH]))
        )
        for row in session.execute(stmt):
            found[row[1]] = _Stocked(*row[:6], row[6] or 0, row[7] or 0)
    return found


def _value_problem(text: str) -> tuple[int | None, Problem | None]:
    value = whole_number(text)
    if value is None:
        return None, Problem("not_a_number")
    if abs(value) > stocktake.MAX_CHANGE:
        return None, Problem("too_large")
    return value, None


def _stock_problem(mode: str, reason: str | None, value: int, stocked: _Stocked, not_packed: int) -> Problem | None:
    if mode == "count":
        if value < 0:
            return Problem("negative")
        if value < not_packed:
            return Problem("below_packed")
        new = value - not_packed
    else:
        if reason == "produced" and value < 0:
            return Problem("reason_sign")
        new = stocked.on_hand + value
        if new < 0:
            return Problem("negative")
    # Compared with every hold, expired ones too: the conditional UPDATE that writes the row does the same.
    return Problem("below_held") if new < stocked.reserved else None


def preview(session: Session, actor: Actor, parsed: ParsedFile, mode: str, *, now: datetime,
            reason: str | None = None, unpacked: Callable[[list[int]], Mapping[int, int]] = lambda ids: {}) -> Preview:
    """Check every row of the file against the unit's stock now, writing nothing: now, new, change, problems.

    In "count" mode the number is what stands on the shelf, so the new on hand is it minus what is sold
    and not yet packed (from unpacked); in "add" mode it is added, with the reason given for the file.

    Raises:
        NotPermitted: the actor is not staff of a unit.
        InvalidImport: an unknown mode, or "add" without one of ADD_REASONS.
    """
    if actor.unit_id is None:
        raise NotPermitted("only staff of a unit keep stock")
    if mode not in MODES or (mode == "add" and reason not in ADD_REASONS):
        raise InvalidImport(f"mode {mode!r} with reason {reason!r}")
    reason = reason if mode == "add" else None
    stocked = _lookup(session, actor.unit_id, (row.sku for row in parsed.rows))
    record_ids = sorted({s.record_id for s in stocked.values() if s.record_id is not None})
    packed = unpacked(record_ids) if mode == "count" and record_ids else {}
    seen: dict[str, int] = {}
    result = Preview(mode=mode, reason=reason, skipped=parsed.skipped)
    for row in parsed.rows:
        result.rows.append(_preview_row(row, stocked.get(row.sku), seen, mode, reason, packed, actor.unit_id))
    return result


def _preview_row(row: ParsedRow, stocked: _Stocked | None, seen: dict[str, int], mode: str, reason: str | None,
                 packed: Mapping[int, int], unit_id: int) -> PreviewRow:
    value, problem = _value_problem(row.quantity)
    problems = [problem] if problem else []
    if not row.sku:
        return PreviewRow(row.line, row.sku, value=value, problems=(Problem("missing_sku"), *problems))
    if row.sku in seen:
        problems.insert(0, Problem("duplicate", seen[row.sku]))
    else:
        seen[row.sku] = row.line
    # A draft of another unit is as unknown here as a SKU that does not exist.
    visible = stocked is not None and (stocked.owner_unit_id == unit_id or stocked.status == "published")
    if not visible:
        return PreviewRow(row.line, row.sku, value=value, problems=(Problem("unknown_sku"), *problems))
    if stocked.record_id is None or stocked.status == "archived":
        code = "not_stocked" if stocked.owner_unit_id == unit_id else "other_unit"
        return PreviewRow(row.line, row.sku, stocked.title, value=value, problems=(Problem(code), *problems))
    not_packed = packed.get(stocked.record_id, 0)
    exported = whole_number(row.exported) if row.exported else None
    new = None
    if value is not None:
        if problem := _stock_problem(mode, reason, value, stocked, not_packed):
            problems.append(problem)
        new = value - not_packed if mode == "count" else stocked.on_hand + value
    return PreviewRow(row.line, row.sku, stocked.title, stocked.record_id, value, stocked.on_hand, not_packed,
                      new, exported, tuple(problems))


# Apply

def apply(session: Session, actor: Actor, plan: Preview, *, now: datetime) -> int:
    """Write every row of a clean preview, all or none; return how many rows were written.

    Every row is a compare-and-set against the on hand the preview showed: a count sets the new number,
    an addition sets the number now plus the amount, which is the same conditional write. They go
    through inventory.services.set_many, a few set-based statements for the whole file (one conditional
    UPDATE per batch and one multi-row ledger INSERT), and if any row moved since the preview (a sale,
    another import, a second click on confirm) or no longer fits what is held, apply raises and the caller
    rolls the whole file back: the other rows are only written in the same, uncommitted transaction.

    Raises:
        InvalidImport: the preview has problems or writes nothing.
        ImportConflict: a row moved since the preview, or no longer fits (below what is held).
        NotPermitted: a row is another unit's, or no longer stocked.
    """
    if not plan.ok:
        raise InvalidImport("only a preview without problems can be applied")
    rows = plan.writes
    _require_own(session, actor, [row.record_id for row in rows])
    reason = "counted" if plan.mode == "count" else plan.reason
    failed = set(set_many(session, [(row.record_id, row.current, row.new) for row in rows], reason=reason, now=now,
                          actor_user_id=actor.user_id, note=NOTE))
    if failed:
        raise ImportConflict(sorted(row.line for row in rows if row.record_id in failed))
    audit(session, actor.user_id, "stock.import", "unit", actor.unit_id, f"{len(rows)} rows ({plan.mode})",
          unit_id=actor.unit_id, now=now)
    return len(rows)


def _require_own(session: Session, actor: Actor, record_ids: list[int]) -> None:
    """Raise NotPermitted unless every record is an active one of the actor's unit."""
    found = dict(session.execute(select(StockRecord.id, StockRecord.unit_id)
                                 .where(StockRecord.id.in_(record_ids), StockRecord.active.is_(True))).all())
    for record_id in record_ids:
        if record_id not in found:
            raise NotPermitted(f"stock record {record_id}")
        actor.require_unit(found[record_id], f"stock record {record_id}")
