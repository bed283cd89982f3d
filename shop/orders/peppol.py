"""Check an EHF document offline against the official Peppol BIS Billing 3.0 Schematron rules, with Saxon.

The two rule files (CEN EN 16931 and OpenPEPPOL's, which include the Norwegian NO-R-* rules) are compiled
into XSLT by SchXslt's pipeline-for-svrl.xsl. The XSLT is cached on disk, keyed by a hash of the rule files
and the compiler, so a changed rule file is compiled again; each process compiles the XSLT once more into
a Saxon executable and keeps it, and after that one validation takes milliseconds.

Configuration: `PEPPOL_RULES_DIR` (default: peppol_rules/ beside this module, a copy of the team's shared/peppol) and `PEPPOL_CACHE_DIR`
(default: a folder in the system temp dir), or the `rules_dir` and `cache_dir` arguments.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from saxonche import PySaxonApiError, PySaxonProcessor, PyXslt30Processor, PyXsltExecutable

RULE_FILES = ("CEN-EN16931-UBL.sch", "PEPPOL-EN16931-UBL.sch")
PIPELINE = Path("schxslt") / "pipeline-for-svrl.xsl"
SVRL = "http://purl.oclc.org/dsdl/svrl"
# The official rules travel with the shop (peppol_rules/README.md says where each file comes from).
DEFAULT_RULES_DIR = Path(__file__).resolve().parent / "peppol_rules"
# Location paths come back as /Q{namespace}Name[1]/...; these read better with the usual prefixes.
PREFIXES = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac:",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc:",
}


class PeppolError(Exception):
    """The validation itself failed: the rules are missing or will not compile, or Saxon broke."""


class RulesNotFound(PeppolError):
    """The Schematron files or the SchXslt compiler are not in the rules directory."""


class UnreadableDocument(PeppolError):
    """The document to validate is not well-formed XML."""


@dataclass(frozen=True)
class Failure:
    """One rule the document breaks: its id, "fatal" (rejected) or "warning", the rule's text and where."""

    rule_id: str
    flag: str
    text: str
    location: str

    @property
    def fatal(self) -> bool:
        """True when an access point would reject the document for this failure."""
        return self.flag == "fatal"

    @property
    def message_nb(self) -> str:
        """The failure explained in Norwegian bokmål, for the coordinator who has to fix the invoice."""
        explained = MESSAGES_NB.get(self.rule_id)
        if explained:
            return f"{explained} (regel {self.rule_id})"
        return f"Regel {self.rule_id} er brutt (tekst på engelsk): {self.text}"


@dataclass(frozen=True)
class Report:
    """Every failure found in a document; valid when none of them is fatal."""

    failures: tuple[Failure, ...]

    @property
    def valid(self) -> bool:
        """True when no failure is fatal: an access point would accept the document."""
        return not self.fatal

    @property
    def fatal(self) -> tuple[Failure, ...]:
        """The failures that reject the document."""
        return tuple(fatal(self.failures))

    @property
    def warnings(self) -> tuple[Failure, ...]:
        """The failures that only warn."""
        return tuple(failure for failure in self.failures if not failure.fatal)


def fatal(failures: Iterable[Failure]) -> list[Failure]:
    """Return the failures that make an access point reject the document."""
    return [failure for failure in failures if failure.fatal]


def validate(xml: bytes, *, rules_dir: Path | str | None = None, cache_dir: Path | str | None = None) -> list[Failure]:
    """Run both rule sets on the document and return every failed assertion, fatal ones and warnings.

    Raises:
        UnreadableDocument: the bytes are not well-formed XML.
        RulesNotFound: the rule files are not where rules_dir or PEPPOL_RULES_DIR says.
        PeppolError: Saxon failed to compile the rules or to run them.
    """
    text = _well_formed(xml)
    executables = _executables(_rules_dir(rules_dir), _cache_dir(cache_dir))
    failures: list[Failure] = []
    with _LOCK:
        try:
            node = _processor().parse_xml(xml_text=text)
            reports = [executable.transform_to_string(xdm_node=node) for executable in executables]
        except PySaxonApiError as error:
            raise PeppolError(f"Saxon could not run the Peppol rules: {error}") from error
    for report in reports:
        failures.extend(_failures(report))
    return failures


def check(xml: bytes, *, rules_dir: Path | str | None = None, cache_dir: Path | str | None = None) -> Report:
    """Validate the document and return a Report whose `valid` says whether an access point would take it."""
    return Report(tuple(validate(xml, rules_dir=rules_dir, cache_dir=cache_dir)))


def prepare(*, rules_dir: Path | str | None = None, cache_dir: Path | str | None = None) -> None:
    """Compile the rules now (on disk if not cached yet, and in this process), so the first validation is quick."""
    _executables(_rules_dir(rules_dir), _cache_dir(cache_dir))


# --- configuration -------------------------------------------------------------------------------------------


def _rules_dir(given: Path | str | None) -> Path:
    folder = Path(given or os.environ.get("PEPPOL_RULES_DIR") or DEFAULT_RULES_DIR)
    missing = [name for name in (*RULE_FILES, str(PIPELINE)) if not (folder / name).is_file()]
    if missing:
        raise RulesNotFound(f"{folder} lacks {', '.join(missing)}")
    return folder


def _cache_dir(given: Path | str | None) -> Path:
    configured = given or os.environ.get("PEPPOL_CACHE_DIR")
    if configured:
        return Path(configured)
    # One folder per user in the shared temp dir, so nobody else can put a stylesheet of theirs in our cache.
    user = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
    return Path(tempfile.gettempdir()) / f"verkstedbutikken-peppol{user}"


# --- compiling -----------------------------------------------------------------------------------------------

# Saxon wants one processor per process. The executables are compiled rules, immutable once built, so a
# process-wide cache is safe (they are keyed by the rule files' path, size and mtime, so a changed file is
# compiled again). The lock is there because the Saxon objects are not documented as thread-safe; a
# validation takes milliseconds, so running them one at a time costs nothing worth having.
_LOCK = threading.RLock()
_SAXON: dict[str, PySaxonProcessor] = {}
_EXECUTABLES: dict[tuple, tuple[PyXsltExecutable, ...]] = {}


def _processor() -> PySaxonProcessor:
    with _LOCK:
        if "processor" not in _SAXON:
            _SAXON["processor"] = PySaxonProcessor(license=False)
        return _SAXON["processor"]


def _executables(rules_dir: Path, cache_dir: Path) -> tuple[PyXsltExecutable, ...]:
    sources = [rules_dir / name for name in RULE_FILES]
    key = (str(cache_dir), *((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in sources))
    with _LOCK:
        if key not in _EXECUTABLES:
            compiler = _processor().new_xslt30_processor()
            try:
                compiled = [_compiled_xslt(compiler, rules_dir, source, cache_dir) for source in sources]
                _EXECUTABLES[key] = tuple(compiler.compile_stylesheet(stylesheet_file=str(path)) for path in compiled)
            except PySaxonApiError as error:
                raise PeppolError(f"Saxon could not compile the Peppol rules: {error}") from error
        return _EXECUTABLES[key]


def _compiled_xslt(compiler: PyXslt30Processor, rules_dir: Path, source: Path, cache_dir: Path) -> Path:
    """Return the cached XSLT of a rule file, compiling it with SchXslt first if the cache has none."""
    digest = hashlib.sha256(source.read_bytes())
    for part in sorted((rules_dir / PIPELINE.parent).rglob("*.xsl")):
        digest.update(part.read_bytes())  # a new SchXslt compiles differently, so it is part of the key
    target = cache_dir / f"{source.stem}-{digest.hexdigest()[:20]}.xsl"
    if target.is_file():
        return target
    pipeline = compiler.compile_stylesheet(stylesheet_file=str(rules_dir / PIPELINE))
    xslt = pipeline.transform_to_string(source_file=str(source))
    if not xslt:
        raise PeppolError(f"SchXslt produced nothing for {source}")
    _write_atomically(target, xslt)
    return target


def _write_atomically(target: Path, text: str) -> None:
    # Written beside the target and renamed over it, so another process (an xdist worker) sees either no
    # file or the whole file, never half of one.
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- reading -------------------------------------------------------------------------------------------------

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _well_formed(xml: bytes) -> str:
    """Parse the document safely (no entities, no network) and hand it on as text without any DOCTYPE."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as error:
        raise UnreadableDocument(f"not well-formed XML: {error}") from error
    return etree.tostring(root, encoding="unicode")


def _failures(svrl: str) -> list[Failure]:
    report = etree.fromstring(svrl.encode("utf-8"), _PARSER)
    found = []
    for element in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        rule_id = element.get("id", "")
        message = element.find(f"{{{SVRL}}}text")
        text = " ".join("".join(message.itertext()).split()) if message is not None else ""
        text = re.sub(rf"^\[{re.escape(rule_id)}\]\s*-\s*", "", text)
        # A rule without a flag is treated as fatal: better a false alarm than an invoice sent to be bounced.
        found.append(Failure(rule_id, element.get("flag", "fatal"), text, _short_location(element.get("location", ""))))
    return found


def _short_location(location: str) -> str:
    return re.sub(r"Q\{([^}]*)\}", lambda match: PREFIXES.get(match.group(1), match.group(0)), location)


# --- Norwegian ------------------------------------------------------------------------------------------------

# The rules an invoice from the shop could plausibly break, said so that a coordinator knows what to fix.
MESSAGES_NB: dict[str, str] = {
    # Document and references
    "BR-01": "Dokumentet mangler spesifikasjonsidentifikator (CustomizationID).",
    "BR-02": "Fakturaen mangler fakturanummer.",
    "BR-03": "Fakturaen mangler fakturadato.",
    "BR-04": "Dokumentet mangler dokumenttype (fakturatype- eller kreditnotatypekode).",
    "BR-05": "Dokumentet mangler valutakode.",
    "BR-16": "Dokumentet må ha minst én varelinje.",
    "BR-55": "Henvisningen til fakturaen som krediteres mangler fakturanummer.",
    "PEPPOL-EN16931-R001": "Forretningsprosessen (ProfileID) mangler.",
    "PEPPOL-EN16931-R002": "Dokumentet kan bare ha én merknad (Note).",
    "PEPPOL-EN16931-R003": "Kjøpers referanse eller bestillingsnummer må være med. Legg inn kjøpers referanse "
                           "(«Deres ref.» / innkjøpsordre) eller vårt ordrenummer.",
    "PEPPOL-EN16931-R004": "Spesifikasjonsidentifikatoren (CustomizationID) har feil verdi.",
    "PEPPOL-EN16931-R007": "Forretningsprosessen (ProfileID) har feil format.",
    "PEPPOL-EN16931-R008": "Dokumentet inneholder et tomt felt. Tomme felt er ikke lov i EHF.",
    "PEPPOL-EN16931-R053": "Dokumentet må ha nøyaktig én mva-sum med spesifikasjon per sats.",
    "PEPPOL-EN16931-R051": "Alle beløp må være i samme valuta som dokumentet.",
    "PEPPOL-EN16931-P0100": "Fakturatypekoden er ikke tillatt i denne forretningsprosessen.",
    "PEPPOL-EN16931-P0101": "Kreditnotatypekoden er ikke tillatt i denne forretningsprosessen.",
    "PEPPOL-EN16931-F001": "En dato har feil format; den skal skrives ÅÅÅÅ-MM-DD.",
    "BR-CL-01": "Dokumenttypekoden er ikke en gyldig kode.",
    "BR-CL-03": "Valutakoden på et beløp er ikke en gyldig ISO 4217-kode.",
    "BR-CL-04": "Dokumentets valutakode er ikke en gyldig ISO 4217-kode.",
    "BR-CL-23": "Enhetskoden for antall er ikke en gyldig kode (UN/ECE anbefaling 20).",
    # Parties, addresses and identifiers
    "BR-06": "Selgers navn mangler.",
    "BR-07": "Kjøpers navn mangler.",
    "BR-08": "Selgers postadresse mangler.",
    "BR-09": "Selgers adresse mangler landkode.",
    "BR-10": "Kjøpers postadresse mangler.",
    "BR-11": "Kjøpers adresse mangler landkode.",
    "BR-62": "Selgers elektroniske adresse (EndpointID) mangler skjema-ID.",
    "BR-63": "Kjøpers elektroniske adresse (EndpointID) mangler skjema-ID.",
    "BR-CO-09": "Mva-nummeret må begynne med en landkode, for eksempel NO.",
    "BR-CO-26": "Selger må identifiseres med organisasjonsnummer eller mva-nummer.",
    "PEPPOL-EN16931-R010": "Kjøpers elektroniske adresse (organisasjonsnummer i EndpointID) mangler.",
    "PEPPOL-EN16931-R020": "Selgers elektroniske adresse (organisasjonsnummer i EndpointID) mangler.",
    "PEPPOL-EN16931-CL008": "Skjema-ID-en for den elektroniske adressen er ikke en gyldig kode.",
    "PEPPOL-COMMON-R040": "GLN-nummeret er ugyldig (feil format eller kontrollsiffer).",
    "PEPPOL-COMMON-R041": "Organisasjonsnummeret er ugyldig: det må være ni sifre med riktig kontrollsiffer "
                          "(modulus 11). Sjekk kundens organisasjonsnummer i Enhetsregisteret.",
    "NO-R-001": "Selgers mva-nummer må skrives NO, ni sifre (gyldig organisasjonsnummer) og MVA, "
                "for eksempel NO123456785MVA.",
    "NO-R-002": "Norske selgere skal som regel oppgi «Foretaksregisteret» på fakturaen "
                "(foretaksregisterloven § 10-2).",
    # Payment
    "BR-49": "Betalingsinformasjonen mangler betalingsmåte (PaymentMeansCode).",
    "BR-50": "Kontonummeret for betaling mangler.",
    "BR-61": "Ved bankoverføring må kontonummeret være med.",
    "BR-CO-25": "Når det er et beløp å betale, må fakturaen ha forfallsdato eller betalingsbetingelser.",
    # Totals
    "BR-12": "Summen av linjebeløpene mangler.",
    "BR-13": "Totalbeløpet uten mva mangler.",
    "BR-14": "Totalbeløpet med mva mangler.",
    "BR-15": "Beløpet å betale mangler.",
    "BR-CO-10": "Summen av linjebeløpene stemmer ikke med summen av hver linjes nettobeløp.",
    "BR-CO-11": "Summen av rabatter på dokumentnivå stemmer ikke med rabattene.",
    "BR-CO-12": "Summen av gebyrer på dokumentnivå (for eksempel frakt) stemmer ikke med gebyrene.",
    "BR-CO-13": "Totalbeløpet uten mva er ikke lik linjesummen pluss gebyrer minus rabatter.",
    "BR-CO-14": "Total mva er ikke lik summen av mva per sats.",
    "BR-CO-15": "Totalbeløpet med mva er ikke lik totalbeløpet uten mva pluss mva.",
    "BR-CO-16": "Beløpet å betale er ikke lik totalbeløpet med mva minus forskudd pluss øreavrunding.",
    "BR-CO-17": "Mva-beløpet for en sats er ikke lik grunnlaget ganget med satsen, avrundet til to desimaler.",
    "BR-CO-18": "Dokumentet må ha minst én mva-spesifikasjon.",
    "BR-DEC-23": "Et linjebeløp har mer enn to desimaler.",
    "UBL-DT-01": "Et beløp har mer enn to desimaler.",
    # Lines
    "BR-21": "En varelinje mangler linjenummer.",
    "BR-22": "En varelinje mangler antall.",
    "BR-23": "En varelinje mangler enhet for antall.",
    "BR-24": "En varelinje mangler nettobeløp.",
    "BR-25": "En varelinje mangler varenavn.",
    "BR-26": "En varelinje mangler nettopris.",
    "BR-27": "Nettoprisen på en varelinje kan ikke være negativ.",
    "BR-CO-04": "En varelinje mangler mva-kategori.",
    "PEPPOL-EN16931-R120": "Linjebeløpet er ikke lik antall ganger nettopris (pluss gebyrer, minus rabatter).",
    "PEPPOL-EN16931-R121": "Prisgrunnlaget (BaseQuantity) må være større enn null.",
    "PEPPOL-EN16931-R130": "Enheten for prisgrunnlaget må være den samme som enheten for antall.",
    # Document-level charges (shipping)
    "BR-36": "Et gebyr på dokumentnivå (for eksempel frakt) mangler beløp.",
    "BR-37": "Et gebyr på dokumentnivå (for eksempel frakt) mangler mva-kategori.",
    "BR-38": "Et gebyr på dokumentnivå (for eksempel frakt) mangler begrunnelse.",
    "BR-CO-22": "Et gebyr på dokumentnivå (for eksempel frakt) mangler begrunnelse eller begrunnelseskode.",
    # VAT: standard rated (S)
    "BR-S-01": "Dokumentet har linjer med vanlig mva-sats, men ingen mva-spesifikasjon med kategori S.",
    "BR-S-02": "Linjer med mva krever at selgers mva-nummer er oppgitt.",
    "BR-S-04": "Gebyrer med mva krever at selgers mva-nummer er oppgitt.",
    "BR-S-05": "En varelinje med mva-kategori S må ha en sats større enn null.",
    "BR-S-07": "Et gebyr med mva-kategori S må ha en sats større enn null.",
    "BR-S-08": "Mva-grunnlaget for en sats stemmer ikke med summen av linjene og gebyrene med den satsen.",
    "BR-S-09": "Mva-beløpet for en sats stemmer ikke med grunnlaget ganget med satsen.",
    "BR-S-10": "En mva-spesifikasjon med kategori S kan ikke ha fritaksgrunn.",
    # VAT: zero rated (Z)
    "BR-Z-01": "Dokumentet har linjer med 0 % mva (fritatt), men ikke nøyaktig én mva-spesifikasjon med kategori Z.",
    "BR-Z-02": "Linjer med 0 % mva (fritatt) krever at selgers mva-nummer er oppgitt.",
    "BR-Z-04": "Gebyrer med 0 % mva (fritatt) krever at selgers mva-nummer er oppgitt.",
    "BR-Z-05": "En varelinje med mva-kategori Z må ha satsen 0.",
    "BR-Z-07": "Et gebyr med mva-kategori Z må ha satsen 0.",
    "BR-Z-08": "Grunnlaget for 0 % mva (fritatt) stemmer ikke med summen av linjene og gebyrene med kategori Z.",
    "BR-Z-09": "Mva-beløpet for kategori Z (fritatt) må være 0.",
    "BR-Z-10": "En mva-spesifikasjon med kategori Z kan ikke ha fritaksgrunn.",
    # VAT: exempt (E)
    "BR-E-01": "Dokumentet har linjer unntatt mva, men ikke nøyaktig én mva-spesifikasjon med kategori E.",
    "BR-E-02": "Linjer unntatt mva krever at selgers mva-nummer er oppgitt.",
    "BR-E-05": "En varelinje med mva-kategori E må ha satsen 0.",
    "BR-E-08": "Grunnlaget for kategori E (unntatt) stemmer ikke med summen av linjene og gebyrene med kategori E.",
    "BR-E-09": "Mva-beløpet for kategori E (unntatt) må være 0.",
    "BR-E-10": "En mva-spesifikasjon med kategori E (unntatt) må ha fritaksgrunn.",
    "BR-45": "En mva-spesifikasjon mangler grunnlag.",
    "BR-46": "En mva-spesifikasjon mangler mva-beløp.",
    "BR-47": "En mva-spesifikasjon mangler mva-kategori.",
    "BR-48": "En mva-spesifikasjon mangler mva-sats.",
}
