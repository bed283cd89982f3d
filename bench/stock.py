"""Benchmark: the workshop stock page for a unit with 500 stock records, and saving 50 changed rows at once.

What it measures
    For SQLite and/or PostgreSQL, in one process with Flask's test client (so it is server time: no
    network, no browser), logged in as staff of a unit that keeps 500 stock records:

    * GET /workshop/lager: the whole page (one query for the rows, one for "sold, not packed", the
      template with 500 rows of inputs);
    * POST /workshop/lager with 50 changed rows (counts and +/- with reasons), each row compare-and-set
      and written in its own savepoint, then one commit and the redirect;
    * a reference measured in the same run: a plain Flask + SQLAlchemy + Jinja page listing the same
      500 records in a bare table (one query), so the ratio shows what the stock page costs beyond
      reading and printing the rows, whatever the machine's speed.

    Each measurement is repeated (--rounds, default 15) after 3 warm-up rounds; the median and the
    90th percentile are reported, with the SQL statements of one request.

How to run (from the project root, with the virtualenv in .venv)::

    .venv/bin/python bench/stock.py                      # both databases
    .venv/bin/python bench/stock.py --database sqlite --rounds 30

SQLite uses a fresh file in /tmp/bench-stock/; PostgreSQL a fresh database ``bench_stock`` on 127.0.0.1:5432
(user postgres, trust auth), dropped at the end. Nothing else is touched.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

WORKDIR = Path("/tmp/bench-stock")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_stock"
RECORDS = 500
CHANGED = 50


def build_app(url: str):
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


def seed(app) -> int:
    """A unit with RECORDS published goods, each stocked; return the staff user's id."""
    from catalogue.services import create_category, create_product, create_unit, publish
    from inventory.services import adjust, ensure_stock_record
    from shop.accounts.services import create_user
    from shop.extensions import db

    with app.app_context():
        session = db.session
        unit = create_unit(session, name="Benkfengsel", region="ost")
        category = create_category(session, name="Møbler")
        now = datetime.now(UTC)
        for n in range(RECORDS):
            product = create_product(session, unit=unit, category=category, title=f"Vare {n:04d}", price_ore=10000,
                                     index=False)
            publish(session, product, now=now)
            record = ensure_stock_record(session, product_id=product.id, unit_id=unit.id)
            adjust(session, record.id, 20, reason="produced", now=now)
        user = create_user(session, email="staff@bench.local", password="bench-passord", role="staff", unit_id=unit.id)
        session.commit()
        return user.id


def reference_view(app):
    """The plain page: the same 500 records in a bare Jinja table, one query."""
    from flask import render_template_string
    from sqlalchemy import select

    from catalogue.models import Product
    from inventory.models import StockRecord
    from shop.extensions import db

    template = ("<!doctype html><title>Lager</title><table>{% for title, sku, on_hand in rows %}"
                "<tr><td>{{ title }}</td><td>{{ sku }}</td><td>{{ on_hand }}</td></tr>{% endfor %}</table>")

    @app.get("/bench-reference")
    def bench_reference():
        rows = db.session.execute(select(Product.title, Product.sku, StockRecord.on_hand)
                                  .join(StockRecord, StockRecord.product_id == Product.id)
                                  .order_by(Product.title)).all()
        return render_template_string(template, rows=rows)


class Counter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


def measure(fn, rounds: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def run(name: str, url: str, rounds: int) -> dict:
    app = build_app(url)
    reference_view(app)
    user_id = seed(app)
    from shop.accounts.models import User
    from shop.extensions import db

    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).session_id
        counter = Counter(db.engine)
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = session_id, True

    page = client.get("/workshop/lager")
    assert page.status_code == 200, page.status_code
    assert page.get_data(as_text=True).count('<li class="stock-row') == RECORDS

    def get_page():
        assert client.get("/workshop/lager").status_code == 200

    flip = [0]

    def save_rows():
        body = client.get("/workshop/lager").get_data(as_text=True)
        shown = dict(re.findall(r'name="shown-(\d+)" value="(\d+)"', body))
        ids = list(shown)[:CHANGED]
        flip[0] += 1
        data = {"row": ids, "action": "save", "loaded_at": datetime.now(UTC).isoformat()}
        for i, record_id in enumerate(ids):
            data[f"shown-{record_id}"] = shown[record_id]
            data[f"packed-{record_id}"] = "0"
            if i % 2:
                data[f"count-{record_id}"] = str(20 + flip[0] % 2)
            else:
                data[f"delta-{record_id}"] = "+1"
                data[f"reason-{record_id}"] = "produced"
        timed_save(data)

    save_times = []

    def timed_save(data):
        start = time.perf_counter()
        response = client.post("/workshop/lager", data=data)
        save_times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 303, response.status_code

    def reference():
        assert client.get("/bench-reference").status_code == 200

    results = {}
    counter.count = 0
    get_page()
    results["page_queries"] = counter.count
    results["page"] = measure(get_page, rounds)
    results["reference"] = measure(reference, rounds)
    for _ in range(3 + rounds):
        save_rows()
    timings = sorted(save_times[3:])
    results["save"] = (statistics.median(timings), timings[int(len(timings) * 0.9) - 1])
    counter.count = 0
    save_rows()
    results["save_queries"] = counter.count  # includes the GET that reads the form first
    with app.app_context():
        from inventory.services import ledger_mismatches

        assert ledger_mismatches(db.session) == []
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{WORKDIR / 'stock.sqlite'}"))
    if args.database in ("postgres", "both"):
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", "DROP DATABASE IF EXISTS bench_stock"],
                       check=True)
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE bench_stock"], check=True)
        targets.append(("postgres", PG_URL))
    print(f"| database | stock page, {RECORDS} rows: p50 / p90 ms | SQL | plain page (reference) p50 ms | "
          f"page ÷ reference | save {CHANGED} rows: p50 / p90 ms | SQL (GET + POST) |")
    print("|---|---|---:|---:|---:|---|---:|")
    try:
        for name, url in targets:
            r = run(name, url, args.rounds)
            print(f"| {name} | {r['page'][0]:.1f} / {r['page'][1]:.1f} | {r['page_queries']} | {r['reference'][0]:.1f} | "
                  f"{r['page'][0] / r['reference'][0]:.1f} | {r['save'][0]:.1f} / {r['save'][1]:.1f} | "
                  f"{r['save_queries']} |")
    finally:
        if args.database in ("postgres", "both"):
            subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", "DROP DATABASE IF EXISTS bench_stock"])


if __name__ == "__main__":
    main()
