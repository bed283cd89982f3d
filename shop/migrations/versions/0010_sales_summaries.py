"""Monthly summaries of sales for the coordinator's reports (and an index on when orders were placed): a version per Oslo month, raised by every change to
its orders, and the month's sums per unit, payment method, kind and VAT rate, its orders, and its sales per product.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.create_index("ix_order_created_at", ["created_at"], unique=False)
    op.create_table('sales_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('summarized_version', sa.Integer(), nullable=True),
    sa.Column('summarized_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_sales_month'))
    )
    op.create_table('sales_month_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('invoice', sa.Boolean(), nullable=False),
    sa.Column('service', sa.Boolean(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('items', sa.BigInteger(), nullable=False),
    sa.Column('gross_ore', sa.BigInteger(), nullable=False),
    sa.Column('vat_ore', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_sales_month_lines_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_month_lines'))
    )
    with op.batch_alter_table('sales_month_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_month_lines_month'), ['month'], unique=False)

    op.create_table('sales_month_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('invoice', sa.Boolean(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('first_in_region', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_sales_month_orders_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_month_orders'))
    )
    with op.batch_alter_table('sales_month_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_month_orders_month'), ['month'], unique=False)

    op.create_table('sales_month_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('items', sa.BigInteger(), nullable=False),
    sa.Column('gross_ore', sa.BigInteger(), nullable=False),
    sa.Column('vat_ore', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_sales_month_products_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_month_products'))
    )
    with op.batch_alter_table('sales_month_products', schema=None) as batch_op:
        batch_op.create_index('ix_sales_month_products_month_product', ['month', 'product_id'], unique=False)



def downgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_index("ix_order_created_at")
    with op.batch_alter_table('sales_month_products', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_month_products_month_product')

    op.drop_table('sales_month_products')
    with op.batch_alter_table('sales_month_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_month_orders_month'))

    op.drop_table('sales_month_orders')
    with op.batch_alter_table('sales_month_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_month_lines_month'))

    op.drop_table('sales_month_lines')
    op.drop_table('sales_month')
