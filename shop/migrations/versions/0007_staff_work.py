"""Staff work: listing revisions, pending images, a comment from review, stocking a product or not, and the
unit an audit event concerns.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("review_comment", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("product_image") as batch:
        batch.add_column(sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("stock_record") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_audit_event_unit_id_unit", "unit", ["unit_id"], ["id"])
        batch.create_index("ix_audit_event_unit_id", ["unit_id"], unique=False)
    op.create_table(
        "product_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected', 'withdrawn', 'applied')",
                           name=op.f("ck_product_revision_state")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_revision_product_id_product"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"],
                                name=op.f("fk_product_revision_created_by_user_id_user")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["user.id"],
                                name=op.f("fk_product_revision_decided_by_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_revision")),
    )
    op.create_index("ix_product_revision_product_id", "product_revision", ["product_id"], unique=False)
    # At most one pending revision per product.
    op.create_index("uq_product_revision_pending", "product_revision", ["product_id"], unique=True,
                    postgresql_where=sa.text("state = 'pending'"), sqlite_where=sa.text("state = 'pending'"))


def downgrade():
    op.drop_index("uq_product_revision_pending", table_name="product_revision")
    op.drop_index("ix_product_revision_product_id", table_name="product_revision")
    op.drop_table("product_revision")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_unit_id")
        batch.drop_constraint("fk_audit_event_unit_id_unit", type_="foreignkey")
        batch.drop_column("unit_id")
    with op.batch_alter_table("stock_record") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("product_image") as batch:
        batch.drop_column("pending")
    with op.batch_alter_table("product") as batch:
        batch.drop_column("review_comment")
