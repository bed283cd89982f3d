"""Reference app for bench/storefront.py: a plain Flask + SQLAlchemy + Jinja page of 24 products.

What a straightforward listing page costs on the shop's own database, without the shop's features: one
query for the page (published products joined with their unit: title, slug, price, unit name, newest
first, 24 at a time, ``?page=N``), one for the count, and a small Jinja template
(``bench/templates/plain.html``). The rendered (cache-miss) pages of the shop are compared with it.

The database is the shop's: ``DATABASE_URL`` (``postgresql://`` URLs use psycopg 3, as the shop does).
Served as ``DATABASE_URL=... gunicorn -w 2 -b 127.0.0.1:PORT bench.ref_plain:app`` (from the project root).
"""
from __future__ import annotations

import os

from flask import Flask, render_template, request
from sqlalchemy import create_engine, text

PER_PAGE = 24

PAGE_SQL = text("""
    SELECT product.title, product.slug, product.price_ore, unit.name AS unit_name
    FROM product JOIN unit ON unit.id = product.unit_id
    WHERE product.status = 'published'
    ORDER BY product.published_at DESC, product.id DESC
    LIMIT :limit OFFSET :offset
""")
COUNT_SQL = text("SELECT count(*) FROM product WHERE product.status = 'published'")


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs, as the shop does."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


app = Flask(__name__)
engine = create_engine(database_url(os.environ["DATABASE_URL"]))


def kroner(price_ore: int) -> str:
    return "%.2f kr" % (price_ore / 100)


@app.get("/")
def products() -> str:
    page = max(1, request.args.get("page", 1, type=int))
    with engine.connect() as conn:
        rows = conn.execute(PAGE_SQL, {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}).all()
        total = conn.execute(COUNT_SQL).scalar_one()
    return render_template("plain.html", products=rows, page=page, total=total, kroner=kroner)
