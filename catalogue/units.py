"""Units as the coordinator keeps them: create and edit a prison or workshop, list and find them.

The rules in one place:
- only the coordinator (or an admin) creates or edits a unit (checked here, not only by the page's guard);
- a unit's slug is made from its name once and then kept, so its public address (/enhet/<slug>) and
  links to it stay valid when it is renamed;
- two units never share a name (compared without case), so a list or a select names one of them;
- an inactive unit is kept with its history: on_sale() hides its products, and its staff keep their accounts;
- every change writes an AuditEvent with the unit (unit.created, unit.updated, unit.deactivated,
  unit.activated), its detail naming the fields that changed;
- `trusted` is not edited here (the review rules own it).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import REGIONS, Product, Unit
from catalogue.search import index_products
from catalogue.services import create_unit, slugify, unique_slug
from shop.core import audit
from shop.core.actor import Actor, NotPermitted
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate

# The longest text each field takes (the columns are TEXT where no length is given): a form bounds them too.
MAX_LENGTHS = {"name": 200, "description": 5000, "contact_name": 200, "contact_phone": 40, "contact_email": 254,
               "postal_address": 500, "visiting_address": 500, "opening_hours": 500}
MAX_TRADES, MAX_TRADE_LENGTH = 20, 60


class UnitNotFound(LookupError):
    """There is no such unit."""


class InvalidUnit(ValueError):
    """The unit's data breaks a rule; field names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class UnitInput:
    """What the coordinator types for a unit (everything but its slug and the trusted flag)."""

    name: str
    region: str
    description: str = ""
    trades: tuple[str, ...] = ()
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    postal_address: str = ""
    visiting_address: str = ""
    opening_hours: str = ""
    active: bool = True

    @classmethod
    def of(cls, unit: Unit) -> UnitInput:
        """The unit's own data, as the edit form starts from it."""
        return cls(**{f.name: getattr(unit, f.name) for f in fields(cls) if f.name != "trades"},
                   trades=tuple(unit.trades or ()))

    def values(self) -> dict:
        """The fields as the Unit columns store them (trades as a list)."""
        return {f.name: (list(self.trades) if f.name == "trades" else getattr(self, f.name)) for f in fields(self)}


# Reading

def load(session: Session, actor: Actor, unit_id: int, *, lock: bool = False) -> Unit:
    """The unit, for the coordinator.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        UnitNotFound: there is no such unit.
    """
    _require_national(actor)
    unit = session.get(Unit, unit_id, with_for_update=lock)
    if unit is None:
        raise UnitNotFound(unit_id)
    return unit


def unit_list(session: Session, actor: Actor, *, region: str | None = None, active: bool | None = None,
              text: str = "", page: int = 1, per_page: int = 50) -> Page[Unit]:
    """Every unit, by name, filtered by region, active or not, and a text in its name or contact.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        PageOutOfRange: past the last page.
    """
    _require_national(actor)
    stmt = select(Unit)
    if region:
        stmt = stmt.where(Unit.region == region)
    if active is not None:
        stmt = stmt.where(Unit.active.is_(active))
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(func.lower(Unit.name).like(pattern, escape=LIKE_ESCAPE)
                          | func.lower(Unit.contact_name).like(pattern, escape=LIKE_ESCAPE)
                          | func.lower(Unit.contact_email).like(pattern, escape=LIKE_ESCAPE))
    return paginate(session, stmt.order_by(Unit.name, Unit.id), page=page, per_page=per_page)


def choices(session: Session) -> list[tuple[int, str, bool]]:
    """(id, name, active) of every unit by name, for a select (one query)."""
    return [(row.id, row.name, row.active) for row in session.execute(
        select(Unit.id, Unit.name, Unit.active).order_by(Unit.name, Unit.id))]


def names(session: Session, unit_ids) -> dict[int, str]:
    """{unit id: name} for these units."""
    ids = {i for i in unit_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


# Changing

def create(session: Session, actor: Actor, data: UnitInput, *, now: datetime) -> Unit:
    """Add a unit; its slug is made from its name.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        InvalidUnit: a field breaks a rule (the name is taken, say).
    """
    _require_national(actor)
    data = _validated(session, data)
    values = data.values()
    unit = create_unit(session, name=values.pop("name"), region=values.pop("region"),
                       slug=unique_slug(session, Unit, _slug_base(data.name)), **values)
    audit.record(session, actor.user_id, "unit.created", "unit", unit.id, unit.name, unit_id=unit.id, now=now)
    return unit


def update(session: Session, actor: Actor, unit_id: int, data: UnitInput, *, now: datetime) -> list[str]:
    """Save the unit's fields; return the names of those that changed (nothing changed: [] and no event).

    A renamed unit's products are indexed again, since search finds products by their unit's name.

    Raises:
        NotPermitted: the actor is not the coordinator (or an admin).
        UnitNotFound: there is no such unit.
        InvalidUnit: a field breaks a rule.
    """
    unit = load(session, actor, unit_id, lock=True)
    data = _validated(session, data, unit_id=unit.id)
    changed = [name for name, value in data.values().items() if getattr(unit, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(unit, name, data.values()[name])
    session.flush()
    if "name" in changed:
        index_products(session, list(session.scalars(select(Product.id).where(Product.unit_id == unit.id))))
    content = [name for name in changed if name != "active"]
    if content:
        audit.record(session, actor.user_id, "unit.updated", "unit", unit.id, ", ".join(content), unit_id=unit.id,
                     now=now)
    if "active" in changed:
        audit.record(session, actor.user_id, "unit.activated" if unit.active else "unit.deactivated", "unit", unit.id,
                     unit.name, unit_id=unit.id, now=now)
    return changed


# The rules underneath

def _require_national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only the coordinator keeps the units")


def _slug_base(name: str) -> str:
    """The slug a new unit's name gives, short enough that a -2 still fits the column (80)."""
    base = slugify(name)
    if base == "vare" and "vare" not in name.lower():  # slugify's fallback for a name without Latin letters
        base = "enhet"
    return base[:76].rstrip("-") or "enhet"


def _validated(session: Session, data: UnitInput, *, unit_id: int | None = None) -> UnitInput:
    """The input trimmed, with its trades cleaned (blank and repeated ones dropped), or InvalidUnit."""
    text = {name: (getattr(data, name) or "").strip() for name in MAX_LENGTHS}
    if not text["name"]:
        raise InvalidUnit("name", "a name is required")
    for name, limit in MAX_LENGTHS.items():
        if len(text[name]) > limit:
            raise InvalidUnit(name, f"at most {limit} characters")
    if data.region not in REGIONS:
        raise InvalidUnit("region", f"unknown region {data.region!r}")
    trades: list[str] = []
    for trade in data.trades:
        trade = " ".join(trade.split())
        if len(trade) > MAX_TRADE_LENGTH:
            raise InvalidUnit("trades", f"a trade has at most {MAX_TRADE_LENGTH} characters")
        if trade and trade.lower() not in {t.lower() for t in trades}:
            trades.append(trade)
    if len(trades) > MAX_TRADES:
        raise InvalidUnit("trades", f"at most {MAX_TRADES} trades")
    # Compared in Python: SQLite's lower() folds only ASCII, and "Ålesund" must meet "ÅLESUND". Units are few.
    wanted = text["name"].casefold()
    if any(other_id != unit_id and name.casefold() == wanted
           for other_id, name in session.execute(select(Unit.id, Unit.name))):
        raise InvalidUnit("name", "another unit has this name")
    return UnitInput(**text, region=data.region, trades=tuple(trades), active=bool(data.active))
