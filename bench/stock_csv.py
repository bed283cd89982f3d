"""Benchmark: CSV export, preview and apply of a 10 000-row stock file for one unit, on SQLite and PostgreSQL.

What it measures
    For SQLite and/or PostgreSQL, in one process (server time: no network, no browser), a unit that keeps
    --rows stock records (10 000 by default), both import modes ("count": set to the shelf count; "add":
    add with the reason "produced"), each step timed on its own:

    * export: inventory.csvio.export of every row (the read model, "sold, not packed", the CSV bytes);
    * parse: inventory.csvio.parse of the file (encoding, delimiter, columns);
    * preview: inventory.csvio.preview (the SKU lookups and every row's checks; writes nothing);
    * apply: inventory.csvio.apply plus the commit (one set-based conditional UPDATE for the file and one
      multi-row INSERT of the ledger rows);
    * reference, in the same run: one plain ``UPDATE stock_record SET updated_at = … WHERE unit_id = …``
      of the same rows plus the commit, the least any write of them costs; apply is reported as a ratio
      to it, so runs on machines of different speed compare;
    * and the same through the pages with Flask's test client: POST /workshop/lager/csv with the file
      (parse + preview + the preview page with its signed rows), then POST the confirm button (check the
      signature, preview again, apply, commit, redirect). The size of the signed field is reported too: it
      must stay below Flask's MAX_FORM_MEMORY_SIZE (500 000 bytes).

    Each step runs --rounds times (default 3) and the median is reported, in seconds and rows per second,
    with the SQL statements of one run. Every round writes (the counts alternate between two values), and
    the ledger is checked at the end (ledger_mismatches == []).

How to run (from the project root, with the virtualenv in .venv)::

    .venv/bin/python bench/stock_csv.py                      # both databases
    .venv/bin/python bench/stock_csv.py --database sqlite --rows 20000 --rounds 5

SQLite uses a fresh file in /tmp/bench-stock-csv/; PostgreSQL a fresh database ``bench_stock_csv`` on
127.0.0.1:5432 (user postgres, trust auth), dropped at the end. Both are built by the app's migrations and
filled with bulk inserts. It is not a pytest test.
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORKDIR = Path("/tmp/bench-stock-csv")
PG_DATABASE = "bench_stock_csv"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
START_ON_HAND = 20


def build_app(url: str):
    """The app on a fresh schema, made by the project's migrations."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from shop import create_app
    from shop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": "bench.local", "SESSION_COOKIE_SECURE": False, "PAGE_CACHE_SECONDS": 0,
                      "MEDIA_ROOT": str(WORKDIR / "media")})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def seed(app, rows: int) -> tuple[int, int, list[str]]:
    """A unit with `rows` published, stocked goods (bulk inserts, ledger included); return (unit, staff user, SKUs)."""
    from sqlalchemy import insert, select

    from catalogue.models import Product
    from catalogue.services import create_category, create_unit
    from inventory.models import StockMovement, StockRecord
    from shop.accounts.services import create_user
    from shop.extensions import db

    now = datetime.now(UTC)
    with app.app_context():
        session = db.session
        unit = create_unit(session, name="Benkfengsel", region="ost")
        category = create_category(session, name="Møbler")
        skus = [f"BENK-{n:05d}" for n in range(rows)]
        session.execute(insert(Product), [
            {"unit_id": unit.id, "category_id": category.id, "kind": "goods", "sku": sku, "slug": sku.lower(),
             "title": f"Skjærefjøl i bjørk nr. {n}", "price_ore": 10000, "status": "published", "published_at": now}
            for n, sku in enumerate(skus)])
        product_ids = session.scalars(select(Product.id).where(Product.unit_id == unit.id).order_by(Product.id)).all()
        session.execute(insert(StockRecord), [
            {"product_id": pid, "unit_id": unit.id, "on_hand": START_ON_HAND, "reserved": 0, "low_stock_threshold": 3,
             "confirmed_at": now} for pid in product_ids])
        record_ids = session.scalars(select(StockRecord.id).where(StockRecord.unit_id == unit.id)).all()
        session.execute(insert(StockMovement), [
            {"stock_record_id": rid, "delta": START_ON_HAND, "on_hand_after": START_ON_HAND, "reason": "produced",
             "note": "", "created_at": now} for rid in record_ids])
        user = create_user(session, email="staff@bench.local", password="bench-passord", role="staff", unit_id=unit.id)
        session.commit()
        return unit.id, user.id, skus


def csv_file(skus: list[str], numbers) -> bytes:
    """A file as Excel in Norway saves it: semicolons, UTF-8 with BOM, the export's columns, Antall filled in."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("SKU", "Produkt", "Antall"))
    writer.writerows((sku, "Skjærefjøl i bjørk", number) for sku, number in zip(skus, numbers))
    return out.getvalue().encode("utf-8-sig")


class Counter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def apply_and_commit(session, actor, plan) -> int:
    from inventory import csvio

    written = csvio.apply(session, actor, plan, now=datetime.now(UTC))
    session.commit()
    return written


def touch_and_commit(session, unit_id: int) -> None:
    from sqlalchemy import update

    from inventory.models import StockRecord

    session.execute(update(StockRecord).where(StockRecord.unit_id == unit_id).values(updated_at=datetime.now(UTC)))
    session.commit()


def run(url: str, rows: int, rounds: int) -> dict:
    app = build_app(url)
    unit_id, user_id, skus = seed(app, rows)
    from inventory import csvio
    from inventory.services import ledger_mismatches
    from shop.accounts.models import User
    from shop.core.actor import Actor
    from shop.extensions import db
    from shop.orders import fulfilment

    results: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    sizes: dict[str, int] = {}

    def record(step: str, seconds: float, count: int) -> None:
        results.setdefault(step, []).append(seconds)
        queries[step] = count

    with app.app_context():
        session = db.session
        counter = Counter(db.engine)
        actor = Actor(user_id=user_id, role="staff", unit_id=unit_id)

        def unpacked(ids):
            return fulfilment.unpacked(session, ids)

        for n in range(rounds):
            counter.count = 0
            seconds, exported = timed(csvio.export, session, actor, now=datetime.now(UTC), unpacked=unpacked)
            session.rollback()
            record("export", seconds, counter.count)
            sizes["export bytes"] = len(exported)
            for mode, reason, numbers in (("count", None, [str(START_ON_HAND + 1 + n % 2)] * rows),
                                          ("add", "produced", ["+1"] * rows)):
                data = csv_file(skus, numbers)
                counter.count = 0
                seconds, parsed = timed(csvio.parse, data)
                record(f"{mode}: parse", seconds, counter.count)
                counter.count = 0
                seconds, plan = timed(csvio.preview, session, actor, parsed, mode, now=datetime.now(UTC),
                                      reason=reason, unpacked=unpacked)
                session.rollback()
                assert plan.ok, plan.problem_rows[:3]
                record(f"{mode}: preview", seconds, counter.count)
                counter.count = 0

                seconds, _ = timed(touch_and_commit, session, unit_id)
                record("reference: plain UPDATE of the rows + commit", seconds, 1)
                counter.count = 0
                seconds, written = timed(apply_and_commit, session, actor, plan)
                assert written == rows, written
                record(f"{mode}: apply + commit", seconds, counter.count)
        assert ledger_mismatches(session) == []
        session_id = session.get(User, user_id).session_id
        session.rollback()

    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = session_id, True
    for n in range(rounds):
        for mode, reason, numbers in (("count", "", [str(START_ON_HAND + 1 + n % 2)] * rows),
                                      ("add", "produced", ["+1"] * rows)):
            data = csv_file(skus, numbers)
            counter.count = 0
            seconds, page = timed(client.post, "/workshop/lager/csv", data={
                "file": (io.BytesIO(data), "lager.csv"), "mode": mode, "reason": reason, "action": "preview"})
            assert page.status_code == 200, page.status_code
            record(f"{mode}: HTTP upload → preview page", seconds, counter.count)
            body = page.get_data(as_text=True)
            page.close()
            plan = unescape(re.search(r'name="plan" type="hidden" value="([^"]*)"', body)[1])
            sizes["preview page bytes"], sizes[f"signed rows ({mode}) bytes"] = len(body.encode()), len(plan)
            counter.count = 0
            seconds, done = timed(client.post, "/workshop/lager/csv", data={"action": "confirm", "plan": plan})
            assert done.status_code == 303, done.status_code
            record(f"{mode}: HTTP confirm → redirect", seconds, counter.count)
    with app.app_context():
        assert ledger_mismatches(db.session) == []
        db.engine.dispose()
    return {"seconds": {step: statistics.median(times) for step, times in results.items()}, "queries": queries,
            "sizes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{WORKDIR / 'stock_csv.sqlite'}"))
    if args.database in ("postgres", "both"):
        psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c"]
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {PG_DATABASE}"], check=True)
        targets.append(("postgres", PG_URL))
    try:
        for name, url in targets:
            r = run(url, args.rows, args.rounds)
            print(f"\n{name}, {args.rows} rows, median of {args.rounds} rounds\n")
            reference = r["seconds"]["reference: plain UPDATE of the rows + commit"]
            print("| step | seconds | rows/s | SQL statements | ÷ reference |")
            print("|---|---:|---:|---:|---:|")
            for step, seconds in r["seconds"].items():
                print(f"| {step} | {seconds:.2f} | {args.rows / seconds:,.0f} | {r['queries'][step]} "
                      f"| {seconds / reference:.1f} |")
            print("\n" + ", ".join(f"{what}: {size:,}" for what, size in r["sizes"].items()))
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
        if args.database in ("postgres", "both"):
            # FORCE: the migrations' engine may still hold a pooled connection (PostgreSQL 13 and later).
            subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c",
                            f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
