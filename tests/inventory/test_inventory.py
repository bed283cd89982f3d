"""Stock changes: one conditional UPDATE plus a ledger row, compare-and-set counts, database constraints."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from factories import NOW, make_product
from inventory.models import StockMovement, StockRecord
from inventory.services import (
    OutOfStock,
    StockConflict,
    adjust,
    ensure_stock_record,
    ledger_mismatches,
    set_counted,
    set_many,
)
from shop.extensions import db


@pytest.fixture
def record(session):
    product = make_product(session, stock=5)
    session.commit()
    return ensure_stock_record(session, product_id=product.id, unit_id=product.unit_id)


def test_adjust_changes_on_hand_and_writes_a_movement(session, record):
    movement = adjust(session, record.id, -2, reason="damaged", now=NOW, note="Sprukket")
    session.commit()
    session.refresh(record)

    assert record.on_hand == 3 and movement.on_hand_after == 3
    assert movement.reason == "damaged" and movement.delta == -2
    assert record.confirmed_at is not None
    assert ledger_mismatches(session) == []


def test_adjust_below_zero_or_below_reserved_is_refused_and_changes_nothing(session, record):
    with pytest.raises(OutOfStock):
        adjust(session, record.id, -6, reason="damaged", now=NOW)
    session.execute(update(StockRecord).where(StockRecord.id == record.id).values(reserved=4))
    with pytest.raises(OutOfStock):
        adjust(session, record.id, -2, reason="damaged", now=NOW)
    session.rollback()
    session.refresh(record)

    assert record.on_hand == 5
    assert session.scalar(select(StockMovement.id).where(StockMovement.reason == "damaged")) is None


@pytest.mark.parametrize(("reason", "delta"), [("stolen", 1), ("produced", 0)])
def test_adjust_rejects_unknown_reasons_and_empty_changes(session, record, reason, delta):
    with pytest.raises(ValueError):
        adjust(session, record.id, delta, reason=reason, now=NOW)


def test_a_count_is_compare_and_set_against_what_the_page_showed(session, record):
    movement = set_counted(session, record.id, expected_on_hand=5, counted=7, now=NOW)
    session.commit()
    assert movement.delta == 2 and movement.reason == "counted"

    with pytest.raises(StockConflict) as conflict:
        set_counted(session, record.id, expected_on_hand=5, counted=1, now=NOW)
    assert conflict.value.current == 7
    session.rollback()
    session.refresh(record)
    assert record.on_hand == 7
    assert ledger_mismatches(session) == []


def test_a_count_equal_to_stock_only_confirms(session, record):
    assert set_counted(session, record.id, expected_on_hand=5, counted=5, now=NOW) is None
    session.commit()
    session.refresh(record)
    assert record.confirmed_at is not None and record.on_hand == 5


def test_check_constraints_hold_even_if_code_bypasses_the_services(session, record):
    for values in ({"on_hand": -1}, {"reserved": -1}, {"reserved": 6}):
        with pytest.raises(IntegrityError):
            session.execute(update(StockRecord).where(StockRecord.id == record.id).values(**values))
        session.rollback()


def test_one_stock_record_per_product_and_unit(session, record):
    session.add(StockRecord(product_id=record.product_id, unit_id=record.unit_id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_ledger_check_finds_a_record_changed_outside_the_services(session, record):
    session.execute(update(StockRecord).where(StockRecord.id == record.id).values(on_hand=9))
    session.commit()

    assert ledger_mismatches(session) == [(record.id, 9, 5)]


def test_stock_check_command_reports_ok_and_mismatch(app, session, record):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stock-check"]).exit_code == 0

    session.execute(update(StockRecord).where(StockRecord.id == record.id).values(on_hand=9))
    session.commit()
    result = runner.invoke(args=["stock-check"])
    assert result.exit_code == 1
    assert "on_hand 9 but movements sum to 5" in result.output


def test_inventory_check_also_finds_reserved_that_disagrees_with_the_held_reservations(app, session, record):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["inventory", "check"]).exit_code == 0

    session.execute(update(StockRecord).where(StockRecord.id == record.id).values(reserved=2))
    session.commit()
    result = runner.invoke(args=["inventory", "check"])

    assert result.exit_code == 1
    assert "reserved 2 but held reservations sum to 0" in result.output


# Many records at once (the CSV import's write)

@pytest.fixture
def records(session):
    products = [make_product(session, stock=5) for _ in range(4)]
    session.commit()
    return [ensure_stock_record(session, product_id=p.id, unit_id=p.unit_id).id for p in products]


def test_set_many_writes_matching_rows_with_one_ledger_row_each_and_names_the_rest(session, records):
    first, second, third, fourth = records
    session.execute(update(StockRecord).where(StockRecord.id == third).values(reserved=4))
    session.commit()

    failed = set_many(session, [(fourth, 5, 9), (first, 5, 2), (second, 4, 8), (third, 5, 3)], reason="counted",
                      now=NOW, actor_user_id=None, note="CSV")
    session.commit()

    assert failed == [second, third]  # second moved (5, not 4); third would fall below what is held
    on_hand = dict(session.execute(select(StockRecord.id, StockRecord.on_hand).where(StockRecord.id.in_(records))).all())
    assert on_hand == {first: 2, second: 5, third: 5, fourth: 9}
    moves = session.execute(select(StockMovement.stock_record_id, StockMovement.delta, StockMovement.reason,
                                   StockMovement.note).where(StockMovement.note == "CSV")
                            .order_by(StockMovement.stock_record_id)).all()
    assert moves == [(first, -3, "counted", "CSV"), (fourth, 4, "counted", "CSV")]
    assert ledger_mismatches(session) == []


def test_set_many_confirms_a_matching_count_without_a_movement(session, records):
    assert set_many(session, [(records[0], 5, 5)], reason="counted", now=NOW) == []
    session.commit()

    assert session.get(StockRecord, records[0]).confirmed_at is not None
    assert session.scalar(select(func.count(StockMovement.id)).where(StockMovement.stock_record_id == records[0])) == 1


@pytest.mark.parametrize("changes", [[(1, 5, -1)], [(1, 5, 6), (1, 5, 7)]])
def test_set_many_refuses_negative_values_and_records_named_twice(session, records, changes):
    with pytest.raises(ValueError):
        set_many(session, changes, reason="counted", now=NOW)


def test_set_many_takes_two_statements_however_many_rows(session, app):
    products = [make_product(session, stock=1) for _ in range(25)]
    session.commit()
    ids = [ensure_stock_record(session, product_id=p.id, unit_id=p.unit_id).id for p in products]
    session.commit()
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert set_many(session, [(i, 1, 2) for i in ids], reason="produced", now=NOW) == []
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    session.commit()

    assert statements.count("UPDATE") == 1
    assert statements.count("INSERT") <= 2  # the ledger rows in one multi-row INSERT (batched by the driver)
    assert ledger_mismatches(session) == []
