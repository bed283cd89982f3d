"""Full-text search index for products: tsvector + GIN on PostgreSQL, FTS5 on SQLite.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE product_search ("
            " product_id INTEGER PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,"
            " document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_product_search_document ON product_search USING GIN (document)")
    else:
        # rowid is the product id; the text is stored folded and stemmed by catalogue.search.
        op.execute(
            "CREATE VIRTUAL TABLE product_search USING fts5("
            "title, summary, category, unit, description, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade():
    op.execute("DROP TABLE product_search")
