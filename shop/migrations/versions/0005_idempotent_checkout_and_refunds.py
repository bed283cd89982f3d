"""A second submit of the checkout form, or of a refund, finds what the first one made.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order") as batch:
        batch.add_column(sa.Column("checkout_key", sa.String(length=64), nullable=True))
    op.create_index("uq_order_checkout_key", "order", ["checkout_key"], unique=True)
    with op.batch_alter_table("payment") as batch:
        batch.add_column(sa.Column("request_key", sa.String(length=80), nullable=True))
    op.create_index("uq_payment_request_key", "payment", ["request_key"], unique=True)


def downgrade():
    op.drop_index("uq_payment_request_key", table_name="payment")
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("request_key")
    op.drop_index("uq_order_checkout_key", table_name="order")
    with op.batch_alter_table("order") as batch:
        batch.drop_column("checkout_key")
