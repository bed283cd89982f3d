"""The coordinator's legal pages; invoices and credit notes with their lines and one gap-free number series; the
language each order was placed in; an HTML part for e-mails; returns under the right of withdrawal.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "legal_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_legal_page_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_page")),
        sa.UniqueConstraint("slug", "locale", name="uq_legal_page_slug_locale"),
    )
    document_sequence = op.create_table(
        "document_sequence",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_document_sequence")),
    )
    op.bulk_insert(document_sequence, [{"name": "invoice", "next_number": 100001}])
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("kid", sa.String(length=25), nullable=False),
        sa.Column("seller", sa.JSON(), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_org_number", sa.String(length=9), nullable=False),
        sa.Column("buyer_reference", sa.String(length=100), nullable=False),
        sa.Column("buyer_address", sa.Text(), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("shipping_ore", sa.Integer(), nullable=False),
        sa.Column("total_ore", sa.Integer(), nullable=False),
        sa.Column("vat_ore", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("ehf_errors", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_invoice_kind")),
        sa.CheckConstraint("status IN ('issued', 'sent', 'paid')", name=op.f("ck_invoice_status")),
        sa.CheckConstraint("kind = 'invoice' OR corrects_id IS NOT NULL", name=op.f("ck_invoice_credit_note_corrects")),
        sa.CheckConstraint("total_ore >= 0 AND shipping_ore >= 0", name=op.f("ck_invoice_amounts_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_invoice_order_id_order")),
        sa.ForeignKeyConstraint(["corrects_id"], ["invoice.id"], name=op.f("fk_invoice_corrects_id_invoice")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_invoice_created_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        sa.UniqueConstraint("request_key", name=op.f("uq_invoice_request_key")),
    )
    op.create_index("ix_invoice_order_id", "invoice", ["order_id"], unique=False)
    op.create_index("ix_invoice_due_date", "invoice", ["due_date"], unique=False)
    op.create_index("uq_invoice_order", "invoice", ["order_id"], unique=True,
                    sqlite_where=sa.text("kind = 'invoice'"), postgresql_where=sa.text("kind = 'invoice'"))
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("unit_price_ore", sa.Integer(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_line_quantity_positive")),
        sa.CheckConstraint("unit_price_ore >= 0", name=op.f("ck_invoice_line_price_not_negative")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_line.id"],
                                name=op.f("fk_invoice_line_order_line_id_order_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
    )
    op.create_index("ix_invoice_line_invoice_id", "invoice_line", ["invoice_id"], unique=False)
    op.create_index("ix_invoice_line_order_line_id", "invoice_line", ["order_line_id"], unique=False)
    op.create_table(
        "order_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_ore", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'received', 'refunded')", name=op.f("ck_order_return_status")),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_order_return_order_id_order")),
        sa.ForeignKeyConstraint(["credit_note_id"], ["invoice.id"], name=op.f("fk_order_return_credit_note_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_return")),
        sa.UniqueConstraint("request_key", name=op.f("uq_order_return_request_key")),
    )
    op.create_index("ix_order_return_order_id", "order_return", ["order_id"], unique=False)
    op.create_table(
        "return_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=10), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_line_quantity_positive")),
        sa.CheckConstraint("condition IS NULL OR condition IN ('returned', 'damaged')",
                           name=op.f("ck_return_line_condition")),
        sa.ForeignKeyConstraint(["return_id"], ["order_return.id"], name=op.f("fk_return_line_return_id_order_return")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_line.id"],
                                name=op.f("fk_return_line_order_line_id_order_line")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_return_line_unit_id_unit")),
        sa.ForeignKeyConstraint(["received_by_id"], ["user.id"], name=op.f("fk_return_line_received_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_line")),
    )
    op.create_index("ix_return_line_return_id", "return_line", ["return_id"], unique=False)
    op.create_index("ix_return_line_order_line_id", "return_line", ["order_line_id"], unique=False)
    op.create_index("ix_return_line_unit_id", "return_line", ["unit_id"], unique=False)
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=5), server_default="nb", nullable=False))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html", sa.Text(), nullable=True))
    with op.batch_alter_table("fulfilment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
    # Parts already sent were handed over at their last step, as far as anyone knows now.
    op.execute("UPDATE fulfilment SET handed_over_at = updated_at "
               "WHERE status IN ('shipped', 'ready_for_pickup', 'delivered')")


def downgrade():
    with op.batch_alter_table("fulfilment", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("html")
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("locale")
    op.drop_table("return_line")
    op.drop_table("order_return")
    op.drop_table("invoice_line")
    op.drop_table("invoice")
    op.drop_table("document_sequence")
    op.drop_table("legal_page")
