"""Benchmark: card orders placed per second on PostgreSQL by parallel buyers, through shop.orders.services.place_order.

Each buyer is a process of its own with its own engine and connection, and runs the full service
transaction: allocation, savepoint, order + fulfilments + lines, the conditional reservation UPDATEs,
reservation rows, commit. Two scenarios, each for --duration seconds:

* spread: --products products (plenty of stock, spread over several units); each order takes 1-3
  random products, 1-3 of each;
* contended: every buyer orders 1 of the same product, which has --contended-stock on hand and runs
  out during the run. OutOfStock is the only acceptable failure; any other exception is an error.

It prints orders/s, p50/p99 latency per order, the OutOfStock and error counts (and every distinct
error), then checks that the stock ledger agrees (ledger_mismatches == []) and that each record's
reserved equals the sum of its held reservations.

Run (PostgreSQL on 127.0.0.1; the database is created and migrated if missing):

    .venv/bin/python bench/orders.py
    .venv/bin/python bench/orders.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders \\
        --buyers 16 --duration 20 --scenario both

Every run adds its own units and products (named after the run) to the bench database and deletes nothing.
It is not a pytest test.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders"
WINDOW = timedelta(minutes=15)


def ensure_database(url: str) -> None:
    """Create the bench database if it does not exist yet (CREATE DATABASE needs autocommit)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conninfo = psycopg.conninfo.make_conninfo(
        host=parsed.host or "127.0.0.1", port=parsed.port or 5432, user=parsed.username or "postgres",
        password=parsed.password or None, dbname="postgres",
    )
    with psycopg.connect(conninfo, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{parsed.database}"')
            print(f"created database {parsed.database}")


def migrate(url: str):
    """Bring the schema up to date with the project's migrations; return the app."""
    from flask_migrate import upgrade

    from shop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MEDIA_ROOT": "/tmp/bench-media"})
    with app.app_context():
        upgrade()
    return app


def seed(app, *, run_id: str, scenario: str, products: int, stock: int) -> list[int]:
    """Create units, a category and published products with stock through the services; return product ids."""
    from catalogue.search import index_products
    from catalogue.services import create_category, create_product, create_unit, publish
    from inventory.services import adjust, ensure_stock_record
    from shop.extensions import db

    now = datetime.now(UTC)
    regions = ["nord", "vest", "sor", "sorvest", "ost"]
    with app.app_context():
        session = db.session
        units = [
            create_unit(session, name=f"Benkfengsel {run_id} {scenario} {n}", region=regions[n % len(regions)],
                        description="Benchmark unit", trades=["snekker"])
            for n in range(min(10, products))
        ]
        category = create_category(session, name=f"Benk {run_id} {scenario}")
        ids = []
        for n in range(products):
            unit = units[n % len(units)]
            product = create_product(session, unit=unit, category=category, title=f"Benkvare {run_id} {scenario} {n}",
                                     price_ore=10000 + 100 * (n % 50), index=False)
            publish(session, product, now=now)
            record = ensure_stock_record(session, product_id=product.id, unit_id=unit.id)
            adjust(session, record.id, stock, reason="produced", now=now, note="bench/orders.py")
            ids.append(product.id)
        index_products(session, ids)
        session.commit()
        db.engine.dispose()
    return ids


def _details(index: int, n: int):
    from shop.orders.services import Details

    return Details(email=f"benk{index}-{n}@example.no", name=f"Benk Kjøper {index}", delivery_method="shipping",
                   payment_method="card", address_line="Storgata 1", postcode="0155", city="Oslo")


def buyer(index: int, url: str, scenario: str, product_ids: list[int], duration: float, barrier, results) -> None:
    """Place orders until the time is up; put latencies, OutOfStock latencies, errors and CPU used on results."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from inventory.services import OutOfStock
    from shop.orders import services as orders

    rng = random.Random(index)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    rule = orders.ShippingRule()
    latencies: list[float] = []
    out_of_stock: list[float] = []
    errors: list[str] = []
    success_times: list[float] = []
    n = 0
    with Session(bind=engine) as session:
        # Warm up before the start line: connect, import and compile (mappers, SQL caches) with one
        # order that is rolled back, so the run measures steady-state orders, not interpreter start-up.
        warm_up = {product_ids[0]: 1}
        orders.place_order(session, warm_up, _details(index, 0), now=datetime.now(UTC), payment_window=WINDOW,
                           shipping=rule)
        session.rollback()
        backend_pid = session.scalar(text("SELECT pg_backend_pid()"))
        session.rollback()
        barrier.wait(timeout=300)  # a buyer that failed to start breaks the barrier instead of hanging the rest
        start = time.perf_counter()
        cpu_start, backend_cpu_start = time.process_time(), _backend_cpu(backend_pid)
        deadline = start + duration
        while time.perf_counter() < deadline:
            n += 1
            if scenario == "spread":
                items = {pid: rng.randint(1, 3) for pid in rng.sample(product_ids, rng.randint(1, 3))}
            else:
                items = {product_ids[0]: 1}
            t0 = time.perf_counter()
            try:
                orders.place_order(session, items, _details(index, n), now=datetime.now(UTC), payment_window=WINDOW,
                                   shipping=rule)
                session.commit()
            except OutOfStock:
                session.rollback()
                out_of_stock.append(time.perf_counter() - t0)
                continue
            except Exception as error:  # noqa: BLE001 - every other exception is what the bench reports
                session.rollback()
                errors.append(f"{type(error).__name__}: {error}".splitlines()[0][:300])
                continue
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            success_times.append(t1 - start)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        backend_cpu_end = _backend_cpu(backend_pid)
        backend_cpu = None if backend_cpu_start is None or backend_cpu_end is None else backend_cpu_end - backend_cpu_start
    engine.dispose()
    results.put({"latencies": latencies, "out_of_stock": out_of_stock, "errors": errors,
                 "success_times": success_times, "elapsed": elapsed, "cpu": cpu, "backend_cpu": backend_cpu})


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend on this machine, or None when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@dataclass
class Result:
    scenario: str
    buyers: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    out_of_stock: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    success_times: list[float] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the buyer processes during the run
    backend_cpu: float | None = 0.0  # CPU seconds of their PostgreSQL backends (None: not readable)

    @property
    def orders(self) -> int:
        return len(self.latencies)


def run(url: str, scenario: str, product_ids: list[int], *, buyers: int, duration: float) -> Result:
    """Start the buyer processes together and gather what they measured."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no inherited connections
    barrier = context.Barrier(buyers)
    results = context.Queue()
    processes = [
        context.Process(target=buyer, args=(i, url, scenario, product_ids, duration, barrier, results))
        for i in range(buyers)
    ]
    for process in processes:
        process.start()
    result = Result(scenario, buyers)
    for _ in processes:
        part = results.get(timeout=duration + 120)
        result.elapsed = max(result.elapsed, part["elapsed"])
        result.latencies += part["latencies"]
        result.out_of_stock += part["out_of_stock"]
        result.errors += part["errors"]
        result.success_times += part["success_times"]
        result.cpu += part["cpu"]
        if result.backend_cpu is not None and part["backend_cpu"] is not None:
            result.backend_cpu += part["backend_cpu"]
        else:
            result.backend_cpu = None
    for process in processes:
        process.join(timeout=30)
    return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(result: Result) -> None:
    ms = 1000
    print(f"\n== {result.scenario}: {result.buyers} buyers, {result.elapsed:.1f} s")
    print(f"orders placed:   {result.orders}  ({result.orders / result.elapsed:.1f} orders/s)")
    print(f"latency (ms):    p50 {percentile(result.latencies, 50) * ms:.1f}  p99 {percentile(result.latencies, 99) * ms:.1f}"
          f"  mean {statistics.fmean(result.latencies) * ms if result.latencies else float('nan'):.1f}")
    print(f"OutOfStock:      {len(result.out_of_stock)}", end="")
    if result.out_of_stock:
        print(f"  (p50 {percentile(result.out_of_stock, 50) * ms:.1f} ms, p99 {percentile(result.out_of_stock, 99) * ms:.1f} ms)",
              end="")
    print()
    if result.scenario == "contended" and result.success_times:
        sold_out = max(result.success_times)
        print(f"sold out after:  {sold_out:.1f} s  ({result.orders / sold_out:.1f} orders/s while stock lasted)")
    attempts = result.orders + len(result.out_of_stock) + len(result.errors)
    if attempts:
        line = f"CPU per attempt: {result.cpu / attempts * ms:.1f} ms in the buyer"
        if result.backend_cpu is not None:
            total = (result.cpu + result.backend_cpu) / attempts
            line += (f" + {result.backend_cpu / attempts * ms:.1f} ms in PostgreSQL"
                     f" -> at most ~{os.cpu_count() / total:.0f} attempts/s on {os.cpu_count()} cores")
        print(line)
    print(f"errors:          {len(result.errors)}")
    for message, times in Counter(result.errors).most_common():
        print(f"  {times} × {message}")


def verify(app, product_ids: list[int]) -> bool:
    """Check the ledger and that reserved equals the held reservations on this run's records; print both."""
    from sqlalchemy import func, select

    from inventory.models import Reservation, StockRecord
    from inventory.services import ledger_mismatches
    from shop.extensions import db

    with app.app_context():
        session = db.session
        mismatches = ledger_mismatches(session)
        held = (
            select(Reservation.stock_record_id, func.sum(Reservation.quantity).label("quantity"))
            .where(Reservation.state == "held").group_by(Reservation.stock_record_id).subquery()
        )
        rows = session.execute(
            select(StockRecord.id, StockRecord.on_hand, StockRecord.reserved, func.coalesce(held.c.quantity, 0))
            .outerjoin(held, held.c.stock_record_id == StockRecord.id)
            .where(StockRecord.product_id.in_(product_ids))
        ).all()
        disagree = [row for row in rows if row[2] != row[3]]
        total_reserved = sum(row[2] for row in rows)
        total_held = sum(row[3] for row in rows)
        total_on_hand = sum(row[1] for row in rows)
        session.rollback()
        db.engine.dispose()
    print(f"ledger_mismatches: {mismatches if mismatches else '[] (ledger agrees)'}")
    print(f"reserved == held reservations: {'yes' if not disagree else 'NO'} on {len(rows)} records "
          f"(on_hand {total_on_hand}, reserved {total_reserved}, held {total_held})")
    for row in disagree[:10]:
        print(f"  record {row[0]}: reserved {row[2]} but held reservations sum to {row[3]}")
    return not mismatches and not disagree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--buyers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario")
    parser.add_argument("--scenario", choices=["spread", "contended", "both"], default="both")
    parser.add_argument("--products", type=int, default=200, help="products in the spread scenario")
    parser.add_argument("--contended-stock", type=int, default=1000, help="on hand of the one contended product")
    args = parser.parse_args(argv)

    ensure_database(args.database_url)
    app = migrate(args.database_url)
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    scenarios = ["spread", "contended"] if args.scenario == "both" else [args.scenario]
    ok = True
    for scenario in scenarios:
        if scenario == "spread":
            product_ids = seed(app, run_id=run_id, scenario=scenario, products=args.products, stock=1_000_000)
        else:
            product_ids = seed(app, run_id=run_id, scenario=scenario, products=1, stock=args.contended_stock)
        result = run(args.database_url, scenario, product_ids, buyers=args.buyers, duration=args.duration)
        report(result)
        ok = verify(app, product_ids) and ok and not result.errors
        if scenario == "contended" and result.orders != args.contended_stock and result.out_of_stock:
            print(f"NOT OK: sold {result.orders} of {args.contended_stock} although buyers were turned away")
            ok = False
    print("\nOK" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
