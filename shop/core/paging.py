"""Paging and finding: one Page, one paginate() and one LIKE pattern for every list in the shop."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
LIKE_ESCAPE = "\\"
MAX_PAGE = 100_000


class PageOutOfRange(Exception):
    """The page number is past the last page."""


@dataclass
class Page(Generic[T]):
    """One page of a list: its items, how many there are in all, and where this page is."""

    items: list[T]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, ceil(self.total / self.per_page))

    def with_items(self, items: list) -> Page:
        """The same page with its items replaced (ids turned into cards, say)."""
        return replace(self, items=items)


def paginate(session: Session, stmt: Select, *, page: int, per_page: int, scalars: bool = True,
             count=None) -> Page:
    """Count the rows of stmt and fetch one page of them (two queries).

    count, if given, is called with a function that counts and returns the count: a caller that keeps
    counts (catalogue.fragments.kept_count) counts only when it has none.

    Raises:
        PageOutOfRange: page is below 1, or past the last page (page 1 of nothing is fine).
    """
    if page < 1:
        raise PageOutOfRange(page)

    def counted() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0

    total = count(counted) if count else counted()
    if page > 1 and (page - 1) * per_page >= total:
        raise PageOutOfRange(page)
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = session.scalars(limited) if scalars else session.execute(limited)
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def parse_page(raw: str | None) -> int | None:
    """Read a page number from a query string: None for anything but a whole number from 1 to MAX_PAGE."""
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def like_pattern(text: str) -> str:
    """A case-folded LIKE pattern that finds text anywhere, with %, _ and the escape taken literally.

    Use with ``column.like(pattern, escape=LIKE_ESCAPE)`` on a lower-cased column.
    """
    escaped = text.lower().replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%") \
        .replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"
