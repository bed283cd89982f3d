"""Benchmark: the coordinator's reports and national overview with 60 units, 20 000 products and 100 000 orders.

What it measures
    For SQLite and/or PostgreSQL, in one process with Flask's test client (so it is server time: no
    network, no browser), logged in as a coordinator, on a country of --units units (60) in the five
    regions, --products products (20 000: goods and services, mostly published, in a two-level
    category tree; every good stocked at its unit, with a ledger row) and --orders orders (100 000,
    1–4 lines from one or two units each, placed over the last 365 days, in every status: completed,
    paid, invoice orders, partly and fully refunded, cancelled, expired, awaiting payment):

    * GET /coordinator/rapporter: the sales report for the last 12 months (every order is in range);
    * GET /coordinator/rapporter?fra=…&til=…: the same for one month (a narrow range);
    * GET /coordinator/rapporter/salg-per-maned.csv and /salg-per-enhet.csv: two of its CSV exports;
    * GET /coordinator/oversikt and /coordinator/oversikt/varer: the national overview of units and the
      national list of goods and services (built by another area; a page that answers 404 is reported
      as "not built" and the rest is timed);
    * a reference measured in the same run: a plain Flask + SQLAlchemy + Jinja page that lists 50 of the
      same orders in a bare table (one query), so the pages can be given as ratios to it, whatever the
      machine's speed.

    Each page is requested 3 times to warm up, then --rounds times (default 15); the median (p50) and the
    90th percentile are reported, with the SQL statements of one request.

How to run (from the project root, with the virtualenv in .venv)::

    .venv/bin/python bench/coordinator.py                      # both databases
    .venv/bin/python bench/coordinator.py --database sqlite --rounds 30

SQLite uses a fresh file in /tmp/bench-coordinator/; PostgreSQL a fresh database ``bench_coordinator`` on
127.0.0.1:5432 (user postgres, trust auth), dropped at the end. Both are built by the app's migrations and
filled with bulk inserts (about half a minute for each). It is not a pytest test.
"""
from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORKDIR = Path("/tmp/bench-coordinator")
PG_DATABASE = "bench_coordinator"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
REGIONS = ("nord", "vest", "sor", "sorvest", "ost")
# (top-level category, its subcategories, VAT rate in basis points, share of services)
CATEGORIES = (
    ("Møbler", ("Benker", "Bord", "Stoler", "Hyller"), 2500, 0.0),
    ("Tekstil", ("Forklær", "Vesker", "Puter"), 2500, 0.0),
    ("Kjøkken", ("Skjærebrett", "Redskaper", "Serveringsbrett"), 2500, 0.0),
    ("Mat og bakst", ("Brød", "Syltetøy", "Honning"), 1500, 0.0),
    ("Hage og uterom", ("Plantekasser", "Fuglekasser", "Utemøbler"), 2500, 0.0),
    ("Trykk og skilt", ("Skilt", "Trykksaker"), 2500, 0.3),
    ("Tjenester", ("Vedlikehold", "Montering", "Vask og rens", "Kurs"), 2500, 1.0),
)
BATCH = 5000
# What becomes of orders, and how often (weights).
STATUSES = (("completed", 60), ("paid", 9), ("awaiting_invoice", 7), ("invoiced", 6), ("refunded", 2),
            ("cancelled", 6), ("expired", 7), ("pending_payment", 1), ("partly_refunded", 2))


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


def _insert(session, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start:start + BATCH])


def seed(app, *, units: int, products: int, orders: int, now: datetime) -> int:
    """Fill the database in bulk (ids chosen here, so nothing is read back); return the coordinator's user id."""
    from sqlalchemy import text

    from catalogue.models import Category, Product, Unit
    from inventory.models import StockMovement, StockRecord
    from shop.accounts.services import create_user
    from shop.core.money import vat_included
    from shop.extensions import db
    from shop.orders.models import Fulfilment, Order, OrderLine
    from shop.orders.services import SHIPPING_VAT_BP, ShippingRule

    rng = random.Random(20261122)
    with app.app_context():
        session = db.session
        _insert(session, Unit, [
            {"id": n, "slug": f"enhet-{n:02d}", "name": f"Enhet {n:02d} fengsel", "region": REGIONS[n % len(REGIONS)],
             "description": "Snekkerverksted, tekstil og kjøkken.", "trades": ["snekker", "tekstil"],
             "contact_email": f"verksted{n}@bench.local", "postal_address": f"Postboks {n}, 0101 Oslo",
             "active": n % 30 != 0, "trusted": n % 7 == 0, "created_at": now - timedelta(days=900)}
            for n in range(1, units + 1)])
        categories, leaves = [], []  # leaves: (id, VAT rate, share of services)
        next_id = 1
        for position, (name, children, rate, services) in enumerate(CATEGORIES):
            top_id = next_id
            categories.append({"id": top_id, "parent_id": None, "slug": f"kat-{top_id}", "name": name,
                               "position": position})
            next_id += 1
            for child_position, child in enumerate(children):
                categories.append({"id": next_id, "parent_id": top_id, "slug": f"kat-{next_id}", "name": child,
                                   "position": child_position})
                leaves.append((next_id, rate, services))
                next_id += 1
        _insert(session, Category, categories)

        product_rows, record_rows, movement_rows = [], [], []
        sellable: dict[int, list[tuple[int, int, int, str, int | None]]] = {}  # unit -> (product, price, VAT, kind, record)
        for pid in range(1, products + 1):
            unit_id = rng.randint(1, units)
            category_id, rate, services = rng.choice(leaves)
            kind = "service" if rng.random() < services else "goods"
            status = rng.choices(("published", "submitted", "draft", "archived", "rejected"), (85, 5, 5, 3, 2))[0]
            made_to_order = kind == "goods" and rng.random() < 0.05
            price_ore = rng.randint(5, 600) * 1000 + rng.choice((0, 0, 9900, 5000))
            published_at = now - timedelta(minutes=rng.randint(60, 700 * 24 * 60)) if status == "published" else None
            product_rows.append({
                "id": pid, "unit_id": unit_id, "category_id": category_id, "kind": kind, "sku": f"BC-{pid:06d}",
                "slug": f"bc-vare-{pid}", "title": f"{'Tjeneste' if kind == 'service' else 'Vare'} nr. {pid}",
                "summary": "Laget i et verksted i kriminalomsorgen.", "price_ore": price_ore, "vat_rate_bp": rate,
                "status": status, "made_to_order": made_to_order, "lead_time_days": 21 if made_to_order else None,
                "created_at": now - timedelta(days=720), "updated_at": now - timedelta(days=rng.randint(0, 300)),
                "published_at": published_at})
            record_id = None
            if kind == "goods":
                record_id = len(record_rows) + 1
                on_hand = rng.choice((0, 1, 2)) if rng.random() < 0.15 else rng.randint(3, 60)
                record_rows.append({"id": record_id, "product_id": pid, "unit_id": unit_id, "on_hand": on_hand,
                                    "reserved": 0, "low_stock_threshold": 3,
                                    "confirmed_at": now - timedelta(hours=rng.randint(1, 40 * 24)),
                                    "updated_at": now})
                if on_hand:
                    movement_rows.append({"stock_record_id": record_id, "delta": on_hand, "on_hand_after": on_hand,
                                          "reason": "produced", "note": "", "created_at": now - timedelta(days=400)})
            if status == "published":
                sellable.setdefault(unit_id, []).append((pid, price_ore, rate, kind, record_id))
        _insert(session, Product, product_rows)
        _insert(session, StockRecord, record_rows)
        _insert(session, StockMovement, movement_rows)

        shipping = ShippingRule()
        order_rows, fulfilment_rows, line_rows = [], [], []
        unit_ids = sorted(sellable)
        weights = [1 + (u % 5) for u in unit_ids]  # some units sell more than others
        statuses, status_weights = zip(*STATUSES, strict=True)
        for oid in range(1, orders + 1):
            created = now - timedelta(seconds=rng.randint(60, 365 * 24 * 3600))
            order_units = sorted(set(rng.choices(unit_ids, weights, k=rng.choice((1, 1, 1, 2)))))
            picked: dict[int, tuple] = {}
            for _ in range(rng.choices((1, 2, 3, 4), (50, 30, 15, 5))[0]):
                product = rng.choice(sellable[rng.choice(order_units)])
                picked[product[0]] = product
            lines = [(product, rng.choices((1, 2, 3, 5), (70, 20, 7, 3))[0]) for product in picked.values()]
            order_units = sorted({product_rows[product[0] - 1]["unit_id"] for product, _quantity in lines})
            status = rng.choices(statuses, status_weights)[0]
            invoice = status in ("awaiting_invoice", "invoiced") or (status in ("completed", "cancelled")
                                                                    and rng.random() < 0.25)
            delivery = "pickup" if rng.random() < 0.2 else "shipping"
            subtotal = sum(price * quantity for (_pid, price, _rate, _kind, _rec), quantity in lines)
            has_goods = any(kind == "goods" for (_pid, _price, _rate, kind, _rec), _q in lines)
            shipping_ore = shipping.cost(subtotal, delivery_method=delivery, has_goods=has_goods)
            vat = sum(vat_included(price * quantity, rate) for (_pid, price, rate, _k, _r), quantity in lines) \
                + vat_included(shipping_ore, SHIPPING_VAT_BP)
            total = subtotal + shipping_ore
            paid = not invoice and status in ("completed", "paid", "refunded", "partly_refunded")
            refunded = total if status == "refunded" else rng.randint(1, total) if status == "partly_refunded" else 0
            order_rows.append({
                "id": oid, "number": f"VB-{oid:06d}", "public_token": secrets.token_urlsafe(24),
                "email": f"kunde{oid % 5000}@bench.local", "name": f"Kunde {oid % 5000}",
                "organisation_name": "Oslo kommune" if invoice else "", "delivery_method": delivery,
                "address_line": "Storgata 1" if delivery == "shipping" else "",
                "postcode": "0155" if delivery == "shipping" else "", "city": "Oslo" if delivery == "shipping" else "",
                "payment_method": "invoice" if invoice else "card",
                "org_number": "974760673" if invoice else None, "buyer_reference": f"PO-{oid}" if invoice else None,
                "status": "paid" if status == "partly_refunded" else status, "subtotal_ore": subtotal,
                "shipping_ore": shipping_ore, "vat_ore": vat, "total_ore": total, "refunded_ore": refunded,
                "payment_intent_id": f"pi_bench_{oid}" if not invoice else None, "attention": "",
                "created_at": created, "expires_at": None if invoice else created + timedelta(minutes=15),
                "paid_at": created + timedelta(minutes=2) if paid else None,
                "cancelled_at": created + timedelta(days=1) if status == "cancelled" else None})
            fulfilment_of = {}
            for unit_id in order_units:
                fid = len(fulfilment_rows) + 1
                fulfilment_of[unit_id] = fid
                fulfilment_rows.append({"id": fid, "order_id": oid, "unit_id": unit_id,
                                        "status": _fulfilment_status(rng, status, created, now),
                                        "tracking_number": "", "updated_at": min(now, created + timedelta(days=3))})
            for (pid, price, rate, _kind, record_id), quantity in lines:
                unit_id = product_rows[pid - 1]["unit_id"]
                line_rows.append({"order_id": oid, "fulfilment_id": fulfilment_of[unit_id], "product_id": pid,
                                  "unit_id": unit_id, "stock_record_id": record_id,
                                  "title": product_rows[pid - 1]["title"], "sku": product_rows[pid - 1]["sku"],
                                  "unit_price_ore": price, "vat_rate_bp": rate, "quantity": quantity,
                                  "made_to_order": product_rows[pid - 1]["made_to_order"]})
        _insert(session, Order, order_rows)
        _insert(session, Fulfilment, fulfilment_rows)
        _insert(session, OrderLine, line_rows)
        if session.get_bind().dialect.name == "postgresql":  # the ids were chosen here: move the sequences past them
            for table in ("unit", "category", "product", "stock_record", "order", "fulfilment"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                     f"(SELECT max(id) FROM \"{table}\"))"))
        user = create_user(session, email="koordinator@bench.local", password="bench-passord", role="coordinator",
                           unit_id=1)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        return user.id


def _fulfilment_status(rng: random.Random, status: str, created: datetime, now: datetime) -> str:
    if status in ("cancelled", "expired"):
        return "cancelled"
    if status in ("completed", "refunded"):
        return "delivered"
    if status == "pending_payment":
        return "pending"
    if now - created < timedelta(days=10):
        return rng.choice(("pending", "packed", "shipped"))
    return rng.choice(("shipped", "delivered", "delivered"))


def reference_view(app) -> None:
    """The plain page: 50 of the same orders in a bare Jinja table, one query."""
    from flask import render_template_string
    from sqlalchemy import select

    from shop.extensions import db
    from shop.orders.models import Order

    template = ("<!doctype html><title>Ordrer</title><table>{% for number, name, status, total in rows %}"
                "<tr><td>{{ number }}</td><td>{{ name }}</td><td>{{ status }}</td><td>{{ total }}</td></tr>"
                "{% endfor %}</table>")

    @app.get("/bench-reference")
    def bench_reference():
        rows = db.session.execute(select(Order.number, Order.name, Order.status, Order.total_ore)
                                  .order_by(Order.id.desc()).limit(50)).all()
        return render_template_string(template, rows=rows)


class Counter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


def measure(fn, rounds: int) -> tuple[float, float]:
    """(p50, p90) in milliseconds of `rounds` calls after 3 warm-up calls."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.9) - 1)]


def pages(now: datetime) -> list[tuple[str, str]]:
    """(name, path) of the pages to time."""
    from shop.core.time import OSLO

    today = now.astimezone(OSLO).date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    one_month = f"fra={last_month_end.replace(day=1)}&til={last_month_end}"
    return [
        ("reports: by month, last 12 months (default)", "/coordinator/rapporter"),
        ("reports: by unit and region, last 12 months", "/coordinator/rapporter/enheter"),
        ("reports: by category and product, last 12 months", "/coordinator/rapporter/kategorier"),
        ("reports: by month, one month", f"/coordinator/rapporter?{one_month}"),
        ("reports: CSV sales per month, last 12 months", "/coordinator/rapporter/salg-per-maned.csv"),
        ("reports: CSV sales per unit, last 12 months", "/coordinator/rapporter/salg-per-enhet.csv"),
        ("national overview: units", "/coordinator/oversikt"),
        ("national overview: goods and services", "/coordinator/oversikt/varer"),
        ("reference: plain page of 50 orders (one query)", "/bench-reference"),
    ]


def run(url: str, args, now: datetime) -> dict:
    app = build_app(url)
    reference_view(app)
    started = time.perf_counter()
    user_id = seed(app, units=args.units, products=args.products, orders=args.orders, now=now)
    seeded = time.perf_counter() - started
    from sqlalchemy import func, select

    from shop.accounts.models import User
    from shop.core.time import OSLO
    from shop.extensions import db
    from shop.orders import reports
    from shop.orders.models import Order

    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).session_id
        counter = Counter(db.engine)
        period = reports.Period.last_twelve_months(now.astimezone(OSLO).date())
        in_range = db.session.scalar(select(func.count(Order.id)).where(reports.sale(), period.contains()))
        db.session.rollback()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = session_id, True

    results = {"seconds to seed": seeded, "sales in the default period": in_range, "pages": []}
    for name, path in pages(now):
        started = time.perf_counter()
        response = client.get(path)
        status = response.status_code
        response.close()
        first = (time.perf_counter() - started) * 1000  # the reports' first request makes the months' summaries
        if status != 200 and path.startswith("/coordinator/oversikt"):  # another area's pages, perhaps not there yet
            results["pages"].append({"name": name, "path": path,
                                     "status": "not built (404)" if status == 404 else f"answered {status}"})
            continue
        assert status == 200, (path, status)

        def get(path=path):
            client.get(path).close()

        counter.count = 0
        get()
        statements = counter.count
        p50, p90 = measure(get, args.rounds)
        results["pages"].append({"name": name, "path": path, "status": status, "p50": p50, "p90": p90,
                                 "statements": statements, "first": first})
    with app.app_context():
        # The summaries the pages used against the orders themselves (every month put out of date, then back).
        from shop.orders import sales

        reports_of = (reports.month_report, reports.unit_report, reports.category_report)
        summarized = [fn(db.session, period) for fn in reports_of]
        results["months summarized"] = len(sales.plan(db.session, period).summarized)
        sales.changed(db.session, every_month=True)
        db.session.flush()
        results["same numbers from the orders"] = summarized == [fn(db.session, period) for fn in reports_of]
        db.session.rollback()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c"]
    targets = []
    if args.database in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{WORKDIR / 'coordinator.sqlite'}"))
    if args.database in ("postgres", "both"):
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {PG_DATABASE}"], check=True)
        targets.append(("postgres", PG_URL))
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        for name, url in targets:
            r = run(url, args, now)
            reference = next(p["p50"] for p in r["pages"] if p["path"] == "/bench-reference")
            print(f"\n{name}: {args.units} units, {args.products} products, {args.orders} orders "
                  f"({r['sales in the default period']} sales in the default period), seeded in "
                  f"{r['seconds to seed']:.0f} s; median and 90th percentile of {args.rounds} requests; "
                  f"{r['months summarized']} months of the default period summarized, their reports the same as "
                  f"from the orders: {'yes' if r['same numbers from the orders'] else 'NO'}\n")
            print("| page | URL | first request ms | p50 ms | p90 ms | SQL statements | p50 ÷ reference |")
            print("|---|---|---:|---:|---:|---:|---:|")
            for page in r["pages"]:
                if page["status"] != 200:
                    print(f"| {page['name']} | `{page['path']}` | {page['status']} | | | | |")
                    continue
                print(f"| {page['name']} | `{page['path']}` | {page['first']:.1f} | {page['p50']:.1f} | "
                      f"{page['p90']:.1f} | "
                      f"{page['statements']} | {page['p50'] / reference:.1f} |")
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
        if args.database in ("postgres", "both"):
            # FORCE: the migrations' engine may still hold a pooled connection (PostgreSQL 13 and later).
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
