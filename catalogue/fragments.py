"""Product cards as HTML fragments, kept per product and language and invalidated with the product.

Every list in the storefront (home, categories, search, units, collections, "more from" on a product
page) is a grid of the same cards. A card is rendered once and kept (FRAGMENT_CACHE_SECONDS, in the page
cache's store) under its product's and unit's tags, so a page that is not cached itself costs one read
of its cards' fragments, and the database only for the cards nobody has shown since they last changed.
A fragment remembers when its availability next changes by itself (an expiring hold), and the page it
is put on is kept no longer than that.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from flask import current_app, g, has_request_context, render_template
from flask_babel import get_locale
from markupsafe import Markup

from catalogue import changes

SEPARATOR = "<!--/card-->"  # between cards in one render; escaped text cannot contain it


def product_grid(items, heading_level: int = 2, *, load) -> Markup:
    """The grid of cards for these products (Card objects, or product ids in order), cached per card;
    load(ids) reads the cards of the ids whose fragments are not kept."""
    if not items:
        return Markup("")
    ids = [item if isinstance(item, int) else item.id for item in items]
    changes.shows_products(ids)
    store, lifetime = _store()
    locale = str(get_locale())
    keys = [_key(locale, heading_level, i) for i in ids]
    html: dict[int, str] = {}
    units: set[int] = set()  # each card names its unit
    if store is not None:
        for product_id, value in zip(ids, _parts(store, keys), strict=True):
            if value is not None:
                moment, unit_id, fragment = value.decode().split("|", 2)
                if moment != "0":
                    changes.changes_at(datetime.fromtimestamp(int(moment), UTC))
                units.add(int(unit_id))
                html[product_id] = fragment
    missing = [i for i in ids if i not in html]
    if missing:
        # Before reading: a change committed after this moment keeps what is read now out of the store.
        since = current_app.extensions["page_since"]() if store is not None else None
        given = [item for item in items if not isinstance(item, int)]
        cards = [card for card in (given or load(missing)) if card.id in set(missing)]
        rendered = render_template("catalogue/_cards.html", cards=cards, heading_level=heading_level,
                                   separator=Markup(SEPARATOR)).split(SEPARATOR)
        for card, fragment in zip(cards, rendered, strict=False):
            html[card.id] = fragment
            changes.changes_at(card.changes_at)
            units.add(card.unit_id)
            if store is not None:
                seconds = changes.seconds_until(lifetime, card.changes_at)
                moment = int(card.changes_at.timestamp()) if card.changes_at else 0
                store.put(keys[ids.index(card.id)], f"{moment}|{card.unit_id}|{fragment}".encode(),
                          tags=(changes.product(card.id), changes.unit(card.unit_id), changes.SITE),
                          seconds=seconds, since=since)
    changes.shows(*(changes.unit(u) for u in units))
    return Markup('<ul class="product-grid">' + "".join(html[i] for i in ids if i in html) + "</ul>")


def _parts(store, keys: list[str]) -> list[bytes | None]:
    """Read kept cards or parts (perhaps from this process's near copy), and tell the page cache how current
    they are, so nothing made from them is kept if they have changed since."""
    values, current_at = store.get_parts(keys)
    current_app.extensions["page_read_as_of"](current_at)
    return values


def _key(locale: str, heading_level: int, product_id: int) -> str:
    return f"card:{current_app.extensions['page_version']}:{locale}:{heading_level}:{product_id}"


def _store():
    """The page cache's store and how long fragments live in it, or (None, 0) when they are not kept."""
    lifetime = current_app.extensions["page_lifetime"]("FRAGMENT_CACHE_SECONDS")
    return (current_app.extensions["page_store"] if lifetime else None), lifetime


def enabled() -> bool:
    """Are fragments kept (FRAGMENT_CACHE_SECONDS above 0)?"""
    return _store()[0] is not None


def _part_key(name: str) -> str:
    return f"part:{current_app.extensions['page_version']}:{get_locale()}:{name}"


def prefetch(*names: str) -> None:
    """Read these kept parts in one round trip to the store, for the kept() calls of this request to come."""
    if not enabled() or not has_request_context():
        return
    keys = [_part_key(name) for name in names]
    g.setdefault("kept_parts", {}).update(zip(keys, _parts(current_app.extensions["page_store"], keys), strict=True))


def peek(name: str) -> bytes | None:
    """A kept part that prefetch() read in this request (None: not kept, or not prefetched); kept() still
    hands it out."""
    if not has_request_context():
        return None
    return g.get("kept_parts", {}).get(_part_key(name))


def kept(name: str, tags, render, *, until: datetime | None = None) -> str:
    """A part of a page kept under its own key and tags (the filter form of a list, say): render() makes it
    when it is not kept, and it is kept no later than until (when what it shows changes by itself: a hold
    expiring). Only parts that are the same for every visitor with the same address belong here."""
    store, lifetime = _store()
    key = _part_key(name)
    if store is not None:
        fetched = g.get("kept_parts", {}) if has_request_context() else {}
        value = fetched.pop(key) if key in fetched else _parts(store, [key])[0]
        if value is not None:
            return value.decode()
        since = current_app.extensions["page_since"]()
    value = render()
    if store is not None:
        store.put(key, str(value).encode(), tags=(*tags, changes.SITE), seconds=changes.seconds_until(lifetime, until),
                  since=since)
    return value


def count_name(name: str) -> str:
    return f"count:{hashlib.sha1(name.encode()).hexdigest()}"


def kept_count(name: str, tags, counted, *, until: datetime | None = None) -> int:
    """A number of matches kept until the lists change (a category's 3 700 products are not counted again on
    every page that is not cached); counted() counts them."""
    return int(kept(count_name(name), tags, lambda: str(counted()), until=until))


def kept_record(name: str, make) -> dict | None:
    """A record of a page's parts kept under the tags it names (make() returns a JSON-able dict with "tags" and
    "changes_at", a timestamp or None, or None for nothing to keep); the page showing it gets its tags."""
    store, lifetime = _store()
    key = f"record:{current_app.extensions['page_version']}:{get_locale()}:{name}"
    record = None
    if store is not None:
        value = _parts(store, [key])[0]
        if value is not None:
            record = json.loads(value)
        else:
            since = current_app.extensions["page_since"]()
    if record is None:
        record = make()
        if record is None:
            return None
        if store is not None:
            moment = datetime.fromtimestamp(record["changes_at"], UTC) if record["changes_at"] else None
            store.put(key, json.dumps(record).encode(), tags=(*record["tags"], changes.SITE),
                      seconds=changes.seconds_until(lifetime, moment), since=since)
    changes.shows(*record["tags"])
    changes.changes_at(datetime.fromtimestamp(record["changes_at"], UTC) if record["changes_at"] else None)
    return record
