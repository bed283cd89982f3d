"""Full-text search over products: Norwegian stemming, tolerant of æ/ø/å, on PostgreSQL and SQLite.

The index lives in the table ``product_search``, created by the migrations in a form that suits the
database: a ``tsvector`` column with a GIN index on PostgreSQL (the ``norwegian`` text-search
configuration stems), and an FTS5 table on SQLite (which cannot stem, so we stem in Python with the
same Snowball algorithm). Both sides fold æ/ø/å (and accents) the same way, so "oks" finds "øks".
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import snowballstemmer
from dataclasses import dataclass

from sqlalchemy import bindparam, column, func, literal_column, select, table, text, true
from sqlalchemy.orm import Session

from catalogue.models import Category, Product, Unit

TOKEN = re.compile(r"\w+", re.UNICODE)
FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
MAX_QUERY_TERMS = 8
SQLITE_WEIGHTS = "10.0, 5.0, 3.0, 2.0, 1.0"  # title, summary, category+attributes, unit, description
POSTGRES_CONFIG = "norwegian"

# Snowball's Norwegian stop words (as PostgreSQL has them), folded: they carry no meaning in a query.
STOP_WORDS = frozenset(
    "og i jeg det at en et den til er som pa de med han av ikke ikkje der sa var meg seg men ett har om vi "
    "min mitt ha hadde hun na over da ved fra du ut sin dem oss opp man kan hans hvor eller hva skal selv "
    "sjol her alle vil bli ble blei blitt kunne inn nar vaere kom noen noe ville dere deres kun ja etter ned "
    "skulle denne for deg si sine sitt mot a meget hvorfor dette disse uten hvordan ingen din ditt blir samme "
    "hvilken hvilke sann inni mellom var hver hvem vors hvis bade bare enn fordi for mange ogsa slik vaert "
    "begge siden".split()
)

_stemmer = snowballstemmer.stemmer("norwegian")
product_search = table("product_search", column("product_id"), column("document"))


def fold(text_: str) -> str:
    """Lower-case and fold Norwegian and accented letters to plain ASCII-like forms."""
    lowered = text_.lower().translate(FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def terms(text_: str) -> list[str]:
    """Split text into folded words (the stemming happens per database)."""
    return TOKEN.findall(fold(text_))


def stemmed(text_: str) -> str:
    """Fold and stem text the way the SQLite index stores it."""
    return " ".join(_stemmer.stemWords(terms(text_)))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _documents(session: Session, product_ids: Iterable[int] | None):
    parent = Category.__table__.alias("parent")
    stmt = (
        select(
            Product.id, Product.title, Product.summary, Product.description, Product.attributes,
            Category.name.label("category"), parent.c.name.label("parent_category"), Unit.name.label("unit"),
        )
        .join(Category, Category.id == Product.category_id)
        .outerjoin(parent, parent.c.id == Category.parent_id)
        .join(Unit, Unit.id == Product.unit_id)
    )
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(list(product_ids)))
    for row in session.execute(stmt):
        attributes = " ".join(str(v) for v in (row.attributes or {}).values())
        yield {
            "id": row.id,
            "title": row.title,
            "summary": row.summary or "",
            "category": " ".join(filter(None, [row.category, row.parent_category, attributes])),
            "unit": row.unit,
            "description": row.description or "",
        }


def index_products(session: Session, product_ids: Iterable[int] | None = None) -> int:
    """(Re)build the search entries of these products, or of all products; return how many."""
    ids = None if product_ids is None else list(product_ids)
    docs = list(_documents(session, ids))
    if ids is None:
        session.execute(text("DELETE FROM product_search"))
    elif ids:
        key = "product_id" if _is_postgres(session) else "rowid"
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            session.execute(text(f"DELETE FROM product_search WHERE {key} IN ({', '.join(str(int(i)) for i in chunk)})"))
    if not docs:
        return 0
    if _is_postgres(session):
        weighted = " || ".join(
            f"setweight(to_tsvector('{POSTGRES_CONFIG}', :{field}), '{weight}')"
            for field, weight in (("title", "A"), ("summary", "B"), ("category", "B"), ("unit", "C"), ("description", "D"))
        )
        statement = text(f"INSERT INTO product_search (product_id, document) VALUES (:id, {weighted})")
        rows = [{k: (v if k == "id" else fold(v)) for k, v in doc.items()} for doc in docs]
    else:
        statement = text(
            "INSERT INTO product_search (rowid, title, summary, category, unit, description) "
            "VALUES (:id, :title, :summary, :category, :unit, :description)"
        )
        rows = [{k: (v if k == "id" else stemmed(v)) for k, v in doc.items()} for doc in docs]
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start:start + 1000])
    return len(rows)


@dataclass(frozen=True)
class Match:
    """How to drive a product query from the search index: the index table, its product id, the
    match condition and the rank (lower is better)."""

    table: object
    product_id: object
    condition: object
    rank: object


def matching(session: Session, query: str) -> Match | None:
    """Return the index table and condition for products matching every word, or None if the query
    has no searchable words.

    Callers put the index table first in the FROM clause and join products to it, so the database
    walks the (few) matches rather than probing the index once per product.
    """
    words = terms(query)
    words = ([w for w in words if w not in STOP_WORDS] or words)[:MAX_QUERY_TERMS]
    if not words:
        return None
    if _is_postgres(session):
        # Each word is stemmed by PostgreSQL and matched as a prefix, so "benk" also finds "benkene".
        tsquery = func.to_tsquery(POSTGRES_CONFIG, " & ".join(f"{w}:*" for w in words))
        return Match(
            table=product_search, product_id=product_search.c.product_id,
            condition=product_search.c.document.op("@@")(tsquery),
            rank=-func.ts_rank(product_search.c.document, tsquery),
        )
    stems = _stemmer.stemWords(words)
    fts_query = " AND ".join(f'"{s}"*' for s in stems)
    fts = table("product_search", column("rowid"))
    # A materialised CTE: SQLite runs the full-text match once. Left to its planner (without
    # statistics) it may probe the FTS index once per product instead, a thousand times slower.
    found = (
        select(fts.c.rowid.label("product_id"), literal_column(f"bm25(product_search, {SQLITE_WEIGHTS})").label("rank"))
        .select_from(fts)
        .where(literal_column("product_search").op("MATCH")(bindparam("fts_query", fts_query)))
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    return Match(table=found, product_id=found.c.product_id, condition=true(), rank=found.c.rank)
