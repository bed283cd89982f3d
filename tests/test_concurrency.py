"""Concurrency on PostgreSQL: parallel buyers never oversell, orders never deadlock, payment and expiry take turns."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from conftest import ON_POSTGRES, TEST_DATABASE_URL
from factories import NOW, make_product
from inventory.models import Reservation, StockMovement, StockRecord
from inventory.services import OutOfStock, ledger_mismatches
from shop.mail import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Order, Payment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="concurrency guarantees are proven on PostgreSQL; set TEST_DATABASE_URL"),
]

WINDOW = timedelta(minutes=15)
RULE = orders.ShippingRule()
BUYERS = 50  # with the fixture's own connection this stays well below the server's max_connections
JOIN_TIMEOUT = 60


def details(n: int) -> orders.Details:
    return orders.Details(email=f"kjoper{n}@example.no", name=f"Kjøper {n}", delivery_method="pickup",
                          payment_method="card")


@pytest.fixture
def engine(app):
    """An engine of its own whose pool lets every thread hold a connection at once.

    The timeouts turn a hang (a lock wait nobody resolves) into an error the test reports.
    """
    engine = create_engine(
        TEST_DATABASE_URL, pool_size=BUYERS + 5, max_overflow=0, pool_timeout=10,
        connect_args={"options": "-c statement_timeout=30000 -c lock_timeout=20000"},
    )
    yield engine
    engine.dispose()


def run_together(app, engine, jobs) -> list[tuple[str, object]]:
    """Run each job(session) in its own thread and transaction, all released at once; return their outcomes.

    An outcome is ("ok", what the job returned) after a commit, ("out_of_stock", error) or ("error", error)
    after a rollback. Each thread has its own Session (so its own connection) and its own app context
    (the order e-mail is rendered from templates).
    """
    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, object] | None] = [None] * len(jobs)

    def work(i: int, job) -> None:
        with app.app_context(), Session(bind=engine) as session:
            try:
                session.connection()  # connect before the barrier, so that connecting does not spread the start
                barrier.wait(timeout=30)
                result = job(session)
                session.commit()
                outcomes[i] = ("ok", result)
            except OutOfStock as error:
                session.rollback()
                outcomes[i] = ("out_of_stock", error)
            except Exception as error:  # noqa: BLE001 - every other exception is a failure the test reports
                session.rollback()
                outcomes[i] = ("error", error)

    threads = [threading.Thread(target=work, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a thread hung (lock wait or deadlock)"
    return outcomes


def errors_of(outcomes) -> list[str]:
    return [repr(result) for kind, result in outcomes if kind == "error"]


def stock_of(session, record_id: int) -> tuple[int, int]:
    """(on_hand, reserved) as committed now, not as the session last saw it."""
    row = session.execute(select(StockRecord.on_hand, StockRecord.reserved).where(StockRecord.id == record_id)).one()
    return tuple(row)


def record_id_of(session, product) -> int:
    return session.scalar(select(StockRecord.id).where(StockRecord.product_id == product.id))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def held_quantity(session, record_id: int) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(Reservation.quantity), 0))
        .where(Reservation.stock_record_id == record_id, Reservation.state == "held")
    )


def place_job(items: dict[int, int], n: int, *, intent_id: str | None = None, now=NOW):
    def job(session):
        order = orders.place_order(session, items, details(n), now=now, payment_window=WINDOW, shipping=RULE)
        order.payment_intent_id = intent_id
        session.flush()
        return order.id
    return job


def pay_job(intent_id: str, amount_ore: int, *, now):
    def job(session):
        order = orders.record_payment_succeeded(session, intent_id=intent_id, amount_ore=amount_ore, currency="nok",
                                                now=now)
        return order.id
    return job


def expire_job(*, now):
    def job(session):
        return orders.expire_unpaid(session, now=now)
    return job


@pytest.mark.parametrize("round_", range(5))
def test_fifty_buyers_racing_for_five_in_stock_get_exactly_five_orders_and_each_payment_commits_once(
    app, session, engine, round_
):
    product = make_product(session, stock=5)
    session.commit()
    record_id = record_id_of(session, product)

    outcomes = run_together(app, engine, [
        place_job({product.id: 1}, n, intent_id=f"pi_race_{round_}_{n}") for n in range(BUYERS)
    ])

    assert errors_of(outcomes) == []
    assert Counter(kind for kind, _ in outcomes) == {"ok": 5, "out_of_stock": BUYERS - 5}
    assert stock_of(session, record_id) == (5, 5)
    assert count(session, Reservation, Reservation.state == "held") == 5
    assert count(session, Reservation) == 5  # the losers left nothing behind
    assert count(session, Order) == 5
    assert held_quantity(session, record_id) == 5
    assert ledger_mismatches(session) == []

    # Every payment is delivered twice, all ten deliveries at once.
    paid = session.execute(select(Order.payment_intent_id, Order.total_ore)).all()
    later = NOW + timedelta(minutes=1)
    outcomes = run_together(app, engine, [pay_job(intent, total, now=later) for intent, total in paid * 2])

    assert errors_of(outcomes) == []
    assert stock_of(session, record_id) == (0, 0)
    assert count(session, StockMovement, StockMovement.reason == "sold") == 5
    assert count(session, Reservation, Reservation.state == "committed") == 5
    assert count(session, Order, Order.status == "paid", Order.attention == "") == 5
    assert count(session, Payment) == 5
    assert count(session, OutboxMessage) == 5  # one confirmation per order, not per delivery
    assert ledger_mismatches(session) == []


def test_orders_for_the_same_products_in_opposite_order_never_deadlock(app, session, engine):
    a, b, c = (make_product(session, stock=1000) for _ in range(3))
    session.commit()
    record_ids = {p.id: record_id_of(session, p) for p in (a, b, c)}
    threads, orders_each = 40, 3
    ordered = Counter()

    def buyer(n: int):
        # The dict is built in the order the buyer added the items; half of them the other way round.
        products = [a, b, c] if n % 2 == 0 else [c, b, a]
        baskets = [{p.id: 1 + (n + k + i) % 3 for i, p in enumerate(products)} for k in range(orders_each)]
        for basket in baskets:
            ordered.update(basket)

        def job(session):
            for basket in baskets:
                orders.place_order(session, basket, details(n), now=NOW, payment_window=WINDOW, shipping=RULE)
                session.commit()  # one transaction per order, as at checkout
            return len(baskets)
        return job

    outcomes = run_together(app, engine, [buyer(n) for n in range(threads)])

    assert errors_of(outcomes) == []  # no DeadlockDetected, no lock timeout
    assert [kind for kind, _ in outcomes] == ["ok"] * threads
    assert count(session, Order) == threads * orders_each
    for product_id, record_id in record_ids.items():
        assert stock_of(session, record_id) == (1000, ordered[product_id])
        assert held_quantity(session, record_id) == ordered[product_id]
    assert ledger_mismatches(session) == []


def test_expiry_and_payment_of_the_same_order_at_once_never_release_or_commit_twice(app, session, engine):
    rounds = 8
    product = make_product(session, stock=rounds)
    session.commit()
    record_id = record_id_of(session, product)
    far_future = NOW + timedelta(days=1)

    for n in range(rounds):
        order = orders.place_order(session, {product.id: 1}, details(n), now=NOW, payment_window=WINDOW,
                                   shipping=RULE)
        order.payment_intent_id = intent = f"pi_expiry_{n}"
        session.commit()
        jobs = [expire_job(now=far_future) for _ in range(4)]
        jobs += [pay_job(intent, order.total_ore, now=far_future) for _ in range(2)]  # a duplicate delivery too

        outcomes = run_together(app, engine, jobs)

        assert errors_of(outcomes) == []
        assert sum(result for _kind, result in outcomes[:4]) <= 1  # the order expired once at most
        assert stock_of(session, record_id) == (rounds - n - 1, 0)
        assert count(session, StockMovement, StockMovement.order_id == order.id) == 1
        assert session.execute(select(Order.status, Order.attention).where(Order.id == order.id)).one() == ("paid", "")
        assert ledger_mismatches(session) == []

    assert count(session, Reservation, Reservation.state == "committed") == rounds
    assert count(session, Reservation, Reservation.state == "held") == 0
    assert count(session, StockMovement, StockMovement.reason == "sold") == rounds
    assert count(session, Payment) == rounds


def test_a_late_payment_racing_expiry_and_a_new_buyer_for_the_last_item_never_sells_it_twice(app, session, engine):
    far_future = NOW + timedelta(days=1)

    for n in range(8):
        product = make_product(session, stock=1)
        order = orders.place_order(session, {product.id: 1}, details(n), now=NOW, payment_window=WINDOW,
                                   shipping=RULE)
        order.payment_intent_id = intent = f"pi_last_{n}"
        session.commit()
        record_id = record_id_of(session, product)
        jobs = [expire_job(now=far_future) for _ in range(3)]
        jobs += [pay_job(intent, order.total_ore, now=far_future),
                 place_job({product.id: 1}, 100 + n, intent_id=f"pi_newcomer_{n}", now=far_future)]

        outcomes = run_together(app, engine, jobs)

        assert errors_of(outcomes) == []
        newcomer = outcomes[-1][0]
        assert newcomer in ("ok", "out_of_stock")
        status, attention = session.execute(select(Order.status, Order.attention).where(Order.id == order.id)).one()
        assert status == "paid"
        if newcomer == "ok":  # the newcomer holds the item; the late payment is flagged for a refund
            assert "stock is gone" in attention
            assert stock_of(session, record_id) == (1, 1)
        else:  # the payment kept (or took back) the item
            assert attention == ""
            assert stock_of(session, record_id) == (0, 0)
        assert held_quantity(session, record_id) == stock_of(session, record_id)[1]
        assert count(session, StockMovement, StockMovement.reason == "sold", StockMovement.stock_record_id == record_id) \
            == (0 if newcomer == "ok" else 1)
        assert ledger_mismatches(session) == []


def start_alone(app, engine, job) -> tuple[threading.Thread, dict]:
    """Start job(session) in a thread of its own; the dict gets its backend "pid" and, when done, its "outcome"."""
    box: dict = {}
    connected = threading.Event()

    def work() -> None:
        with app.app_context(), Session(bind=engine) as session:
            try:
                box["pid"] = session.scalar(text("SELECT pg_backend_pid()"))
                connected.set()
                result = job(session)
                session.commit()
                box["outcome"] = ("ok", result)
            except Exception as error:  # noqa: BLE001 - reported by the test
                session.rollback()
                box["outcome"] = ("error", error)
            finally:
                connected.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert connected.wait(timeout=10)
    return thread, box


def wait_until_waiting_for_a_lock(connection, pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if connection.scalar(text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"), {"pid": pid}):
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


def test_an_order_and_the_expiry_job_releasing_the_same_expired_holds_never_deadlock(app, session, engine):
    a, b = make_product(session, stock=5), make_product(session, stock=5)
    session.commit()
    # Two abandoned orders whose holds have expired; the one on b is older, so the expiry job meets it first.
    orders.place_order(session, {b.id: 1}, details(1), now=NOW - timedelta(minutes=1), payment_window=WINDOW,
                       shipping=RULE)
    orders.place_order(session, {a.id: 1}, details(2), now=NOW, payment_window=WINDOW, shipping=RULE)
    session.commit()
    later = NOW + timedelta(hours=1)
    record_a, record_b = record_id_of(session, a), record_id_of(session, b)
    assert record_a < record_b

    # A gate on record a makes the interleaving certain instead of lucky: the new order stops just after
    # it has claimed a's expired hold, and the expiry job starts while it waits.
    with engine.connect() as gate:
        gate.execute(text("SELECT id FROM stock_record WHERE id = :id FOR NO KEY UPDATE"), {"id": record_a})
        placer, placed = start_alone(app, engine, place_job({a.id: 1, b.id: 1}, 3, now=later))
        wait_until_waiting_for_a_lock(gate, placed["pid"])
        expirer, expired = start_alone(app, engine, expire_job(now=later))
        wait_until_waiting_for_a_lock(gate, expired["pid"])
        gate.rollback()  # the order goes on to record b, whose expired hold the expiry job has claimed
    placer.join(timeout=JOIN_TIMEOUT)
    expirer.join(timeout=JOIN_TIMEOUT)

    assert not placer.is_alive() and not expirer.is_alive()
    assert (placed["outcome"][0], expired["outcome"][0]) == ("ok", "ok"), (placed["outcome"], expired["outcome"])
    assert stock_of(session, record_a) == (5, 1) and stock_of(session, record_b) == (5, 1)
    assert held_quantity(session, record_a) == 1 and held_quantity(session, record_b) == 1
    assert ledger_mismatches(session) == []
