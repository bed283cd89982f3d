"""Every user-facing string is translatable, and the bokmål catalogue translates all of them."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("shop/**.py", "python"), ("catalogue/**.py", "python"), ("inventory/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def test_bokmal_catalogue_translates_every_message_in_the_code():
    with open(ROOT / "shop/translations/nb/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle, locale="nb")
    extracted = {
        message if isinstance(message, str) else message[0]
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS
        )
    }

    missing = sorted(m for m in extracted if not catalogue.get(m) or not _translated(catalogue.get(m)))
    fuzzy = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.fuzzy)

    assert missing == [], "run `make extract-messages` and translate these in the nb catalogue"
    assert fuzzy == []


def _translated(message) -> bool:
    return all(message.string) if isinstance(message.string, (list, tuple)) else bool(message.string)
