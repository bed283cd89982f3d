"""Stripe webhooks: the signed payment_intent events are the source of truth for card payments.

A signature proves who sent an event, not that its fields are what we expect: parse() checks every
field we read (types, lengths, characters) before anything reaches the database, and a handled event
that does not pass is refused (400) and changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.orders import services as orders
from shop.payments.models import ProcessedEvent

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed")
# Stripe's ids are a prefix, an underscore and letters and digits (evt_…, pi_…). Anything printable in
# ASCII is let through (no spaces, no control characters), as long as it fits the columns.
_ID = re.compile(r"[\x21-\x7e]{1,100}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
MAX_AMOUNT_ORE = 2**31 - 1


class MalformedEvent(Exception):
    """A signed event of a type we handle whose fields are missing or of the wrong type or length."""


@dataclass(frozen=True)
class IntentEvent:
    """The fields of a payment_intent event that the shop acts on, checked."""

    id: str
    type: str
    intent_id: str
    amount_ore: int
    currency: str
    order_id: int | None  # the order the PaymentIntent was made for (its metadata), if it says


def parse(event: dict) -> IntentEvent | None:
    """Check a verified event; return None for a type the shop does not handle.

    Raises:
        MalformedEvent: the event's id or type is not a string, or a handled event's PaymentIntent
            fields (id, amount, currency, metadata) are missing, mistyped or out of range.
    """
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or len(event_type) > 100:
        raise MalformedEvent("id and type must be strings")
    if event_type not in HANDLED:
        return None
    if not _ID.fullmatch(event_id):
        raise MalformedEvent("bad event id")
    data = event.get("data")
    intent = data.get("object") if isinstance(data, dict) else None
    if not isinstance(intent, dict):
        raise MalformedEvent("no PaymentIntent")
    intent_id, amount, currency = intent.get("id"), intent.get("amount"), intent.get("currency")
    if not isinstance(intent_id, str) or not _ID.fullmatch(intent_id):
        raise MalformedEvent("bad PaymentIntent id")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT_ORE:
        raise MalformedEvent("bad amount")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise MalformedEvent("bad currency")
    metadata = intent.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise MalformedEvent("bad metadata")
    order_id = metadata.get("order_id")
    if order_id is not None and not (isinstance(order_id, str) and order_id.isascii() and order_id.isdigit()
                                     and 0 < len(order_id) <= 9):
        raise MalformedEvent("bad order id in metadata")
    return IntentEvent(id=event_id, type=event_type, intent_id=intent_id, amount_ore=amount,
                       currency=currency.lower(), order_id=int(order_id) if order_id else None)


def handle_event(session: Session, event: IntentEvent, *, now: datetime) -> bool:
    """Apply an event once and commit; return False when it was already handled.

    The unique event id is written in the same transaction as its effects: a replay, or a second
    delivery racing this one, fails on it and changes nothing.
    """
    try:
        session.add(ProcessedEvent(event_id=event.id, event_type=event.type))
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    if event.type == "payment_intent.succeeded":
        _succeeded(session, event, now)
    else:
        orders.record_payment_failed(session, intent_id=event.intent_id, now=now)
    session.commit()
    return True


def _succeeded(session: Session, event: IntentEvent, now: datetime) -> None:
    order = orders.record_payment_succeeded(
        session, intent_id=event.intent_id, amount_ore=event.amount_ore, currency=event.currency, now=now
    )
    if order is None and event.order_id is not None:
        # Not the order's current payment: an earlier attempt it replaced after a decline, paid
        # all the same. The money must not go unnoticed.
        orders.flag_stray_payment(session, event.order_id, intent_id=event.intent_id, amount_ore=event.amount_ore)
