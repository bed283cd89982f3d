"""What a storefront page shows, and what has changed: the tags that keep cached pages true.

A page (or a fragment of one) names what it shows with ``shows()``: each product on it, the units and
categories it names, and ``LISTINGS`` for a list whose members or order can change. Any change that
the pages depict notes the same tags on the database session (``note()``), and once the transaction
commits the page cache (``shop.pagecache``) deletes every page kept under them.

Changes to the catalogue's own rows are noted here, from the session's flush, so no service can forget
one; stock, which changes by conditional UPDATE statements the flush does not see, is noted by the
inventory services (``inventory.services``). Availability can also change with time alone (a hold
on stock expires), so a page says when it next changes by itself (``changes_at()``) and is not kept
beyond that.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import g, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from catalogue.models import Category, Collection, CollectionItem, Product, ProductImage, Unit

LISTINGS = "listings"  # every list: home, products, categories, search, units, collections
IN_STOCK_LISTS = "in-stock"  # lists filtered on stock: their members change with any stock
SITE = "site"  # everything (a new release, `flask page-cache clear`)
PENDING = "catalogue_changes"


def product(product_id: int) -> str:
    return f"product:{product_id}"


def unit(unit_id: int) -> str:
    return f"unit:{unit_id}"


def category(category_id: int) -> str:
    return f"category:{category_id}"


# What a page shows (the request being rendered)

def shows(*tags: str) -> None:
    """This page shows these (tags of products, units, categories, LISTINGS)."""
    if has_request_context():
        g.setdefault("page_tags", set()).update(tags)


def shows_products(product_ids) -> None:
    shows(*(product(i) for i in product_ids))


def changes_at(moment: datetime | None) -> None:
    """What this page shows changes by itself at this moment (an expiring hold): keep it no longer."""
    if moment is not None and has_request_context():
        until = g.get("page_changes_at")
        if until is None or moment < until:
            g.page_changes_at = moment


@dataclass
class Shown:
    """What one part of a page showed (recorded()): its tags, and when it next changes by itself."""

    tags: set[str] = field(default_factory=set)
    changes_at: datetime | None = None


@contextmanager
def recorded():
    """Record what the part of the page rendered in this block shows, apart from the rest of the page, so the
    part can be kept under its own tags; the page shows it too."""
    shown = Shown()
    if not has_request_context():
        yield shown
        return
    tags, until = g.pop("page_tags", set()), g.pop("page_changes_at", None)
    try:
        yield shown
    finally:
        shown.tags, shown.changes_at = g.pop("page_tags", set()), g.pop("page_changes_at", None)
        g.page_tags = tags | shown.tags
        if until is not None:
            g.page_changes_at = until
        changes_at(shown.changes_at)


def seconds_until(lifetime: int, moment: datetime | None) -> int:
    """A lifetime in seconds, cut short where what is shown changes by itself."""
    if moment is None:
        return lifetime
    return max(0, min(lifetime, math.ceil((moment - datetime.now(UTC)).total_seconds())))


def page_tags() -> set[str]:
    return g.get("page_tags", set())


# What has changed (the transaction being committed)

def note(session: Session, *tags: str) -> None:
    """These tags change when the session's transaction commits."""
    session.info.setdefault(PENDING, set()).update(tags)


def take_pending(session: Session) -> set[str]:
    """The tags noted since the last commit or rollback, forgotten here."""
    return session.info.pop(PENDING, set())


def _tags_of(obj) -> list[str]:
    if isinstance(obj, Product):
        tags = [product(obj.id), LISTINGS]
        state = inspect(obj)
        for name, tag in (("category_id", category), ("unit_id", unit)):
            history = state.attrs[name].history
            tags += [tag(value) for value in (*history.unchanged, *history.added, *history.deleted) if value]
        return tags
    if isinstance(obj, ProductImage):
        return [product(obj.product_id)]
    if isinstance(obj, Unit):
        return [unit(obj.id), LISTINGS]
    if isinstance(obj, Category):
        return [category(obj.id), LISTINGS]
    if isinstance(obj, Collection | CollectionItem):
        return [LISTINGS]
    return []


@event.listens_for(Session, "after_flush")
def _note_catalogue_changes(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.deleted):
        tags = _tags_of(obj)
        if tags:
            note(session, *tags)
    for obj in session.dirty:
        tags = _tags_of(obj)
        if tags and session.is_modified(obj, include_collections=False):
            note(session, *tags)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """A transaction ended without committing (a rollback): what it noted did not happen. (A commit's
    tags were taken by its after_commit listener first; a savepoint's end changes nothing.)"""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING, None)
