"""Factories for product development: a concept with units involved, through the real services."""
from __future__ import annotations

import io

from factories import NOW, make_unit, next_serial
from shop.core.actor import Actor

COORDINATOR = Actor(user_id=None, role="coordinator")


def staff_actor(session, unit=None, **fields):
    """A member of staff (a real user row) of unit, as an Actor; return (actor, user)."""
    from shop.accounts.services import create_user

    unit = unit or make_unit(session)
    user = create_user(session, email=f"ansatt{next_serial()}@example.no", password="passord123", role="staff",
                       unit_id=unit.id, name=fields.pop("name", "Ola Verksted"))
    session.flush()
    return Actor.of(user), user


def coordinator_actor(session, **fields):
    """A coordinator (a real user row) as an Actor."""
    from shop.accounts.services import create_user

    user = create_user(session, email=f"koordinator{next_serial()}@example.no", password="passord123",
                       role="coordinator", name=fields.pop("name", "Kari Koordinator"))
    session.flush()
    return Actor.of(user)


def make_concept(session, *, units=(), title=None, description="", stage="idea", now=NOW):
    """A concept involving these units, at this stage (moved there by the coordinator)."""
    from catalogue import development_services as development

    concept = development.propose(session, COORDINATOR, title=title or f"Konsept {next_serial()}",
                                  description=description, now=now)
    if units:
        development.set_units(session, COORDINATOR, concept.id, [u.id for u in units], now=now)
    if stage != "idea":
        concept.stage = stage
    session.flush()
    return concept


def jpeg(size=(400, 300), colour=(120, 140, 90)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()
