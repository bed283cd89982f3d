"""Storefront benchmark: the public pages on a 20 000-product catalogue, against two reference apps in the same run.

What it measures
    For SQLite and/or PostgreSQL, with the large benchmark catalogue (``flask seed-bench --products 20000``,
    which loads the demo data too), served by gunicorn with 2 sync workers on 127.0.0.1:

    * the home page ``/``;
    * the largest category page ``/kategori/<slug>`` (the category with the most published products,
      children included);
    * a product page ``/produkt/<slug>``, rotating over 50 random published products (wrk Lua script);
    * a search ``/sok?q=<common word>`` (the most frequent title word among a few typical Norwegian nouns)
      and a second search for a rarer word;
    * in the ``hit`` mode, also product pages rotating over 5 000 products (the long tail: most visits to a
      20 000-product shop are not to the same 50 pages; how many of them come from the cache depends on how
      warm it is, so this row has no target).

    The app keeps whole pages, and the product cards they are made of (fragments), in Redis
    (``shop/pagecache``), for every visitor: the visitor's own parts (menu, cart count, messages) are filled
    in on each answer. Every page is measured in three modes:

    * ``cold``: ``PAGE_CACHE_SECONDS=0 FRAGMENT_CACHE_SECONDS=0``, no cache at all: every request renders
      everything;
    * ``miss``: ``REDIS_URL`` set, ``PAGE_CACHE_SECONDS=0`` (whole pages never kept) and the fragments kept in
      Redis (``FRAGMENT_CACHE_SECONDS`` at its default): what a page-cache miss costs when the cards are warm;
    * ``hit``: ``REDIS_URL`` set and the defaults (pages and fragments kept): the production set-up.

    The script starts a private redis-server on a free port and empties it between the modes. Every page is
    measured for two visitors: ``anonymous`` (no cookie) and ``cart`` (the session cookie of a visitor with one
    product in the cart: the script adds one with ``POST /handlekurv/legg-til`` to the running server, reads
    the flash message once as a browser would, and sends the resulting cookie with ``wrk -H``). Before the load
    each URL is fetched once (per visitor) and must answer 200; a cart request must answer 200 and, in the
    ``hit`` mode, the second one must come from the cache (``X-Cache: hit``), or the report says so.

    In the same run, with the same gunicorn settings and the same wrk settings, two reference apps, each measured
    right before the rows of the mode it is compared with (the machine's speed drifts over a run):

    * ``bare``: ``bench/ref_bare.py``, a bare Flask app whose ``/`` answers "Hello";
    * ``plain``: ``bench/ref_plain.py``, plain Flask + SQLAlchemy + Jinja on the same database, ``/?page=2``:
      24 published products with their unit (one query for the page, one for the count) in a small template.

    Each shop row gets a ratio: ``hit`` rows req/s ÷ the bare app's req/s, ``cold`` and ``miss`` rows req/s ÷
    the plain page's req/s (same database, same run).

    Each URL gets a warm-up (2 s) and then a measured ``wrk -t2 -c16 -d10s --latency`` run; the script reports
    requests/s, p50, p90, p99, p99/p50, errors (non-2xx/3xx, non-200, socket errors and timeouts), the share of
    cache hits (``X-Cache``), and who used the CPU during the run (gunicorn, wrk, PostgreSQL, Redis, other
    people's work: the machine is shared; a run that others disturbed is repeated, ``--retries``, and the least
    disturbed one is reported).

    Separately, in process, the app is built with ``create_app(...)`` and a SQLAlchemy ``before_cursor_execute``
    listener counts the SQL statements of one request per page (``app.test_client()``), on the 20 000-product
    database and on a small one (``seed-bench --products 2000``), side by side: with the cache off, with the
    fragments warm (pages not kept, the page requested twice and the second counted) and for a page cache hit
    (which must run none). Page 1 and page 2 of the category page (24 products each) show the count does not
    grow with the products shown either. ``--sql-log`` prints each statement with its time, ``--explain`` their
    plans, ``--py-spy`` samples the workers during each run and prints where the time goes.

Targets (issue 11), checked for each database and written with the results
    * cached pages (``hit``), anonymous and with a cart session: at least 50 % of the bare app's requests/s;
    * rendered (cache-miss, ``miss``) category and search pages: at least 50 % of the plain page's requests/s;
      the product page at least 100 %;
    * p99 under 4 × p50 on every page;
    * SQL statements per page constant in catalogue size (20 000 and 2 000 products).

    The ``cold`` rows are reported with their ratio to the plain page, without a target. The result tables,
    the references, the verdicts, the statement counts, the exact commands and the machine facts are printed
    and written to ``bench/results-storefront.md``.

    Note: wrk runs on the same 2-core machine as gunicorn (and the database), so it takes CPU from the server;
    the ratios compare apps that pay the same price.

How to run (from the project root, with the virtualenv in .venv; ``apt-get install -y wrk redis-server``)::

    .venv/bin/python bench/storefront.py                       # both databases, all modes and visitors, ~22 min
    .venv/bin/python bench/storefront.py --database sqlite --modes miss,hit --visitors cart
    .venv/bin/python bench/storefront.py --database postgres --keep            # keep the databases ...
    .venv/bin/python bench/storefront.py --database postgres --skip-seed --modes cold --pages product --py-spy
    .venv/bin/python bench/storefront.py --drop                                 # ... and drop them later
    .venv/bin/python bench/storefront.py --database sqlite --products 2000 --duration 2 --warmup 1 \\
        --quiet-wait 0 --output /tmp/bench-smoke.md                             # a smoke test, ~5 min

SQLite uses fresh files /tmp/bench-storefront/shop.sqlite and shop-small.sqlite (media in
/tmp/bench-storefront/media-sqlite*); PostgreSQL fresh databases ``bench_storefront`` and
``bench_storefront_small`` on 127.0.0.1:5432 (user postgres, trust auth), dropped at the end unless ``--keep``.
``--skip-seed`` reuses the databases prepared by an earlier run (with ``--keep`` for PostgreSQL; a missing
small one is seeded, which takes a few seconds). No other database is touched.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
WORKDIR = Path("/tmp/bench-storefront")
RESULTS = ROOT / "bench" / "results-storefront.md"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "bench_storefront"
PG_SMALL_DATABASE = "bench_storefront_small"
SMALL_PRODUCTS = 2000
PRODUCTS_ROTATED = 50
LONG_TAIL_PRODUCTS = 5000
SEARCH_CANDIDATES = ("benk", "eik", "stol", "bord", "krakk", "hylle", "skjaerebrett", "pute", "kopp", "fat")
SEED = 20240501

MODES = {
    "cold": "no cache at all (`PAGE_CACHE_SECONDS=0 FRAGMENT_CACHE_SECONDS=0`): every request renders everything",
    "miss": "pages never kept (`PAGE_CACHE_SECONDS=0`), product fragments kept in Redis (`REDIS_URL`): what a "
            "page-cache miss costs when the fragments are warm",
    "hit": "pages and fragments kept in Redis (`REDIS_URL`, the defaults): the production set-up",
}
VISITORS = {
    "anonymous": "no cookie",
    "cart": "the session cookie of a visitor with one product in the cart (`Cookie: session=…`)",
}
REFERENCES = {
    "bare": ("bench.ref_bare:app", "/", "bare Flask `/` (`bench/ref_bare.py`)"),
    "plain": ("bench.ref_plain:app", "/?page=2",
              "plain Flask + SQLAlchemy + Jinja `/?page=2` (`bench/ref_plain.py`, 24 products)"),
}
# Settings of the caller's environment that would change what is measured: every server gets its own.
CACHE_ENVIRONMENT = ("REDIS_URL", "PAGE_CACHE_SECONDS", "FRAGMENT_CACHE_SECONDS", "PAGE_CACHE_LOCAL_SECONDS",
                     "PAGE_CACHE_PREFIX")

# The targets of issue 11: a shop row's req/s as a share of a reference's req/s (same database, same run).
HIT_TARGET = 0.5  # hit mode, every page but the long tail, both visitors: x bare
MISS_TARGETS = {"category": 0.5, "search": 0.5, "search_rare": 0.5, "product": 1.0}  # miss mode: x plain
P99_OVER_P50 = 4.0  # every shop row
NO_TARGET = {"product_tail"}  # its hit share depends on how warm the cache is


def reference_for(mode: str) -> str:
    """The reference a shop row of this mode is compared with."""
    return "bare" if mode == "hit" else "plain"


def mode_env(mode: str, redis_url: str | None) -> dict[str, str]:
    """The environment that selects a cache mode (on top of the target's)."""
    if mode == "cold":
        return {"PAGE_CACHE_SECONDS": "0", "FRAGMENT_CACHE_SECONDS": "0"}
    if mode == "miss":
        return {"REDIS_URL": redis_url, "PAGE_CACHE_SECONDS": "0"}
    return {"REDIS_URL": redis_url}


# --------------------------------------------------------------------------------------------- helpers

def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Target:
    """One database to benchmark (or to count statements on)."""

    name: str  # "sqlite" or "postgres"
    url: str
    media_root: Path
    products: int
    sqlite_path: Path | None = None
    pg_database: str | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CACHE_ENVIRONMENT}
        env.update(DATABASE_URL=self.url, MEDIA_ROOT=str(self.media_root), SECRET_KEY="bench")
        return env

    @property
    def env_text(self) -> str:
        return f"DATABASE_URL={self.url} MEDIA_ROOT={self.media_root} SECRET_KEY=bench"

    def exists(self) -> bool:
        return self.sqlite_path.exists() if self.sqlite_path else pg_database_exists(self.pg_database)


def make_target(name: str, products: int, small: bool = False) -> Target:
    """The benchmark database (or, small, the one for the statement counts at another catalogue size)."""
    suffix = "-small" if small else ""
    if name == "sqlite":
        path = WORKDIR / f"shop{suffix}.sqlite"
        return Target("sqlite", f"sqlite:///{path}", WORKDIR / f"media-sqlite{suffix}", products, sqlite_path=path)
    database = PG_SMALL_DATABASE if small else PG_DATABASE
    return Target("postgres", f"postgresql://postgres@127.0.0.1:5432/{database}", WORKDIR / f"media-postgres{suffix}",
                  products, pg_database=database)


# --------------------------------------------------------------------------------------------- database

def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def pg_database_exists(database: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None


def drop_pg_database(database: str) -> None:
    log(f"dropping PostgreSQL database {database}")
    pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def prepare(target: Target, skip_seed: bool) -> float | None:
    """Create a fresh database with the benchmark catalogue; return the seconds it took (None if reused)."""
    if skip_seed and target.exists():
        log(f"{target.name}: reusing the prepared database ({target.url})")
        return None
    started = time.monotonic()
    subprocess.run(["rm", "-rf", str(target.media_root)], check=True)
    target.media_root.mkdir(parents=True)
    if target.sqlite_path:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{target.sqlite_path}{suffix}").unlink(missing_ok=True)
    else:
        drop_pg_database(target.pg_database)
        log(f"creating PostgreSQL database {target.pg_database}")
        pg_admin(f'CREATE DATABASE "{target.pg_database}"')
    flask = [str(BIN / "flask"), "--app", "shop"]
    run(flask + ["db", "upgrade"], env=target.env, stdout=subprocess.DEVNULL)
    run(flask + ["seed-bench", "--products", str(target.products)], env=target.env)
    if target.pg_database:  # fresh tables: give the planner statistics, as autovacuum would soon
        import psycopg

        with psycopg.connect(target.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    seconds = time.monotonic() - started
    log(f"{target.name}: database with {target.products} products ready in {seconds:.0f} s")
    return seconds


def prepare_both(large: Target, small: Target, skip_seed: bool) -> float | None:
    """The benchmark database (which --skip-seed requires to exist) and the small one (seeded when missing)."""
    if skip_seed and not large.exists():
        where = large.sqlite_path or f"database {large.pg_database}"
        sys.exit(f"--skip-seed: {where} does not exist; run once without it (with --keep for PostgreSQL)")
    seconds = prepare(large, skip_seed)
    prepare(small, skip_seed)
    return seconds


# --------------------------------------------------------------------------------------------- in-process app

# The in-process app's cache settings for each statement count. Without REDIS_URL the app keeps pages and
# fragments in this process's memory, for at most PAGE_CACHE_LOCAL_SECONDS: long here, since only this
# process reads the database meanwhile.
COUNT_CONFIGS = {
    "off": ("cache off", {"PAGE_CACHE_SECONDS": 0, "FRAGMENT_CACHE_SECONDS": 0}),
    "fragments": ("fragments warm", {"PAGE_CACHE_SECONDS": 0, "PAGE_CACHE_LOCAL_SECONDS": 3600}),
    "hit": ("page cache hit", {"PAGE_CACHE_LOCAL_SECONDS": 3600}),
}


def make_app(target: Target, **config):
    """The app on the given database, in this process, with its cache in memory (never the caller's Redis)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from shop import create_app

    base = {"SQLALCHEMY_DATABASE_URI": target.url, "MEDIA_ROOT": str(target.media_root), "SECRET_KEY": "bench",
            "CACHE_REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://"}
    return create_app({**base, **config})


@dataclass
class Pages:
    """The URLs to measure, picked from the data."""

    home: str
    category: str
    category_name: str
    category_products: int
    products: list[str]
    long_tail: list[str]
    search: str
    search_term: str
    search_hits: int
    rare_search: str
    rare_term: str
    rare_hits: int
    published: int
    cart_product_id: int | None

    def measured(self, mode: str) -> list[tuple[str, str, list[str]]]:
        """(key, label, paths) of each load run; a run with several paths rotates over them."""
        runs = [
            ("home", "home `/`", [self.home]),
            ("category", f"category `{self.category}` ({self.category_products} products)", [self.category]),
            ("product", f"product page (rotating over {len(self.products)} products)", self.products),
            ("search", f"search `{self.search}` ({self.search_hits} hits)", [self.search]),
            ("search_rare", f"search `{self.rare_search}` ({self.rare_hits} hits)", [self.rare_search]),
        ]
        if mode == "hit":  # rendered, the long tail costs what the product page costs
            runs.append(("product_tail", f"product page (rotating over {len(self.long_tail)} products)",
                         self.long_tail))
        return runs


def pick_pages(app) -> Pages:
    from sqlalchemy import func, select

    from catalogue import browse as listing
    from catalogue.browse import Filters
    from catalogue.models import Product, Unit
    from catalogue.search import STOP_WORDS, fold, terms
    from shop.cart import services as cart
    from shop.extensions import db

    with app.app_context():
        session = db.session
        tree = listing.category_tree(session)
        counts = dict(session.execute(
            select(Product.category_id, func.count()).join(Unit, Unit.id == Product.unit_id)
            .where(Product.status == "published", Unit.active.is_(True)).group_by(Product.category_id)
        ).tuples().all())
        sizes = []
        for top, children in tree:
            sizes.append((counts.get(top.id, 0) + sum(counts.get(c.id, 0) for c in children), top.slug, top.name))
            sizes.extend((counts.get(c.id, 0), c.slug, c.name) for c in children)
        size, slug, name = max(sizes)

        published = session.execute(
            select(Product.id, Product.slug).join(Unit, Unit.id == Product.unit_id)
            .where(Product.status == "published", Unit.active.is_(True)).order_by(Product.id)
        ).tuples().all()
        rotated = random.Random(SEED).sample(published, PRODUCTS_ROTATED)
        products = [f"/produkt/{s}" for _, s in rotated]
        long_tail = [f"/produkt/{s}" for _, s in
                     random.Random(SEED + 1).sample(published, min(LONG_TAIL_PRODUCTS, len(published)))]
        # The cart visitor's product: the first of the rotated ones that can be put in a cart.
        cart_product_id = next((pid for pid, _ in rotated if cart.view(session, {pid: 1}).buyable), None)

        # Search words: how many published titles contain each (folded) word.
        titles = session.scalars(
            select(Product.title).join(Unit, Unit.id == Product.unit_id)
            .where(Product.status == "published", Unit.active.is_(True))
        )
        words: Counter[str] = Counter()
        for title in titles:
            words.update({w for w in terms(title) if len(w) >= 3 and w.isalpha() and w not in STOP_WORDS})

        def hits(term: str) -> int:
            """How many products the shop's search finds (the total its result page shows)."""
            return listing.browse(session, Filters(query=term, sort="relevance"), page=1, per_page=1).total

        common = max(SEARCH_CANDIDATES, key=lambda w: words.get(fold(w), 0))
        # A rarer word: a title word of 5+ letters that the search finds in 20..100 products (0.1-0.5 %).
        rare = None
        for word, _ in sorted(((w, n) for w, n in words.items() if len(w) >= 5 and 20 <= n <= 80),
                              key=lambda item: (-item[1], item[0]))[:15]:
            if 20 <= hits(word) <= 100:
                rare = word
                break
        rare = rare or min(words, key=lambda w: (abs(words[w] - 50), w))

        return Pages(
            home="/", category=f"/kategori/{slug}", category_name=name, category_products=size, products=products,
            long_tail=long_tail, search=f"/sok?q={common}", search_term=common, search_hits=hits(common),
            rare_search=f"/sok?q={rare}", rare_term=rare, rare_hits=hits(rare), published=len(published),
            cart_product_id=cart_product_id,
        )


@dataclass
class QueryCount:
    config: str  # a key of COUNT_CONFIGS
    key: str
    label: str
    url: str
    status: int
    queries: int
    sql_ms: float
    request_ms: float
    cpu_ms: float
    cache: str = ""
    statements: list[tuple[float, str]] = field(default_factory=list)


def counted_urls(pages: Pages) -> list[tuple[str, str, str]]:
    """(key, label, URL) of each page whose statements are counted."""
    return [
        ("home", "home", pages.home),
        ("category", "category, page 1 (24 products)", pages.category),
        ("category2", "category, page 2 (24 products)", pages.category + "?page=2"),
        ("category2_price", "category, page 2, sorted by price", pages.category + "?page=2&sort=price_asc"),
        ("product", "product page", pages.products[0]),
        ("product_other", "product page (another)", pages.products[1]),
        ("search", f"search `{pages.search_term}`", pages.search),
        ("search2", f"search `{pages.search_term}`, page 2", pages.search + "&page=2"),
        ("search_rare", f"search `{pages.rare_term}`", pages.rare_search),
    ]


def count_queries(target: Target, pages: Pages, *, show_sql: bool = False, explain: bool = False,
                  timed: bool = True) -> list[QueryCount]:
    """Request each page in process twice and count the SQL statements of the second request: with the cache
    off, with the fragments warm (the first request kept them), and, for one product page, a page cache hit
    (which must run none). Timed: each statement is run again on its own to give its time."""
    from sqlalchemy import event

    from shop.extensions import db

    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    urls = counted_urls(pages)
    results = []
    for config, (config_label, settings) in COUNT_CONFIGS.items():
        app = make_app(target, **settings)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            client = app.test_client()
            todo = urls if config != "hit" else [("product_cached", "product page", pages.products[2])]
            for key, label, url in todo:
                first = client.get(url)  # warm: templates compiled, connection open, fragments or page kept
                seen.clear()
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                elapsed, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
                captured = list(seen)
                timings = time_statements(engine, captured, explain) if timed else []
                cache = "/".join(filter(None, [first.headers.get("X-Cache"), response.headers.get("X-Cache")]))
                results.append(QueryCount(config, key, label, url, response.status_code, len(captured),
                                          sum(ms for ms, _, _ in timings), elapsed, cpu, cache,
                                          [(ms, sql) for ms, sql, _ in timings]))
                if show_sql or explain:
                    print(f"\n--- {target.products} products, {config_label}: {label}: {url} -> "
                          f"{response.status_code}, {len(captured)} statements, {elapsed:.1f} ms in all "
                          f"({cpu:.1f} ms CPU in this process)")
                    for ms, sql, plan in timings:
                        print(f"  {ms:7.2f} ms  {' '.join(sql.split())[:600]}")
                        for line in plan:
                            print(f"               | {line}")
        finally:
            event.remove(engine, "before_cursor_execute", before)
            engine.dispose()
    return results


def time_statements(engine, captured: list[tuple[str, object]], explain: bool) -> list[tuple[float, str, list[str]]]:
    """Run each captured statement again on its own, fetching all rows (SQLite does most of its work while
    fetching, so timing the execute call alone would hide it): best of 3, in ms; with the plan if asked."""
    out = []
    with engine.connect() as conn:
        for statement, parameters in captured:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                result = conn.exec_driver_sql(statement, parameters)
                if result.returns_rows:
                    result.fetchall()
                best = min(best, (time.perf_counter() - t0) * 1000)
                if best > 1000:  # slow enough to measure once
                    break
            plan: list[str] = []
            if explain and best >= 1.0:
                if engine.dialect.name == "postgresql":
                    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
                    plan = [row[0] for row in rows]
                else:
                    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                    plan = [row[3] for row in rows]
            out.append((best, statement, plan))
        conn.rollback()
    return out


# --------------------------------------------------------------------------------------------- servers

class Redis:
    """A private redis-server on a free port, without persistence, for the shared page and fragment cache."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self, *words: str) -> bytes:
        """Send one inline command and return the first line of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(" ".join(words).encode() + b"\r\n")
            return sock.recv(64).split(b"\r\n", 1)[0]

    def keys(self) -> int:
        """How many keys the server holds (DBSIZE)."""
        return int(self.command("DBSIZE").lstrip(b":"))

    def flush(self) -> None:
        """Forget every page and fragment (between the modes)."""
        if self.command("FLUSHALL") != b"+OK":
            raise RuntimeError("redis-server refused FLUSHALL")

    def __enter__(self) -> Self:
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        log("$ " + " ".join(shlex.quote(c) for c in cmd))
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.command("PING").startswith(b"+PONG"):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            log(f"redis-server pid {self.process.pid} stopped")


class Server:
    """gunicorn with N sync workers on a free local port, serving the shop (in one cache mode) or a reference.

    ``health`` is the path polled until the server answers, and requested to let it work off queued requests.
    """

    def __init__(self, target: Target, workers: int, mode: str, *, app_spec: str = "shop:create_app()",
                 extra_env: dict[str, str] | None = None, health: str = "/healthz", redis_pid: int | None = None):
        self.target = target
        self.mode = mode  # a key of MODES, or "reference"
        self.name = mode if mode in MODES else app_spec.split(".")[-1].split(":")[0]
        self.port = free_port()
        self.workers = workers
        self.extra_env = extra_env or {}
        self.app_spec = app_spec
        self.health = health
        self.redis_pid = redis_pid
        self.cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", app_spec]
        self.process: subprocess.Popen | None = None
        self.log_path = WORKDIR / f"gunicorn-{target.name}-{self.name}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command_text(self) -> str:
        extra = "".join(f" {k}={'redis://127.0.0.1:PORT/0' if k == 'REDIS_URL' else v}"
                        for k, v in self.extra_env.items())
        return f"{self.target.env_text}{extra} .venv/bin/gunicorn -w {self.workers} -b 127.0.0.1:PORT '{self.app_spec}'"

    def __enter__(self) -> Self:
        log("$ " + " ".join(f"{k}={v}" for k, v in self.extra_env.items()) + " "
            + " ".join(shlex.quote(c) for c in self.cmd))
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(self.cmd, cwd=ROOT, env={**self.target.env, **self.extra_env},
                                        stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + self.health, timeout=2) as response:
                    if response.status == 200:
                        log(f"gunicorn pid {self.process.pid} answers on {self.base}")
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def worker_timeouts(self) -> int:
        """How often gunicorn killed a worker for taking longer than its timeout (30 s) over one request."""
        return self.log_path.read_text().count("WORKER TIMEOUT") if self.log_path.exists() else 0

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            log(f"gunicorn pid {self.process.pid} stopped")
        self.log_file.close()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False).stdout
        return [int(p) for p in out.split()]


def shop_server(target: Target, workers: int, mode: str, redis: Redis | None) -> Server:
    """The shop in one cache mode."""
    uses_redis = mode != "cold"
    return Server(target, workers, mode, extra_env=mode_env(mode, redis.url if uses_redis else None),
                  redis_pid=redis.pid if uses_redis else None)


def reference_server(target: Target, workers: int, name: str) -> Server:
    """A reference app (REFERENCES), started as the shop is; it has no /healthz, so its page is polled."""
    app_spec, path, _ = REFERENCES[name]
    return Server(target, workers, "reference", app_spec=app_spec, health=path)


# --------------------------------------------------------------------------------------------- visitors

@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def http_request(base: str, method: str, path: str, headers: dict[str, str] | None = None,
                 body: bytes | None = None) -> Answer:
    """One request, without following redirects."""
    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def session_cookie(response: Answer) -> str | None:
    """The "session=..." pair of the answer's Set-Cookie, if it sets the session."""
    for header in response.headers.get_all("Set-Cookie") or []:
        pair = header.split(";", 1)[0].strip()
        if pair.startswith("session="):
            return pair
    return None


def cart_cookie(server: Server, product_id: int) -> str:
    """A session with one product in the cart, as the Cookie header's value.

    Adds the product as the product page's form does (``POST /handlekurv/legg-til`` with our own Origin: the
    cart takes that without a CSRF token) and takes the session from the 303 answer. That session also holds
    the "... is in your cart" message, which a browser shows on the next page (and a session with a message
    to show is never the same twice), so the page the answer points to is requested once with it, as the
    browser would, and the session it answers with is the one returned.

    Raises:
        RuntimeError: the cart did not answer 303 with a session cookie.
    """
    body = urllib.parse.urlencode({"product_id": product_id, "quantity": 1}).encode()
    response = http_request(server.base, "POST", "/handlekurv/legg-til", body=body, headers={
        "Origin": server.base, "Content-Type": "application/x-www-form-urlencoded"})
    cookie = session_cookie(response)
    if response.status != 303 or not cookie:
        raise RuntimeError(f"POST /handlekurv/legg-til answered {response.status} "
                           f"{'with' if cookie else 'without'} a session cookie")
    location = urllib.parse.urlsplit(response.headers.get("Location") or "/handlekurv")
    path = (location.path or "/") + (f"?{location.query}" if location.query else "")
    shown = http_request(server.base, "GET", path, headers={"Cookie": cookie})
    return session_cookie(shown) or cookie


def visitor_headers(server: Server, pages: Pages, visitors: list[str]) -> dict[str, dict[str, str]]:
    """The request headers of each visitor."""
    headers: dict[str, dict[str, str]] = {}
    for visitor in visitors:
        if visitor == "anonymous":
            headers[visitor] = {}
        elif pages.cart_product_id is None:
            raise RuntimeError("no published product can be put in a cart")
        else:
            headers[visitor] = {"Cookie": cart_cookie(server, pages.cart_product_id)}
    return headers


def check_visitor(server: Server, visitor: str, headers: dict[str, str], path: str) -> list[str]:
    """Request a page twice as the visitor: both must answer 200; in the hit mode the second must come from the
    page cache (X-Cache: hit). Return the warnings (nothing when all is well)."""
    answers = [http_request(server.base, "GET", path, headers=headers) for _ in range(2)]
    where = f"{server.target.name}, {server.mode}, {visitor}: `{path}`"
    warnings = [f"{where} answered {a.status}, not 200" for a in answers if a.status != 200]
    second = answers[1].headers.get("X-Cache") or "no X-Cache header"
    if server.mode == "hit" and second != "hit":
        warnings.append(f"{where}: the second request did not come from the page cache ({second})")
    if session_cookie(answers[1]):
        warnings.append(f"{where}: the answer sets the session cookie again (Set-Cookie), so it is not kept")
    if visitor == "cart" and b'class="cart-count"' not in answers[1].body:
        warnings.append(f"{where}: the page shows no cart count (`class=\"cart-count\"`): is the cookie a cart session?")
    return warnings


def check_status(base: str, paths: list[str], headers: dict[str, str]) -> list[str]:
    """Fetch each path once without following redirects; return the problems (anything but 200)."""
    problems = []
    for path in paths:
        response = http_request(base, "GET", path, headers=headers)
        if response.status != 200:
            problems.append(f"{path} -> {response.status}")
    return problems


# --------------------------------------------------------------------------------------------- load

@dataclass
class LoadResult:
    mode: str  # a key of MODES, or "reference"
    visitor: str
    key: str
    label: str
    url: str
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float
    requests: int
    non_2xx: int
    socket_errors: str
    transfer: str
    cache_hits: int
    cache_misses: int
    non_200: int
    command: str
    output: str
    cpu: dict[str, float] = field(default_factory=dict)
    drain_s: float = 0.0
    attempts: int = 1
    before: str = ""  # a reference: the mode it was measured right before (and whose rows it is compared with)

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.non_200 == 0 and not self.socket_errors

    @property
    def hit_share(self) -> str:
        seen = self.cache_hits + self.cache_misses
        return f"{self.cache_hits / seen * 100:.0f} %" if seen else "-"

    @property
    def errors(self) -> str:
        text = str(max(self.non_2xx, self.non_200))
        return text + (f" (sockets: {self.socket_errors})" if self.socket_errors else "")

    @property
    def tail(self) -> float | None:
        """p99 / p50."""
        return self.p99_ms / self.p50_ms if self.p50_ms else None


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE)}
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    requests = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:\s+(.*)", output)
    bench = re.search(r"bench: X-Cache hit (\d+), miss (\d+), none (\d+); non-200 (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": percentiles[50], "p75_ms": percentiles[75], "p90_ms": percentiles[90], "p99_ms": percentiles[99],
        "avg_ms": _ms(latency.group(1)), "max_ms": _ms(latency.group(3)),
        "requests": int(requests.group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "transfer": re.search(r"Transfer/sec:\s+(\S+)", output).group(1),
        "cache_hits": int(bench.group(1)) if bench else 0,
        "cache_misses": int(bench.group(2)) if bench else 0,
        "non_200": int(bench.group(4)) if bench else 0,
    }


LUA_COUNTERS = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7919)
end
function init(args)
  hits, misses, uncached, non200, counter = 0, 0, 0, 0, 0
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
  local x = headers["X-Cache"]
  if x == "hit" then hits = hits + 1 elseif x == "miss" then misses = misses + 1 else uncached = uncached + 1 end
end
function done(summary, latency, requests)
  local h, m, u, n = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    h = h + t:get("hits"); m = m + t:get("misses"); u = u + t:get("uncached"); n = n + t:get("non200")
  end
  io.write(string.format("bench: X-Cache hit %d, miss %d, none %d; non-200 %d\\n", h, m, u, n))
end
"""

LUA_ROTATION = """
function request()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + offset) % #paths) + 1])
end
"""


def wrk_script(name: str, paths: list[str]) -> Path:
    """A wrk Lua script that counts the answers by status and X-Cache header and, given several paths,
    sends them round-robin (each wrk thread from its own offset). wrk.format keeps the -H headers."""
    lua = "-- written by bench/storefront.py\n" + LUA_COUNTERS
    if len(paths) > 1:
        lua += "paths = {\n" + "".join(f"  {json.dumps(p)},\n" for p in paths) + "}\n" + LUA_ROTATION
    path = WORKDIR / f"wrk-{name}.lua"
    path.write_text(lua)
    return path


def wrk(url: str, *, seconds: int, args, script: Path, headers: dict[str, str]) -> tuple[str, str, float]:
    """Run wrk; return the command (the cookie's value left out), its output and the CPU seconds wrk used."""
    options = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", f"--timeout={args.timeout}s",
           "--latency", *options, "-s", str(script), url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    shown = " ".join(shlex.quote(re.sub(r"^Cookie: session=.*", "Cookie: session=…", c)) for c in cmd)
    return shown, out, cpu


# CPU accounting: the machine is shared, so each run records who used the CPU while it ran.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def process_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(parts[11]) + int(parts[12])) / CLOCK_TICKS  # utime + stime
    return total


def postgres_backends(target: Target) -> list[int]:
    if not target.pg_database:
        return []
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (target.pg_database,)).fetchall()
    return [pid for (pid,) in rows]


def others_cores(seconds: float = 2.0) -> float:
    """Cores used over a short sample while our server is idle, i.e. by other people's work."""
    busy = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - busy) / seconds


def wait_for_quiet(limit: float, threshold: float) -> float:
    """Wait up to limit seconds until other processes use less than threshold cores; return the last sample."""
    deadline = time.monotonic() + limit
    sample = others_cores()
    while sample > threshold and time.monotonic() < deadline:
        log(f"  other processes use {sample:.2f} of {NCPU} cores; waiting for a quieter moment")
        sample = others_cores(5.0)
    return sample


def drain(server: Server, limit: float = 600) -> float:
    """Wait until gunicorn has worked off requests that wrk left queued (sync workers finish what they took)."""
    started = time.monotonic()
    for _ in range(server.workers + 1):
        try:
            with urllib.request.urlopen(server.base + server.health, timeout=limit) as response:
                response.read()
        except (urllib.error.URLError, TimeoutError) as error:
            log(f"  drain: {error}")
    return time.monotonic() - started


def start_py_spy(pids: list[int], name: str, seconds: int) -> list[tuple[subprocess.Popen, Path]]:
    """Sample the gunicorn workers with py-spy (collapsed stacks) during the measured run."""
    spies = []
    for pid in pids:
        path = WORKDIR / f"py-spy-{name}-{pid}.txt"
        cmd = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
               "--format", "raw", "--output", str(path), "--nonblocking"]
        spies.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path))
    return spies


def summarise_py_spy(spies: list[tuple[subprocess.Popen, Path]], title: str, top: int = 30) -> None:
    """Print where the workers spent their samples: by package (self time) and by function (inclusive)."""
    for process, _ in spies:
        process.wait(timeout=60)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for _, path in spies:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            for name in {_frame_name(frame) for frame in frames}:
                inclusive[name] += n
            own[_package(frames[-1])] += n
    if not total:
        print(f"py-spy: no samples for {title}")
        return
    print(f"\npy-spy, {title}: {total} samples from {len(spies)} workers (files {WORKDIR}/py-spy-*)")
    print("  self time by package:")
    for name, n in own.most_common(12):
        print(f"    {n / total * 100:5.1f}%  {name}")
    print("  inclusive time by function (project code and the heavy library calls):")
    shown = 0
    for name, n in inclusive.most_common():
        if any(skip in name for skip in ("gunicorn/", "werkzeug/serving", "<module>", "flask/app.py", "run (")):
            continue
        print(f"    {n / total * 100:5.1f}%  {name}")
        shown += 1
        if shown >= top:
            break


def _frame_name(frame: str) -> str:
    """"render (jinja2/environment.py:1295)" -> "render (jinja2/environment.py)"."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def _package(frame: str) -> str:
    """The package a frame belongs to (py-spy shortens paths to "flask/app.py:1536", "base.html:75")."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    if path.endswith(".html"):
        return "templates (compiled Jinja)"
    top = path.split("/", 1)[0]
    if top in ("catalogue", "shop", "inventory"):
        return "project: " + path
    if "/" in path:
        return top
    return f"{path} ({name})"



def load_test(server: Server, runs: list[tuple[str, str, list[str]]], headers: dict[str, dict[str, str]],
              args) -> list[LoadResult]:
    """Check that every page answers 200 for every visitor, then measure each page for each visitor."""
    for visitor, visitor_headers_ in headers.items():
        singles = [paths[0] for _, _, paths in runs if len(paths) == 1]
        rotated = [p for _, _, paths in runs if len(paths) > 1 for p in paths[:PRODUCTS_ROTATED]]
        problems = check_status(server.base, singles + rotated, visitor_headers_)
        if problems:
            raise RuntimeError(f"pages do not answer 200 ({visitor}): " + ", ".join(problems))
    results = []
    for key, label, paths in runs:
        for visitor, visitor_headers_ in headers.items():
            results.append(measure_best(server, key, label, paths, args, visitor, visitor_headers_))
    return results


def measure_best(server: Server, key: str, label: str, paths: list[str], args, visitor: str,
                 headers: dict[str, str]) -> LoadResult:
    """Measure a URL, again (up to --retries times) while other processes disturbed the run; the least
    disturbed run."""
    best = None
    for attempt in range(1, args.retries + 2):
        result = measure(server, key, label, paths, args, attempt, visitor, headers)
        if best is None or result.cpu["others"] < best.cpu["others"]:
            best = result
        if result.cpu["others"] <= args.noisy_cores:
            break
        if attempt <= args.retries:
            log(f"  other processes took {result.cpu['others']:.2f} cores during the run: measuring again")
    best.attempts = attempt
    if not best.ok:
        print(best.output)
    return best


def measure(server: Server, key: str, label: str, paths: list[str], args, attempt: int, visitor: str,
            headers: dict[str, str]) -> LoadResult:
    """Warm up, measure one URL (or rotation) with wrk, and account for the CPU used meanwhile."""
    name = f"{server.target.name}-{server.name}-{key}-{visitor}"
    script = wrk_script(f"{server.target.name}-{server.name}-{key}", paths)
    url = server.base + paths[0]
    where = f"[{server.target.name}, {server.name}, {visitor}]"
    quiet = wait_for_quiet(args.quiet_wait, args.quiet_cores) if args.quiet_wait > 0 else others_cores()
    log(f"{where} warm-up {args.warmup} s: {label} (other processes used {quiet:.2f} cores just before)")
    wrk(url, seconds=args.warmup, args=args, script=script, headers=headers)
    drained = drain(server)
    log(f"{where} measuring {args.duration} s: {label}" + (f" (attempt {attempt})" if attempt > 1 else ""))
    workers = server.worker_pids()
    backends = postgres_backends(server.target)
    helpers = [server.redis_pid] if server.redis_pid else []
    cpu_before = (machine_busy_seconds(), process_seconds(workers), process_seconds(backends),
                  process_seconds(helpers))
    spies = start_py_spy(workers, name, args.duration) if args.py_spy else []
    wall = time.monotonic()
    command, output, wrk_cpu = wrk(url, seconds=args.duration, args=args, script=script, headers=headers)
    wall = time.monotonic() - wall
    cpu_after = (machine_busy_seconds(), process_seconds(workers), process_seconds(backends),
                 process_seconds(helpers))
    busy, app_cpu, pg_cpu, redis_cpu = (b - a for a, b in zip(cpu_before, cpu_after, strict=True))
    cpu = {"gunicorn": app_cpu / wall, "wrk": wrk_cpu / wall, "postgres": pg_cpu / wall, "redis": redis_cpu / wall,
           "others": max(0.0, busy - app_cpu - wrk_cpu - pg_cpu - redis_cpu) / wall, "before": quiet}
    if spies:
        summarise_py_spy(spies, f"{server.target.name}, {server.name}, {visitor}: {label}")
    drained += drain(server)
    result = LoadResult(mode=server.mode, visitor=visitor, key=key, label=label, url=paths[0], command=command,
                        output=output, cpu=cpu, drain_s=drained, **parse_wrk(output))
    log(f"  {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, errors "
        f"{result.errors}, cache hits {result.hit_share}; cores: gunicorn {cpu['gunicorn']:.2f}, wrk "
        f"{cpu['wrk']:.2f}, postgres {cpu['postgres']:.2f}, redis {cpu['redis']:.2f}, others {cpu['others']:.2f}")
    return result


# --------------------------------------------------------------------------------------------- report

def machine_facts() -> dict[str, str]:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout.strip()

    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    facts = {
        "nproc": sh("nproc"),
        "CPU": cpu.group(1) if cpu else platform.processor(),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": sh(". /etc/os-release && echo $PRETTY_NAME") + f", kernel {platform.release()}",
        "Python": sh(f"{BIN / 'python'} --version"),
        "SQLite": sh(f"{BIN / 'python'} -c 'import sqlite3; print(sqlite3.sqlite_version)'"),
        "gunicorn": sh(f"{BIN / 'gunicorn'} --version"),
        "wrk": sh("wrk -v 2>&1 | head -1").split(" Copyright")[0],
        "Redis": sh("redis-server --version").split(" sha=")[0] or "not installed",
        "load average at the start": Path("/proc/loadavg").read_text().split(" ")[0],
        "commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
    }
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            facts["PostgreSQL"] = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
    except Exception as error:  # noqa: BLE001 (a fact, not a failure)
        facts["PostgreSQL"] = f"not reachable ({error.__class__.__name__})"
    return facts




PAGE_NAMES = {"home": "home", "category": "category", "product": "product page", "search": "search (common word)",
              "search_rare": "search (rarer word)", "product_tail": "product page, long tail",
              "bare": "bare app", "plain": "plain page"}


def references(load: list[LoadResult]) -> dict[tuple[str, str], LoadResult]:
    """The references by (the mode they were measured right before, which)."""
    return {(r.before, r.key): r for r in load if r.mode == "reference"}


def ratio(r: LoadResult, refs: dict[tuple[str, str], LoadResult]) -> tuple[float | None, str]:
    """The row's req/s as a share of its reference's (bare for hit rows, plain otherwise, measured right
    before the row's mode), and which."""
    name = reference_for(r.mode)
    ref = refs.get((r.mode, name))
    return (r.rps / ref.rps if ref and ref.rps else None), name


def ratio_text(r: LoadResult, refs: dict[tuple[str, str], LoadResult]) -> str:
    value, name = ratio(r, refs)
    return f"{value:.2f} × {name}" if value is not None else "-"


def tail_text(r: LoadResult) -> str:
    return f"{r.tail:.1f}" if r.tail is not None else "-"


def ratio_check(where: str, r: LoadResult, refs: dict[tuple[str, str], LoadResult], goal: float
                ) -> tuple[str, bool]:
    value, name = ratio(r, refs)
    if value is None:
        return f"{where} >= {goal:.1f} × {name}: no {name} reference measured", False
    return (f"{where} >= {goal:.1f} × {name}: {r.rps:.0f} req/s = {value:.2f} × {refs[(r.mode, name)].rps:.0f} req/s",
            r.ok and value >= goal)


def statement_checks(name: str, large: list[QueryCount], small: list[QueryCount], sizes: tuple[int, int]
                     ) -> list[tuple[str, bool]]:
    """One check per in-process cache setting: does every page run as many statements on both catalogues?"""
    counts = {(q.config, q.key): q.queries for q in small}
    checks = []
    for config, (config_label, _) in COUNT_CONFIGS.items():
        rows = [q for q in large if q.config == config]
        if not rows:
            continue
        differ = [f"{q.label}: {q.queries} vs {counts.get((config, q.key), '-')}" for q in rows
                  if counts.get((config, q.key)) != q.queries]
        text = (f"{name}, {config_label}: SQL statements per page the same at {sizes[0]} and {sizes[1]} published "
                f"products ({len(rows)} page{'s' if len(rows) != 1 else ''}" + (f"; differ: {'; '.join(differ)})" if differ else ")"))
        checks.append((text, not differ))
    return checks


def verdicts(name: str, run_: dict) -> list[tuple[str, bool]]:
    """The targets of issue 11 for one database: (what was checked, met); the req/s ratios first, then the
    latency tails, the errors and the statement counts."""
    load: list[LoadResult] = run_["load"]
    refs = references(load)
    shop = [r for r in load if r.mode != "reference"]
    ratios, tails = [], []
    for r in shop:
        where = f"{name}, {r.mode}, {r.visitor}: {PAGE_NAMES.get(r.key, r.key)}"
        if r.mode == "hit" and r.key not in NO_TARGET:
            ratios.append(ratio_check(where, r, refs, HIT_TARGET))
        elif r.mode == "miss" and r.key in MISS_TARGETS:
            ratios.append(ratio_check(where, r, refs, MISS_TARGETS[r.key]))
        tails.append(tail_check(where, r))
    errors = [(f"{name}, {r.mode}, {r.visitor}: {PAGE_NAMES.get(r.key, r.key)}: errors {r.errors}", False)
              for r in load if not r.ok]
    sizes = (run_["pages"].published, run_["small_pages"].published)
    return ratios + tails + errors + statement_checks(name, run_["queries"], run_["small_queries"], sizes)


def tail_check(where: str, r: LoadResult) -> tuple[str, bool]:
    if r.tail is None:
        return f"{where}: p99 < {P99_OVER_P50:.0f} × p50: no request answered", False
    text = f"{where}: p99 < {P99_OVER_P50:.0f} × p50: p99 {r.p99_ms:.1f} ms = {r.tail:.1f} × p50 ({r.p50_ms:.1f} ms)"
    return text, r.ok and r.tail < P99_OVER_P50


def server_ms(r: LoadResult) -> str:
    """CPU milliseconds the server side (gunicorn workers, PostgreSQL backends, Redis) spent per answered request."""
    if not r.rps:
        return "-"
    return f"{(r.cpu['gunicorn'] + r.cpu['postgres'] + r.cpu['redis']) / r.rps * 1000:.1f}"


def cores(r: LoadResult) -> str:
    c = r.cpu
    return f"{c['gunicorn']:.2f} / {c['wrk']:.2f} / {c['postgres']:.2f} / {c['redis']:.2f} / {c['others']:.2f}"


def fmt(value: float) -> str:
    return f"{value:.1f}"


def report_intro(runs: dict, args, facts: dict, started: dt.datetime) -> list[str]:
    minutes = (dt.datetime.now() - started).total_seconds() / 60
    out = ["# Storefront benchmark results", ""]
    out.append(f"Date: {started:%Y-%m-%d %H:%M} (machine's local time; the run took {minutes:.0f} min). Written by "
               "`bench/storefront.py`" + (f" at commit `{facts['commit']}`." if facts.get("commit") else "."))
    out.append("")
    out.append("Command: `" + " ".join([".venv/bin/python", "bench/storefront.py"] + sys.argv[1:]) + "`")
    out.append("")
    out.append("Databases: SQLite as the app creates it (`flask db upgrade`, then `flask seed-bench --products "
               f"{args.products}`; no `ANALYZE`); PostgreSQL the same plus `VACUUM ANALYZE` after the seed (what "
               f"autovacuum would do shortly after). A second, small database of each kind (`--products "
               f"{args.small_products}`) is only used to count SQL statements.")
    out.append("")
    modes = [m for m in MODES if any(r.mode == m for run_ in runs.values() for r in run_["load"])]
    visitors = [v for v in VISITORS if any(r.visitor == v and r.mode != "reference"
                                           for run_ in runs.values() for r in run_["load"])]
    out.append(f"Load: `wrk -t{args.threads} -c{args.connections} -d{args.duration}s --timeout={args.timeout}s "
               "--latency [-H 'Cookie: session=…'] -s wrk-….lua URL` (the Lua script counts answers by status and "
               "`X-Cache` header and, for the product pages, rotates over the paths) after a "
               f"{args.warmup} s warm-up with the same settings, one URL after the other; gunicorn with "
               f"{args.workers} sync workers (`gunicorn -w {args.workers} -b 127.0.0.1:PORT 'shop:create_app()'`, "
               "and the same for the references). Modes: "
               + "; ".join(f"**{m}**: {MODES[m]}" for m in modes) + " (a private redis-server, emptied between "
               "the modes). Visitors: " + "; ".join(f"**{v}**: {VISITORS[v]}" for v in visitors) + ". References, "
               "in the same run with the same settings: " + "; ".join(
                   f"**{k}**: {label}" for k, (_, _, label) in REFERENCES.items())
               + f". **wrk runs on the same {facts['nproc']}-core machine as gunicorn and the database**, so it "
               "competes with them for CPU (the references pay the same price); a separate load machine would "
               "show somewhat higher numbers.")
    out.append("")
    return out


def results_table(name: str, run_: dict) -> list[str]:
    """One database's shop rows."""
    load: list[LoadResult] = run_["load"]
    refs = references(load)
    out = [f"### {name} ({run_['pages'].published} published products)", ""]
    out.append("| mode | visitor | page | req/s | ratio (hit: to bare; cold, miss: to plain) | p50 | p90 | p99 "
               "| p99/p50 | errors | hits | server CPU ms/req | cores: gunicorn / wrk / postgres / redis / others "
               "| runs |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in load:
        if r.mode == "reference":
            continue
        out.append(f"| {r.mode} | {r.visitor} | {r.label} | {r.rps:.0f} | {ratio_text(r, refs)} | {fmt(r.p50_ms)} "
                   f"| {fmt(r.p90_ms)} | {fmt(r.p99_ms)} | {tail_text(r)} | {r.errors} | {r.hit_share} "
                   f"| {server_ms(r)} | {cores(r)} | {r.attempts} |")
    out.append("")
    return out


def references_table(runs: dict) -> list[str]:
    out = ["## References", ""]
    out.append("The same gunicorn settings and the same wrk settings, in the same run, on the same database; "
               "`bench/ref_bare.py` answers \"Hello\"; `bench/ref_plain.py` runs two statements (24 published "
               "products joined with their unit, newest first, `LIMIT 24 OFFSET 24`; the count of published "
               "products) and renders `bench/templates/plain.html`.")
    out.append("")
    out.append("Each is measured right before the rows of the mode it is compared with (the plain page before "
               "cold and before miss, the bare app before hit), so that the machine's drift over a run (other "
               "work on the same host) moves a row and its reference alike.")
    out.append("")
    out.append("| database | reference | measured before | req/s | p50 | p90 | p99 | p99/p50 | errors "
               "| server CPU ms/req | cores: gunicorn / wrk / postgres / redis / others | runs |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, run_ in runs.items():
        for r in run_["load"]:
            if r.mode == "reference":
                out.append(f"| {name} | {r.label} | {r.before} | {r.rps:.0f} | {fmt(r.p50_ms)} | {fmt(r.p90_ms)} "
                           f"| {fmt(r.p99_ms)} | {tail_text(r)} | {r.errors} | {server_ms(r)} | {cores(r)} "
                           f"| {r.attempts} |")
    out.append("")
    return out


def verdicts_section(runs: dict, args) -> list[str]:
    out = ["## Targets (issue 11)", ""]
    out.append(f"- cached pages (**hit**), anonymous and with a cart session: at least {HIT_TARGET * 100:.0f} % of the bare "
               "app's requests/s (every page but the long tail, whose hit share depends on how warm the cache is);")
    out.append(f"- rendered (cache-miss, **miss**) category and search pages: at least {MISS_TARGETS['category'] * 100:.0f} % "
               f"of the plain page's requests/s; the product page at least {MISS_TARGETS['product'] * 100:.0f} %;")
    out.append(f"- p99 under {P99_OVER_P50:.0f} × p50 on every page (every shop row, cold rows included);")
    out.append("- SQL statements per page constant in catalogue size (in process, see below);")
    out.append("- and no errors on any row. The cold rows have no req/s target.")
    if args.connections != 16 or args.workers != 2:
        out.append("")
        out.append(f"**This run used {args.connections} connections and {args.workers} workers, where the issue's "
                   "runs use 16 and 2.**")
    out.append("")
    summary = []
    for name, run_ in runs.items():
        checks = verdicts(name, run_)
        for text, ok in checks:
            out.append(f"- {'MET' if ok else '**NOT MET**'}: {text}")
        summary.append(f"{name}: {sum(ok for _, ok in checks)} of {len(checks)}")
    out.append("")
    out.append("**Target checks met: " + "; ".join(summary) + ".**")
    out.append("")
    return out


def statements_section(runs: dict) -> list[str]:
    out = ["## SQL statements per page", ""]
    out.append("In process: `create_app(...)` on the same database and on the small one, a SQLAlchemy "
               "`before_cursor_execute` listener counting statements, each URL requested twice through "
               "`app.test_client()` and the second request counted. **cache off**: `PAGE_CACHE_SECONDS=0, "
               "FRAGMENT_CACHE_SECONDS=0`; **fragments warm**: `PAGE_CACHE_SECONDS=0` with the fragments kept (in "
               "the process's memory, as without `REDIS_URL`), so the first request kept them; **page cache hit**: "
               "the defaults, the second request a hit (it must run none). The small catalogue's pages are picked "
               "the same way from its own data (its URLs differ). \"SQL ms\" (large catalogue) is the sum over the "
               "page's statements, each run again on its own with all rows fetched (best of 3, or one run if over "
               "1 s); \"request ms\" is the whole request in process (wall clock, one request, no concurrency; for "
               "SQLite it includes the database work) and \"CPU ms\" the CPU time of this process for it.")
    out.append("")
    for name, run_ in runs.items():
        large, small = run_["pages"].published, run_["small_pages"].published
        counts = {(q.config, q.key): q.queries for q in run_["small_queries"]}
        out.append(f"### {name}")
        out.append("")
        out.append(f"| cache (in process) | page | URL ({large} products) | status | X-Cache | statements: {large} "
                   f"products | statements: {small} products | constant | SQL ms | request ms | CPU ms |")
        out.append("|---|---|---|---:|---|---:|---:|---|---:|---:|---:|")
        for q in run_["queries"]:
            other = counts.get((q.config, q.key))
            out.append(f"| {COUNT_CONFIGS[q.config][0]} | {q.label} | `{q.url}` | {q.status} | {q.cache or '-'} "
                       f"| {q.queries} | {other if other is not None else '-'} | "
                       f"{'yes' if other == q.queries else '**no**'} | {q.sql_ms:.1f} | {q.request_ms:.1f} "
                       f"| {q.cpu_ms:.1f} |")
        out.append("")
    return out


def pages_section(runs: dict) -> list[str]:
    out = ["## Pages measured", ""]
    for name, run_ in runs.items():
        p: Pages = run_["pages"]
        s: Pages = run_["small_pages"]
        prepared = run_["seed_seconds"]
        out.append(f"- {name}: {p.published} published products "
                   + (f"(database prepared in {prepared:.0f} s)" if prepared else "(reused database, --skip-seed)")
                   + f"; largest category *{p.category_name}* `{p.category}` with {p.category_products} products "
                   f"(children included); search `{p.search_term}` ({p.search_hits} hits) and the rarer "
                   f"`{p.rare_term}` ({p.rare_hits} hits); product pages rotate over {len(p.products)} random "
                   f"published products, for example `{p.products[0]}` (and, in the hit mode, over "
                   f"{len(p.long_tail)}); the cart visitor has product {p.cart_product_id} in the cart. Small "
                   f"catalogue: {s.published} published products, category `{s.category}` ({s.category_products} "
                   f"products), search `{s.search_term}` ({s.search_hits} hits) and `{s.rare_term}` "
                   f"({s.rare_hits} hits).")
        for server, (command, timeouts) in run_["servers"].items():
            out.append(f"  - {server}: `{command}`; gunicorn killed a worker for exceeding its 30 s timeout "
                       f"{timeouts} times.")
    out.append("")
    return out


def raw_section(runs: dict) -> list[str]:
    out = ["## Raw wrk output", ""]
    for name, run_ in runs.items():
        for r in run_["load"]:
            out += [f"<details><summary>{name}, {r.mode}, {r.visitor}: {r.label}</summary>", "", "```",
                    f"$ {r.command}", r.output.rstrip(), "```", "", "</details>", ""]
    return out


def report(runs: dict, args, facts: dict, started: dt.datetime) -> str:
    out = report_intro(runs, args, facts, started)
    warnings = [w for run_ in runs.values() for w in run_["warnings"]]
    for warning in warnings:
        out += [f"**Warning:** {warning}", ""]
    out += ["## Machine", ""]
    out += [f"- {key}: {value}" for key, value in facts.items() if key != "commit"]
    out += ["", "## Results", ""]
    out.append(f"Latencies in milliseconds (of the answered requests). \"ratio\" is the row's req/s divided by the "
               "bare app's (hit rows) or the plain page's (cold and miss rows) in the same run on the same "
               f"database. \"errors\" counts answers other than 200 and socket errors (a request unanswered after "
               f"{args.timeout} s is a timeout); any is a failure. \"hits\" is the share of answers that came from "
               "the page cache (`X-Cache: hit`; \"-\" where no answer had the header). \"server CPU ms/req\" is "
               "(gunicorn + PostgreSQL + Redis CPU) / answered requests: it does not depend much on the competition "
               f"for the CPU, and {facts['nproc']} × 1000 / it is about the best throughput the page can reach on an "
               "idle machine with the load generator elsewhere. \"cores\" is the CPU used during the measured run, "
               f"in cores (of {facts['nproc']}): the gunicorn workers, wrk, the PostgreSQL backends of the benchmark "
               "database, Redis, and everything else on the machine (other people's work: the machine is shared; "
               f"the script waits up to {args.quiet_wait:.0f} s before each URL for others to use less than "
               f"{args.quiet_cores} cores, and measures a URL again, up to {args.retries} more times, when others "
               f"took more than {args.noisy_cores} cores during the run, reporting the least disturbed run; \"runs\" "
               "says how many it took).")
    out.append("")
    for name, run_ in runs.items():
        out += results_table(name, run_)
    out += references_table(runs)
    out += verdicts_section(runs, args)
    out += statements_section(runs)
    out += pages_section(runs)
    out += raw_section(runs)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- main

SHOP_PAGES = ("home", "category", "product", "search", "search_rare", "product_tail")


def load_runs_per_database(args, modes: list[str], visitors: list[str]) -> int:
    """How many wrk runs one database takes (each mode's reference, then every page of the mode per visitor)."""
    runs = len(modes)
    for mode in modes:
        keys = [k for k in SHOP_PAGES if (k != "product_tail" or mode == "hit") and (not args.pages or k in args.pages)]
        runs += len(keys) * len(visitors)
    return runs


def estimate_minutes(args, databases: int, modes: list[str], visitors: list[str]) -> tuple[float, float]:
    """About how long the run takes when the machine is quiet, and at most when others keep it busy (every
    run waits --quiet-wait and is measured --retries more times)."""
    runs = load_runs_per_database(args, modes, visitors)
    per_run = args.warmup + args.duration + 3  # the 2 s sample of others' CPU, the drains, wrk starting
    seed = 0 if args.skip_seed else 40 + (args.products + args.small_products) * 1.5 / 1000  # the demo: ~20 s each
    fixed = seed + 60 + 5 * 2 * len(modes)  # pages, in-process counts, servers starting
    typical = databases * (fixed + runs * per_run)
    worst = databases * (fixed + runs * (args.retries + 1) * (per_run + args.quiet_wait))
    return typical / 60, worst / 60


def bench_database(name: str, args, modes: list[str], visitors: list[str]) -> dict:
    """Everything for one database: prepare both catalogues, count statements, measure references and modes."""
    target = make_target(name, args.products)
    small = make_target(name, args.small_products, small=True)
    seed_seconds = prepare_both(target, small, args.skip_seed)
    pages = pick_pages(make_app(target))
    small_pages = pick_pages(make_app(small))
    log(f"{name}: category {pages.category} ({pages.category_products} products), search "
        f"{pages.search} ({pages.search_hits}), rare {pages.rare_search} ({pages.rare_hits}), "
        f"{len(pages.products)} product pages, cart product {pages.cart_product_id}")
    queries = count_queries(target, pages, show_sql=args.sql_log, explain=args.explain)
    small_queries = count_queries(small, small_pages, timed=False)
    log_counts(queries, small_queries, pages.published, small_pages.published)

    load: list[LoadResult] = []
    servers: dict[str, tuple[str, int]] = {}
    warnings: list[str] = []
    redis = Redis() if set(modes) - {"cold"} else None
    try:
        if redis:
            redis.__enter__()
        for mode in modes:
            # The mode's reference is measured right before its rows: the machine's speed drifts over a run
            # (other machines' work on the same host), and a reference measured minutes away drifts with it.
            ref = reference_for(mode)
            _, path, label = REFERENCES[ref]
            with reference_server(target, args.workers, ref) as server:
                result = measure_best(server, ref, label, [path], args, "anonymous", {})
                result.before = mode
                load.append(result)
            servers[ref] = (server.command_text(), server.worker_timeouts())
            if redis:
                redis.flush()
            with shop_server(target, args.workers, mode, redis) as server:
                headers = visitor_headers(server, pages, visitors)
                warnings += check_mode(server, pages, headers, redis)
                runs = [r for r in pages.measured(mode) if not args.pages or r[0] in args.pages]
                load += load_test(server, runs, headers, args)
            servers[mode] = (server.command_text(), server.worker_timeouts())
            if servers[mode][1]:
                log(f"{name}: gunicorn killed a worker {servers[mode][1]} times (WORKER TIMEOUT, see "
                    f"{server.log_path})")
    finally:
        if redis:
            redis.__exit__()
    return {"pages": pages, "small_pages": small_pages, "queries": queries, "small_queries": small_queries,
            "load": load, "servers": servers, "seed_seconds": seed_seconds, "warnings": warnings}


def check_mode(server: Server, pages: Pages, headers: dict[str, dict[str, str]], redis: Redis | None) -> list[str]:
    """Each visitor's requests answer 200 (and, in the hit mode, come from the cache the second time); with
    REDIS_URL the app keeps something in Redis. Return the warnings, and log them."""
    warnings = []
    for visitor, visitor_headers_ in headers.items():
        warnings += check_visitor(server, visitor, visitor_headers_, pages.category)
    if server.mode != "cold" and redis and redis.keys() == 0:
        warnings.append(f"{server.target.name}, {server.mode}: the app kept nothing in Redis (REDIS_URL set)")
    for warning in warnings:
        log(f"WARNING: {warning}")
    if not warnings:
        log(f"  {server.mode}: every visitor's page answers 200" + (", the second time from the cache"
                                                                    if server.mode == "hit" else ""))
    return warnings


def log_counts(large: list[QueryCount], small: list[QueryCount], large_size: int, small_size: int) -> None:
    counts = {(q.config, q.key): q.queries for q in small}
    log(f"SQL statements per page ({large_size} / {small_size} products):")
    for q in large:
        log(f"  {COUNT_CONFIGS[q.config][0]:>15}: {q.queries:3d} / {counts.get((q.config, q.key), '-'):>3}  "
            f"{q.sql_ms:7.1f} ms SQL  {q.request_ms:7.1f} ms  {q.cpu_ms:7.1f} ms CPU  {q.status} "
            f"{q.cache or '-':>8}  {q.url}")


def choices(value: str, allowed, what: str) -> list[str]:
    """A comma-separated option, checked against what it may contain (in the given order)."""
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    if unknown := set(chosen) - set(allowed):
        raise argparse.ArgumentTypeError(f"unknown {what}: {', '.join(sorted(unknown))} (from {','.join(allowed)})")
    return [v for v in allowed if v in chosen]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--modes", type=lambda v: choices(v, MODES, "mode"), default=list(MODES),
                        help="cache modes to measure, comma-separated from cold,miss,hit (default: all three)")
    parser.add_argument("--visitors", type=lambda v: choices(v, VISITORS, "visitor"), default=list(VISITORS),
                        help="visitors to measure every page for, from anonymous,cart (default: both)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per URL (default 2)")
    parser.add_argument("--timeout", type=int, default=10,
                        help="wrk: a request without an answer after this many seconds is an error (default 10)")
    parser.add_argument("--quiet-wait", type=float, default=5,
                        help="before each URL wait up to this many seconds for other processes to use less than "
                             "--quiet-cores of the CPU (default 5; 0: do not wait)")
    parser.add_argument("--quiet-cores", type=float, default=0.3, help="see --quiet-wait (default 0.3 cores)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure a URL again (up to this many times) when other processes took more than "
                             "--noisy-cores during the run; the least disturbed run is reported (default 2)")
    parser.add_argument("--noisy-cores", type=float, default=0.25, help="see --retries (default 0.25 cores)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--products", type=int, default=20000, help="products for seed-bench (default 20000)")
    parser.add_argument("--small-products", type=int, default=None,
                        help=f"products of the small catalogue the statements are also counted on (default "
                             f"{SMALL_PRODUCTS}, or a tenth of --products when that is not more)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the databases prepared by an earlier run")
    parser.add_argument("--keep", action="store_true", help="do not drop the PostgreSQL databases at the end")
    parser.add_argument("--drop", action="store_true",
                        help=f"only drop the PostgreSQL databases {PG_DATABASE} and {PG_SMALL_DATABASE} (left by "
                             "--keep) and exit")
    parser.add_argument("--pages", type=lambda v: choices(v, SHOP_PAGES, "page"), default=None,
                        help="only these shop pages, comma-separated from " + ",".join(SHOP_PAGES)
                             + " (for trying things out; the references are always measured)")
    parser.add_argument("--sql-log", action="store_true", help="print every SQL statement of each page with its time")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of each statement taking 1 ms or more (EXPLAIN QUERY PLAN on SQLite, "
                             "EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL)")
    parser.add_argument("--py-spy", action="store_true",
                        help="sample the gunicorn workers with py-spy during each measured run and print where the "
                             "time goes (needs .venv/bin/py-spy; costs a little CPU, so not for the reported numbers)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"markdown file (default {RESULTS})")
    args = parser.parse_args()
    if args.small_products is None:
        args.small_products = SMALL_PRODUCTS if args.products > SMALL_PRODUCTS else max(1, args.products // 10)
    return args


def main() -> None:
    args = parse_args()
    if args.drop:
        drop_pg_database(PG_DATABASE)
        drop_pg_database(PG_SMALL_DATABASE)
        return
    if not (BIN / "gunicorn").exists():
        sys.exit(f"{BIN / 'gunicorn'} is missing: install gunicorn into the virtualenv")
    if subprocess.run(["which", "wrk"], capture_output=True, check=False).returncode:
        sys.exit("wrk is missing: apt-get install -y wrk")
    if set(args.modes) - {"cold"} and subprocess.run(["which", "redis-server"], capture_output=True, check=False).returncode:
        sys.exit("redis-server is missing (the miss and hit modes need it): apt-get install -y redis-server, "
                 "or --modes cold")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now()
    facts = machine_facts()
    names = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    typical, worst = estimate_minutes(args, len(names), args.modes, args.visitors)
    log(f"{len(names)} database(s) × {load_runs_per_database(args, args.modes, args.visitors)} load runs of "
        f"{args.warmup} + {args.duration} s: about {typical:.0f} min on a quiet machine, up to {worst:.0f} min if "
        "other processes keep it busy (waits and repeated runs)")
    runs: dict[str, dict] = {}
    try:
        for name in names:
            runs[name] = run_ = bench_database(name, args, args.modes, args.visitors)
            (WORKDIR / f"results-{name}.json").write_text(json.dumps({
                "pages": asdict(run_["pages"]), "small_pages": asdict(run_["small_pages"]),
                "load": [asdict(r) for r in run_["load"]], "warnings": run_["warnings"],
                "queries": [{k: v for k, v in asdict(q).items() if k != "statements"}
                            for q in run_["queries"] + run_["small_queries"]],
            }, indent=2))
    finally:
        if "postgres" in names and not args.keep:
            drop_pg_database(PG_DATABASE)
            drop_pg_database(PG_SMALL_DATABASE)
        elif "postgres" in names:
            log(f"keeping PostgreSQL databases {PG_DATABASE} and {PG_SMALL_DATABASE}")

    text = report(runs, args, facts, started)
    print()
    print(text)
    args.output.write_text(text)
    log(f"wrote {args.output}")
    if not all(r.ok for run_ in runs.values() for r in run_["load"]):
        sys.exit("some requests failed (errors other than 200 or timeouts): see the wrk output above")


if __name__ == "__main__":
    main()
