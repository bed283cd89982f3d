"""The legal pages: which there are, their text in each language (the coordinator's or the shipped default),
the seller's details filled in, and Markdown turned into safe HTML."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record
from shop.legal.models import LegalPage

# The pages, in the order the footer lists them: slug (also the page's address) -> title.
PAGES = {
    "salgsbetingelser": _l("Terms of sale"),
    "angrerett": _l("Right of withdrawal"),
    "personvern": _l("Privacy statement"),
    "tilgjengelighet": _l("Accessibility statement"),
    "kontakt": _l("Contact us"),
    "om-oss": _l("About us"),
}
LOCALES = ("nb", "en")
MAX_BODY = 50_000
TEXTS = Path(__file__).parent / "texts"
# What a text may say in curly braces; anything else in braces is left as written.
PLACEHOLDERS = ("seller_name", "org_number", "vat_number", "address", "email", "phone", "operator_unit",
                "parent_agency", "shipping", "free_shipping_from", "due_days", "site_url")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
# Markdown without raw HTML: a coordinator's text can never carry a script or a form into the page.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


class UnknownPage(LookupError):
    """No legal page has that slug, or the language is not one the shop speaks."""


@dataclass(frozen=True)
class PageText:
    slug: str
    locale: str
    body: str
    customised: bool
    updated_at: datetime | None = None


def _check(slug: str, locale: str, actor: Actor | None = None) -> None:
    if actor is not None and not actor.is_national:
        raise NotPermitted("only a coordinator edits the legal pages")
    if slug not in PAGES or locale not in LOCALES:
        raise UnknownPage(f"{slug}/{locale}")


@cache
def default_body(slug: str, locale: str) -> str:
    """The shipped text of a page in a language.

    Raises:
        UnknownPage: no such page or language.
    """
    _check(slug, locale)
    return (TEXTS / locale / f"{slug}.md").read_text(encoding="utf-8")


def text(session: Session, slug: str, locale: str) -> PageText:
    """The page's text in a language: the coordinator's if saved, else the shipped default.

    Raises:
        UnknownPage: no such page or language.
    """
    _check(slug, locale)
    row = session.scalar(select(LegalPage).where(LegalPage.slug == slug, LegalPage.locale == locale))
    if row is None:
        return PageText(slug, locale, default_body(slug, locale), customised=False)
    return PageText(slug, locale, row.body, customised=True, updated_at=row.updated_at)


def texts(session: Session) -> dict[tuple[str, str], PageText]:
    """Every page in every language, in one query: {(slug, locale): text}."""
    saved = {(row.slug, row.locale): row for row in session.scalars(select(LegalPage))}
    result = {}
    for slug in PAGES:
        for locale in LOCALES:
            row = saved.get((slug, locale))
            result[slug, locale] = (PageText(slug, locale, row.body, True, row.updated_at) if row else
                                    PageText(slug, locale, default_body(slug, locale), customised=False))
    return result


def render(body: str, values: dict[str, str]) -> Markup:
    """The page as HTML: the seller's details put in for their {placeholders}, Markdown without raw HTML."""
    filled = _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)
    return Markup(_MARKDOWN.render(filled))


def save(session: Session, actor: Actor, slug: str, locale: str, body: str) -> PageText:
    """Store the coordinator's text of a page in a language (the same text as the default keeps it customised).

    Raises:
        UnknownPage: no such page or language.
        NotPermitted: the actor is not a coordinator.
    """
    _check(slug, locale, actor)
    body = body.replace("\r\n", "\n").strip() + "\n"
    row = session.scalar(select(LegalPage).where(LegalPage.slug == slug, LegalPage.locale == locale))
    if row is None:
        row = LegalPage(slug=slug, locale=locale, body=body, updated_by_id=actor.user_id)
        session.add(row)
    else:
        row.body, row.updated_by_id = body, actor.user_id
    session.flush()
    record(session, actor.user_id, "legal_page.changed", "legal_page", row.id, f"{slug} ({locale})")
    return PageText(slug, locale, body, customised=True, updated_at=row.updated_at)


def reset(session: Session, actor: Actor, slug: str, locale: str) -> bool:
    """Go back to the shipped default text; False when the page already had it.

    Raises:
        UnknownPage: no such page or language.
        NotPermitted: the actor is not a coordinator.
    """
    _check(slug, locale, actor)
    row = session.scalar(select(LegalPage).where(LegalPage.slug == slug, LegalPage.locale == locale))
    if row is None:
        return False
    record(session, actor.user_id, "legal_page.reset", "legal_page", row.id, f"{slug} ({locale})")
    session.execute(delete(LegalPage).where(LegalPage.id == row.id))
    return True
