"""Index for the front page's featured products.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_product_featured", "product", ["featured", "status", "published_at"])


def downgrade():
    op.drop_index("ix_product_featured", table_name="product")
