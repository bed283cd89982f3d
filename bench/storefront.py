"""Storefront benchmark: throughput, latency and SQL queries of the public pages on a 20 000-product catalogue.

What it measures
    For SQLite and/or PostgreSQL, with the large benchmark catalogue (``flask seed-bench --products 20000``,
    which loads the demo data too), served by gunicorn with 2 sync workers on 127.0.0.1:

    * the home page ``/``;
    * the largest category page ``/kategori/<slug>`` (the category with the most published products,
      children included);
    * a product page ``/produkt/<slug>``, rotating over 50 random published products (wrk Lua script);
    * a search ``/sok?q=<common word>`` (the most frequent title word among a few typical Norwegian nouns)
      and a second search for a rarer word;
    * with the page cache on, also product pages rotating over 5 000 products (the long tail: most
      visits to a 20 000-product shop are not to the same 50 pages).

    The app keeps whole pages for visitors without a session cookie (``shop/pagecache.py``,
    ``PAGE_CACHE_SECONDS``), and wrk sends no cookies, so every page is measured in up to three modes:
    ``off`` (``PAGE_CACHE_SECONDS=0``: what every cache miss and every visitor with a session - cart, login -
    costs), ``local`` (the default: a cache in each gunicorn worker) and ``redis`` (``REDIS_URL`` set, as in
    production: one cache shared by the workers; the script starts a private redis-server on a free port).

    Each URL gets a warm-up (3 s) and then a measured ``wrk -t2 -c16 -d20s --latency`` run; the script
    reports requests/s, p50, p90, p99, errors (non-2xx/3xx, non-200, socket errors and timeouts), the share of
    cache hits (``X-Cache``), and who used the CPU during the run (gunicorn, wrk, PostgreSQL, Redis, other
    people's work: the machine is shared; a run that others disturbed is repeated, ``--retries``, and the least
    disturbed one is reported). Before the load each URL is fetched once and must answer 200.

    Separately, in process, the app is built with ``create_app(...)`` on the same database (page cache off) and
    a SQLAlchemy ``before_cursor_execute`` listener counts the SQL statements of one request per page
    (``app.test_client()``); this includes page 1 and page 2 of the category page (24 products each) to show
    the count does not grow with the products shown, and a cache hit (which must run none).
    ``--sql-log`` prints each statement with its time, ``--explain`` their plans, ``--py-spy`` samples the
    workers during each run and prints where the time goes.

    The result tables, the exact commands, the machine facts and the targets of the issue (16 connections,
    gunicorn 2 workers: >= 400 req/s category and search, >= 600 req/s product page, p99 < 60 ms) are printed
    and written to ``bench/results-storefront.md``.

    Note: wrk runs on the same 2-core machine as gunicorn (and the database), so it takes CPU from the server.

How to run (from the project root, with the virtualenv in .venv; ``apt-get install -y wrk redis-server``)::

    .venv/bin/python bench/storefront.py                       # both databases, all cache modes, 30-90 min
    .venv/bin/python bench/storefront.py --database sqlite --cache off --duration 20 --connections 16
    .venv/bin/python bench/storefront.py --database postgres --keep            # keep the database ...
    .venv/bin/python bench/storefront.py --database postgres --skip-seed --cache off --pages product --py-spy
    .venv/bin/python bench/storefront.py --drop                                 # ... and drop it later

SQLite uses a fresh file /tmp/bench-storefront/shop.sqlite (media in /tmp/bench-storefront/media-sqlite);
PostgreSQL a fresh database ``bench_storefront`` on 127.0.0.1:5432 (user postgres, trust auth), dropped at the
end unless ``--keep``. ``--skip-seed`` reuses a database prepared by an earlier run (with ``--keep`` for
PostgreSQL). No other database is touched.
"""
from __future__ import annotations

import argparse
import datetime as dt
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
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
WORKDIR = Path("/tmp/bench-storefront")
RESULTS = ROOT / "bench" / "results-storefront.md"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "bench_storefront"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
PRODUCTS_ROTATED = 50
LONG_TAIL_PRODUCTS = 5000
SEARCH_CANDIDATES = ("benk", "eik", "stol", "bord", "krakk", "hylle", "skjaerebrett", "pute", "kopp", "fat")
SEED = 20240501
CACHE_MODES = {
    "off": "page cache off (PAGE_CACHE_SECONDS=0): every request renders",
    "local": "page cache on, in each worker (the default SimpleCache)",
    "redis": "page cache on, in Redis shared by the workers (REDIS_URL, as in production)",
}

# The targets from the issue (16 connections, gunicorn 2 sync workers).
TARGET_RPS = {"category": 400, "search": 400, "product": 600}
TARGET_P99_MS = 60.0


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
    """One database to benchmark."""

    name: str  # "sqlite" or "postgres"
    url: str
    media_root: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PAGE_CACHE_SECONDS")}
        env.update(DATABASE_URL=self.url, MEDIA_ROOT=str(self.media_root), SECRET_KEY="bench")
        return env

    @property
    def env_text(self) -> str:
        return f"DATABASE_URL={self.url} MEDIA_ROOT={self.media_root} SECRET_KEY=bench"


def make_target(name: str) -> Target:
    if name == "sqlite":
        return Target("sqlite", f"sqlite:///{WORKDIR / 'shop.sqlite'}", WORKDIR / "media-sqlite")
    return Target("postgres", PG_URL, WORKDIR / "media-postgres")


# --------------------------------------------------------------------------------------------- database

def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def pg_database_exists() -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone() is not None


def drop_pg_database() -> None:
    log(f"dropping PostgreSQL database {PG_DATABASE}")
    pg_admin(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def prepare(target: Target, products: int, skip_seed: bool) -> float | None:
    """Create a fresh database with the benchmark catalogue; return the seconds it took (None if reused)."""
    if skip_seed:
        if target.name == "sqlite" and not (WORKDIR / "shop.sqlite").exists():
            sys.exit(f"--skip-seed: {WORKDIR / 'shop.sqlite'} does not exist; run once without it")
        if target.name == "postgres" and not pg_database_exists():
            sys.exit(f"--skip-seed: database {PG_DATABASE} does not exist; run once with --keep")
        log(f"{target.name}: reusing the prepared database ({target.url})")
        return None
    started = time.monotonic()
    subprocess.run(["rm", "-rf", str(target.media_root)], check=True)
    target.media_root.mkdir(parents=True)
    if target.name == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{WORKDIR / 'shop.sqlite'}{suffix}").unlink(missing_ok=True)
    else:
        drop_pg_database()
        log(f"creating PostgreSQL database {PG_DATABASE}")
        pg_admin(f'CREATE DATABASE "{PG_DATABASE}"')
    flask = [str(BIN / "flask"), "--app", "shop"]
    run(flask + ["db", "upgrade"], env=target.env, stdout=subprocess.DEVNULL)
    run(flask + ["seed-bench", "--products", str(products)], env=target.env)
    if target.name == "postgres":  # fresh tables: give the planner statistics, as autovacuum would soon
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    seconds = time.monotonic() - started
    log(f"{target.name}: database ready in {seconds:.0f} s")
    return seconds


# --------------------------------------------------------------------------------------------- in-process app

def make_app(target: Target, *, page_cache: bool = False):
    """The app on the benchmark database, in this process (page cache off unless asked)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from shop import create_app

    config = {"SQLALCHEMY_DATABASE_URI": target.url, "MEDIA_ROOT": str(target.media_root), "SECRET_KEY": "bench"}
    if not page_cache:
        config["PAGE_CACHE_SECONDS"] = 0
    return create_app(config)


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

    def measured(self, mode: str) -> list[tuple[str, str, list[str]]]:
        """(key, label, paths) of each load run; a run with several paths rotates over them."""
        runs = [
            ("home", "home `/`", [self.home]),
            ("category", f"category `{self.category}` ({self.category_products} products)", [self.category]),
            ("product", f"product page (rotating over {len(self.products)} products)", self.products),
            ("search", f"search `{self.search}` ({self.search_hits} hits)", [self.search]),
            ("search_rare", f"search `{self.rare_search}` ({self.rare_hits} hits)", [self.rare_search]),
        ]
        if mode != "off":  # without the cache the long tail costs what the product page costs
            runs.append(("product_tail", f"product page (rotating over {len(self.long_tail)} products)",
                         self.long_tail))
        return runs


def pick_pages(app) -> Pages:
    from sqlalchemy import func, select

    from catalogue import browse as listing
    from catalogue.browse import Filters
    from catalogue.models import Product, Unit
    from catalogue.search import STOP_WORDS, fold, terms
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

        published = list(session.scalars(
            select(Product.slug).join(Unit, Unit.id == Product.unit_id)
            .where(Product.status == "published", Unit.active.is_(True)).order_by(Product.id)
        ))
        products = [f"/produkt/{s}" for s in random.Random(SEED).sample(published, PRODUCTS_ROTATED)]
        long_tail = [f"/produkt/{s}" for s in
                     random.Random(SEED + 1).sample(published, min(LONG_TAIL_PRODUCTS, len(published)))]

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
        )


@dataclass
class QueryCount:
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


def count_queries(target: Target, pages: Pages, show_sql: bool, explain: bool = False) -> list[QueryCount]:
    """Request each page in process and count its SQL statements (page cache off; one warm-up request each),
    then show that a page cache hit runs no statement at all."""
    from sqlalchemy import event

    from shop.extensions import db

    urls = [
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
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    results = []
    for page_cache in (False, True):
        app = make_app(target, page_cache=page_cache)
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            client = app.test_client()
            for key, label, url in (urls if not page_cache else [("product_cached", "product page, page cache hit",
                                                                     pages.products[2])]):
                first = client.get(url)  # warm: templates compiled, connection open (and, cache on, a miss)
                seen.clear()
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                elapsed, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
                captured = list(seen)
                timed = time_statements(engine, captured, explain)
                cache = "/".join(filter(None, [first.headers.get("X-Cache"), response.headers.get("X-Cache")]))
                results.append(QueryCount(key, label, url, response.status_code, len(captured),
                                          sum(ms for ms, _, _ in timed), elapsed, cpu, cache,
                                          [(ms, sql) for ms, sql, _ in timed]))
                if show_sql or explain:
                    print(f"\n--- {label}: {url} -> {response.status_code}, {len(captured)} statements, "
                          f"{elapsed:.1f} ms in all ({cpu:.1f} ms CPU in this process)")
                    for ms, sql, plan in timed:
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


# --------------------------------------------------------------------------------------------- server and load

class Redis:
    """A private redis-server on a free port, without persistence, for the shared page cache."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def keys(self) -> int:
        """How many keys the server holds (DBSIZE)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"DBSIZE\r\n")
            return int(sock.recv(64).strip().lstrip(b":"))

    def __enter__(self) -> Redis:
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        log("$ " + " ".join(shlex.quote(c) for c in cmd))
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
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
    """gunicorn with 2 sync workers on a free local port."""

    def __init__(self, target: Target, workers: int, mode: str, redis_url: str | None = None,
                 app_config: dict | None = None):
        self.target = target
        self.mode = mode
        self.port = free_port()
        self.workers = workers
        self.extra_env = {"PAGE_CACHE_SECONDS": "0"} if mode == "off" else {}
        if redis_url:
            self.extra_env["REDIS_URL"] = redis_url
        # gunicorn passes literal arguments to the factory: the way to configure what the environment cannot.
        self.app_spec = f"shop:create_app({app_config!r})" if app_config else "shop:create_app()"
        self.cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", self.app_spec]
        self.process: subprocess.Popen | None = None
        self.log_path = WORKDIR / f"gunicorn-{target.name}-{mode}.log"
        self.redis_pid: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command_text(self) -> str:
        extra = "".join(f" {k}={'redis://127.0.0.1:PORT/0' if k == 'REDIS_URL' else v}"
                        for k, v in self.extra_env.items())
        spec = re.sub(r"redis://127\.0\.0\.1:\d+/0", "redis://127.0.0.1:PORT/0", self.app_spec)
        return f"{self.target.env_text}{extra} .venv/bin/gunicorn -w {self.workers} -b 127.0.0.1:PORT '{spec}'"

    def __enter__(self) -> Server:
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
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
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
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


def check_status(base: str, paths: list[str]) -> list[str]:
    """Fetch each path once without following redirects; return the problems (anything but 200)."""
    import http.client

    problems = []
    for path in paths:
        conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            problems.append(f"{path} -> {response.status}")
    return problems


@dataclass
class LoadResult:
    mode: str
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


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)}
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
    requests = re.search(r"^\s+(\d+) requests in", output, re.M)
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
    sends them round-robin (each wrk thread from its own offset)."""
    lua = "-- written by bench/storefront.py\n" + LUA_COUNTERS
    if len(paths) > 1:
        lua += "paths = {\n" + "".join(f"  {json.dumps(p)},\n" for p in paths) + "}\n" + LUA_ROTATION
    path = WORKDIR / f"wrk-{name}.lua"
    path.write_text(lua)
    return path


def wrk(url: str, *, seconds: int, args, script: Path) -> tuple[str, str, float]:
    """Run wrk; return the command, its output and the CPU seconds wrk itself used."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", f"--timeout={args.timeout}s",
           "--latency", "-s", str(script), url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return " ".join(shlex.quote(c) for c in cmd), out, cpu


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
    if target.name != "postgres":
        return []
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (PG_DATABASE,)).fetchall()
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
            with urllib.request.urlopen(server.base + "/healthz", timeout=limit) as response:
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


REDIS_NOTE = ("the app does not read `REDIS_URL` from the environment (in `shop/config.py` the `ENVIRONMENT` "
              "entries for `RATELIMIT_STORAGE_URI` and `CACHE_REDIS_URL` map the environment variables of those "
              "names to the config key `REDIS_URL`, the wrong way round), so with `REDIS_URL` set the page cache and "
              "the rate limits stay in each process. For the `redis` mode the benchmark therefore passes "
              "`CACHE_TYPE=RedisCache` and `CACHE_REDIS_URL` to `create_app()` in the gunicorn app spec.")


def redis_url_works(target: Target, redis: Redis, workers: int, path: str) -> bool:
    """Start the app with REDIS_URL set, fetch a page twice and see whether the page cache wrote to Redis."""
    before = redis.keys()
    with Server(target, workers, "redis-check", redis.url) as server:
        for _ in range(2):
            with urllib.request.urlopen(server.base + path, timeout=60) as response:
                response.read()
    return redis.keys() > before


def load_test(server: Server, pages: Pages, args) -> list[LoadResult]:
    runs = [r for r in pages.measured(server.mode) if not args.pages or r[0] in args.pages]
    singles = [paths[0] for _, _, paths in runs if len(paths) == 1]
    problems = check_status(server.base, singles + pages.products + pages.long_tail[:20])
    if problems:
        raise RuntimeError("pages do not answer 200: " + ", ".join(problems))
    results = []
    for key, label, paths in runs:
        best = None
        for attempt in range(1, args.retries + 2):
            result = measure(server, key, label, paths, args, attempt)
            if best is None or result.cpu["others"] < best.cpu["others"]:
                best = result
            if result.cpu["others"] <= args.noisy_cores:
                break
            if attempt <= args.retries:
                log(f"  other processes took {result.cpu['others']:.2f} cores during the run: measuring again")
        best.attempts = attempt
        if not best.ok:
            print(best.output)
        results.append(best)
    return results


def measure(server: Server, key: str, label: str, paths: list[str], args, attempt: int) -> LoadResult:
    """Warm up, measure one URL (or rotation) with wrk, and account for the CPU used meanwhile."""
    script = wrk_script(f"{server.target.name}-{server.mode}-{key}", paths)
    url = server.base + paths[0]
    where = f"[{server.target.name}, cache {server.mode}]"
    quiet = wait_for_quiet(args.quiet_wait, args.quiet_cores) if args.quiet_wait > 0 else others_cores()
    log(f"{where} warm-up {args.warmup} s: {label} (other processes used {quiet:.2f} cores just before)")
    wrk(url, seconds=args.warmup, args=args, script=script)
    drained = drain(server)
    log(f"{where} measuring {args.duration} s: {label}" + (f" (attempt {attempt})" if attempt > 1 else ""))
    workers = server.worker_pids()
    backends = postgres_backends(server.target)
    helpers = [server.redis_pid] if server.redis_pid else []
    cpu_before = (machine_busy_seconds(), process_seconds(workers), process_seconds(backends),
                  process_seconds(helpers))
    spies = start_py_spy(workers, f"{server.target.name}-{server.mode}-{key}", args.duration) if args.py_spy else []
    wall = time.monotonic()
    command, output, wrk_cpu = wrk(url, seconds=args.duration, args=args, script=script)
    wall = time.monotonic() - wall
    cpu_after = (machine_busy_seconds(), process_seconds(workers), process_seconds(backends),
                 process_seconds(helpers))
    busy, app_cpu, pg_cpu, redis_cpu = (b - a for a, b in zip(cpu_before, cpu_after, strict=True))
    cpu = {"gunicorn": app_cpu / wall, "wrk": wrk_cpu / wall, "postgres": pg_cpu / wall, "redis": redis_cpu / wall,
           "others": max(0.0, busy - app_cpu - wrk_cpu - pg_cpu - redis_cpu) / wall, "before": quiet}
    if spies:
        summarise_py_spy(spies, f"{server.target.name}, cache {server.mode}: {label}")
    drained += drain(server)
    result = LoadResult(mode=server.mode, key=key, label=label, url=paths[0], command=command, output=output,
                        cpu=cpu, drain_s=drained, **parse_wrk(output))
    log(f"  {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, errors "
        f"{result.errors}, cache hits {result.hit_share}; cores: gunicorn {cpu['gunicorn']:.2f}, wrk "
        f"{cpu['wrk']:.2f}, postgres {cpu['postgres']:.2f}, redis {cpu['redis']:.2f}, others {cpu['others']:.2f}")
    return result


# --------------------------------------------------------------------------------------------- report

def machine_facts() -> dict[str, str]:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

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


def verdicts(name: str, mode: str, results: list[LoadResult]) -> list[tuple[str, bool]]:
    by_key = {r.key: r for r in results if r.mode == mode}
    lines = []
    for key, goal in TARGET_RPS.items():
        r = by_key.get(key)
        if r is None:
            continue
        where = f"{name}, cache {mode}: {key} page"
        lines.append((f"{where} >= {goal} req/s: {r.rps:.0f} req/s", r.ok and r.rps >= goal))
        p99 = f"{r.p99_ms:.1f} ms" if r.requests else "no request answered"
        if r.socket_errors:
            p99 += f" (of the answered requests; socket errors: {r.socket_errors})"
        lines.append((f"{where} p99 < {TARGET_P99_MS:.0f} ms: {p99}", r.ok and r.p99_ms < TARGET_P99_MS))
        if max(r.non_2xx, r.non_200):
            lines.append((f"{where}: {max(r.non_2xx, r.non_200)} answers other than 200", False))
    return lines


def server_ms(r: LoadResult) -> str:
    """CPU milliseconds the server side (gunicorn workers, PostgreSQL backends, Redis) spent per answered request."""
    if not r.rps:
        return "-"
    return f"{(r.cpu['gunicorn'] + r.cpu['postgres'] + r.cpu['redis']) / r.rps * 1000:.1f}"


def fmt(value: float) -> str:
    return f"{value:.1f}"


def report(runs: dict, args, facts: dict, started: dt.datetime, notes: set[str] = frozenset()) -> str:
    modes = [m for m in CACHE_MODES if any(r.mode == m for run_ in runs.values() for r in run_["load"])]
    out = ["# Storefront benchmark results", ""]
    out.append(f"Date: {started:%Y-%m-%d %H:%M} (machine's local time; the run took "
               f"{(dt.datetime.now() - started).total_seconds() / 60:.0f} min). Written by `bench/storefront.py`"
               + (f" at commit `{facts['commit']}`." if facts.get("commit") else "."))
    out.append("")
    out.append("Command: `" + " ".join([".venv/bin/python", "bench/storefront.py"] + sys.argv[1:]) + "`")
    out.append("")
    out.append("Databases: SQLite as the app creates it (`flask db upgrade`, then `flask seed-bench --products "
               f"{args.products}`; no `ANALYZE`); PostgreSQL the same plus `VACUUM ANALYZE` after the seed (what "
               "autovacuum would do shortly after).")
    out.append("")
    out.append(f"Load: `wrk -t{args.threads} -c{args.connections} -d{args.duration}s --timeout={args.timeout}s "
               "--latency -s wrk-….lua URL` (the Lua script counts answers by status and `X-Cache` header and, for "
               f"the product pages, rotates over the paths) after a {args.warmup} s warm-up with the same settings, "
               f"one URL after the other; gunicorn with {args.workers} sync workers (`gunicorn -w {args.workers} -b "
               "127.0.0.1:PORT 'shop:create_app()'`). Page cache modes: "
               + "; ".join(f"**{m}**: {CACHE_MODES[m]}" for m in modes) + ". wrk sends no cookie, so with the "
               "cache on it gets what an anonymous visitor gets. **wrk runs on the same "
               f"{facts['nproc']}-core machine as gunicorn and the database**, so it competes with them for CPU; a "
               "separate load machine would show somewhat higher numbers.")
    out.append("")
    for note in sorted(notes):
        out.append(f"**Note:** {note}")
        out.append("")
    out.append("## Machine")
    out.append("")
    for key, value in facts.items():
        if key != "commit":
            out.append(f"- {key}: {value}")
    out.append("")
    out.append("## Results")
    out.append("")
    out.append(f"Latencies in milliseconds (of the answered requests). \"errors\" counts answers other than 200 and "
               f"socket errors (a request unanswered after {args.timeout} s is a timeout); any is a failure. "
               "\"hits\" is the share of answers that came from the page cache (`X-Cache: hit`). \"queries\" is the "
               "number of SQL statements a page runs when it is rendered (a cache hit runs none), counted in "
               "process (see below). \"server CPU ms/req\" is (gunicorn + PostgreSQL + Redis CPU) / answered "
               f"requests: it does not depend much on the competition for the CPU, and {facts['nproc']} × 1000 / "
               "it is about the best throughput the page can reach on an idle machine with the load generator "
               f"elsewhere. \"cores\" is the CPU used during the measured run, in cores (of {facts['nproc']}): the "
               "gunicorn workers, wrk, the PostgreSQL backends of the benchmark database, Redis, and everything "
               "else on the machine (other people's tests: the machine is shared; the script waits up to "
               f"{args.quiet_wait:.0f} s before each URL for others to use less than {args.quiet_cores} cores, and "
               f"measures a URL again, up to {args.retries} more times, when others took more than "
               f"{args.noisy_cores} cores during the run, reporting the least disturbed run; \"runs\" says how many "
               "it took).")
    out.append("")
    out.append("| database | cache | page | req/s | p50 | p90 | p99 | max | errors | hits | queries | server CPU ms/req "
               "| cores: gunicorn / wrk / postgres / redis / others | runs |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, run_ in runs.items():
        qmap = {q.key: q for q in run_["queries"]}
        for r in run_["load"]:
            q = qmap.get("product" if r.key == "product_tail" else r.key)
            c = r.cpu
            cores = (f"{c['gunicorn']:.2f} / {c['wrk']:.2f} / {c['postgres']:.2f} / {c['redis']:.2f} / "
                     f"{c['others']:.2f}")
            out.append(f"| {name} | {r.mode} | {r.label} | {r.rps:.0f} | {fmt(r.p50_ms)} | {fmt(r.p90_ms)} "
                       f"| {fmt(r.p99_ms)} | {fmt(r.max_ms)} | {r.errors} | {r.hit_share} "
                       f"| {q.queries if q else '-'} | {server_ms(r)} | {cores} | {r.attempts} |")
    out.append("")
    out.append("## Targets (from the issue)")
    out.append("")
    out.append("At 16 connections against gunicorn with 2 workers: >= 400 req/s for the category page and for "
               "search, >= 600 req/s for a product page, p99 < 60 ms (checked on these three pages; search with the "
               "common word, the product page with the 50 rotating products).")
    if args.connections != 16 or args.workers != 2:
        out.append(f"**This run used {args.connections} connections and {args.workers} workers: the verdicts are "
                   "not comparable with the targets.**")
    out.append("")
    summary = []
    for mode in modes:
        checks = [(name, text, ok) for name, run_ in runs.items() for text, ok in verdicts(name, mode, run_["load"])]
        for _, text, ok in checks:
            out.append(f"- {'MET' if ok else '**NOT MET**'}: {text}")
        summary.append(f"cache {mode}: {sum(ok for _, _, ok in checks)} of {len(checks)}")
    out.append("")
    out.append("**Target checks met: " + "; ".join(summary) + ".** Where the time goes and what to change: "
               "`bench/profile-storefront.md` (py-spy, cProfile and the query plans).")
    out.append("")
    out.append("## SQL statements per page")
    out.append("")
    out.append("In process: `create_app(...)` on the same database with the page cache off, a SQLAlchemy "
               "`before_cursor_execute` listener counting statements, one warm-up request and then one counted "
               "request per URL through `app.test_client()`; the last row is a second app with the page cache on, "
               "where the counted request is a cache hit. \"SQL ms\" is the sum over the page's statements, each run "
               "again on its own with all rows fetched (best of 3, or one run if over 1 s); \"request ms\" is the "
               "whole request in process (wall clock, one request, no concurrency; for SQLite it includes the "
               "database work) and \"CPU ms\" the CPU time of this process for it.")
    out.append("")
    out.append("| database | page | URL | status | X-Cache | queries | SQL ms | request ms | CPU ms |")
    out.append("|---|---|---|---:|---|---:|---:|---:|---:|")
    for name, run_ in runs.items():
        for q in run_["queries"]:
            out.append(f"| {name} | {q.label} | `{q.url}` | {q.status} | {q.cache or '-'} | {q.queries} "
                       f"| {q.sql_ms:.1f} | {q.request_ms:.1f} | {q.cpu_ms:.1f} |")
    out.append("")
    out.append("## Pages measured")
    out.append("")
    for name, run_ in runs.items():
        p: Pages = run_["pages"]
        prepared = run_["seed_seconds"]
        out.append(f"- {name}: {p.published} published products "
                   + (f"(database prepared in {prepared:.0f} s)" if prepared else "(reused database, --skip-seed)")
                   + f"; largest category *{p.category_name}* `{p.category}` with {p.category_products} products "
                   f"(children included); search `{p.search_term}` ({p.search_hits} hits) and the rarer "
                   f"`{p.rare_term}` ({p.rare_hits} hits); product pages rotate over {len(p.products)} random "
                   f"published products, for example `{p.products[0]}` (and, with the cache on, over "
                   f"{len(p.long_tail)}).")
        for mode, (command, timeouts) in run_["servers"].items():
            out.append(f"  - cache {mode}: `{command}`; gunicorn killed a worker for exceeding its 30 s timeout "
                       f"{timeouts} times.")
    out.append("")
    out.append("## Raw wrk output")
    out.append("")
    for name, run_ in runs.items():
        for r in run_["load"]:
            out.append(f"<details><summary>{name}, cache {r.mode}: {r.label}</summary>")
            out.append("")
            out.append("```")
            out.append(f"$ {r.command}")
            out.append(r.output.rstrip())
            out.append("```")
            out.append("")
            out.append("</details>")
            out.append("")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cache", type=lambda v: v.split(","), default=None,
                        help="page cache modes to measure, comma-separated from off,local,redis (default: all three; "
                             "redis only if redis-server is installed)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each measured wrk run (default 20)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per URL (default 3)")
    parser.add_argument("--timeout", type=int, default=10,
                        help="wrk: a request without an answer after this many seconds is an error (default 10)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="before each URL wait up to this many seconds for other processes to use less than "
                             "--quiet-cores of the CPU (default 30; 0: do not wait)")
    parser.add_argument("--quiet-cores", type=float, default=0.3, help="see --quiet-wait (default 0.3 cores)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure a URL again (up to this many times) when other processes took more than "
                             "--noisy-cores during the run; the least disturbed run is reported (default 2)")
    parser.add_argument("--noisy-cores", type=float, default=0.25, help="see --retries (default 0.25 cores)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--products", type=int, default=20000, help="products for seed-bench (default 20000)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database prepared by an earlier run")
    parser.add_argument("--keep", action="store_true", help="do not drop the PostgreSQL database at the end")
    parser.add_argument("--drop", action="store_true",
                        help=f"only drop the PostgreSQL database {PG_DATABASE} (left by --keep) and exit")
    parser.add_argument("--pages", type=lambda v: v.split(","), default=None,
                        help="only these load runs, comma-separated from home,category,product,search,search_rare,"
                             "product_tail (for trying things out)")
    parser.add_argument("--sql-log", action="store_true", help="print every SQL statement of each page with its time")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of each statement taking 1 ms or more (EXPLAIN QUERY PLAN on SQLite, "
                             "EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL)")
    parser.add_argument("--py-spy", action="store_true",
                        help="sample the gunicorn workers with py-spy during each measured run and print where the "
                             "time goes (needs .venv/bin/py-spy; costs a little CPU, so not for the reported numbers)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"markdown file (default {RESULTS})")
    args = parser.parse_args()

    if args.drop:
        drop_pg_database()
        return
    if not (BIN / "gunicorn").exists():
        sys.exit(f"{BIN / 'gunicorn'} is missing: install gunicorn into the virtualenv")
    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        sys.exit("wrk is missing: apt-get install -y wrk")
    have_redis = not subprocess.run(["which", "redis-server"], capture_output=True).returncode
    modes = args.cache or (["off", "local", "redis"] if have_redis else ["off", "local"])
    if unknown := set(modes) - set(CACHE_MODES):
        sys.exit(f"unknown cache mode(s): {', '.join(sorted(unknown))}")
    if "redis" in modes and not have_redis:
        sys.exit("redis-server is missing: apt-get install -y redis-server, or leave out --cache redis")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now()
    facts = machine_facts()
    names = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    runs: dict[str, dict] = {}
    notes: set[str] = set()
    failed = False
    try:
        for name in names:
            target = make_target(name)
            seed_seconds = prepare(target, args.products, args.skip_seed)
            pages = pick_pages(make_app(target))
            log(f"{name}: category {pages.category} ({pages.category_products} products), search "
                f"{pages.search} ({pages.search_hits}), rare {pages.rare_search} ({pages.rare_hits}), "
                f"{len(pages.products)} product pages")
            queries = count_queries(target, pages, args.sql_log, args.explain)
            for q in queries:
                log(f"  {q.queries:3d} queries  {q.sql_ms:7.1f} ms SQL  {q.request_ms:7.1f} ms  {q.cpu_ms:7.1f} ms CPU  "
                    f"{q.status} {q.cache or '-':>8}  {q.url}")
            load: list[LoadResult] = []
            servers = {}
            for mode in modes:
                redis = Redis() if mode == "redis" else None
                try:
                    app_config = None
                    if redis:
                        redis.__enter__()
                        if not redis_url_works(target, redis, args.workers, pages.home):
                            notes.add(REDIS_NOTE)
                            log("REDIS_URL is not picked up by the app: configuring the cache through create_app()")
                            app_config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis.url}
                    with Server(target, args.workers, mode, redis.url if redis else None, app_config) as server:
                        server.redis_pid = redis.process.pid if redis else None
                        load += load_test(server, pages, args)
                        command = server.command_text()
                finally:
                    if redis:
                        redis.__exit__()
                servers[mode] = (command, server.worker_timeouts())
                if servers[mode][1]:
                    log(f"{name}: gunicorn killed a worker {servers[mode][1]} times (WORKER TIMEOUT, see "
                        f"{server.log_path})")
            failed |= not all(r.ok for r in load)
            runs[name] = {"pages": pages, "queries": queries, "load": load, "servers": servers,
                          "seed_seconds": seed_seconds}
            (WORKDIR / f"results-{name}.json").write_text(json.dumps({
                "pages": asdict(pages), "load": [asdict(r) for r in load],
                "queries": [{k: v for k, v in asdict(q).items() if k != "statements"} for q in queries],
            }, indent=2))
    finally:
        if "postgres" in names and not args.keep:
            drop_pg_database()
        elif "postgres" in names:
            log(f"keeping PostgreSQL database {PG_DATABASE}")

    text = report(runs, args, facts, started, notes)
    print()
    print(text)
    args.output.write_text(text)
    log(f"wrote {args.output}")
    if failed:
        sys.exit("some requests failed (errors other than 200 or timeouts): see the wrk output above")


if __name__ == "__main__":
    main()
