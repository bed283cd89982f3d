"""Tell the storefront's page cache which products' stock changed (see catalogue.changes).

Stock moves by conditional UPDATE statements that the session's flush does not see, so every service in
inventory.services names the records it touched (``touched()``); just before the transaction commits,
those records become the tags of their products, which the page cache invalidates once it has committed.
Stock records changed as objects (a new record, a threshold, a unit that stops stocking) are seen at flush.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from catalogue import changes
from inventory.models import StockRecord

TOUCHED = "stock_records_touched"


def touched(session: Session, stock_record_ids: Iterable[int]) -> None:
    """These records' stock changes when the transaction commits."""
    session.info.setdefault(TOUCHED, set()).update(int(i) for i in stock_record_ids)


def _note_products(session: Session, product_ids: Iterable[int]) -> None:
    changes.note(session, changes.IN_STOCK_LISTS, *(changes.product(i) for i in set(product_ids)))


@event.listens_for(Session, "before_commit")
def _name_products(session: Session) -> None:
    ids = session.info.pop(TOUCHED, None)
    if not ids:
        return
    ids = sorted(ids)
    products: set[int] = set()
    for start in range(0, len(ids), 1000):
        products.update(session.scalars(
            select(StockRecord.product_id).where(StockRecord.id.in_(ids[start:start + 1000]))))
    _note_products(session, products)


@event.listens_for(Session, "after_flush")
def _note_records(session: Session, flush_context) -> None:
    changed = [obj.product_id for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, StockRecord) and obj.product_id is not None]
    if changed:
        _note_products(session, changed)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(TOUCHED, None)
