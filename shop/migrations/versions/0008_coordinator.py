"""The coordinator's work: a unit's contact, visiting address, opening hours and trust; collections of products.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # The audit log is read newest first and filtered by person.
    op.create_index("ix_audit_event_created_at", "audit_event", ["created_at"], unique=False)
    op.create_index("ix_audit_event_actor_user_id", "audit_event", ["actor_user_id"], unique=False)
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("visiting_address", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("opening_hours", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("trusted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_key", sa.String(length=200), nullable=True),
        sa.Column("image_alt", sa.String(length=300), nullable=False),
        sa.Column("image_widths", sa.JSON(), nullable=False),
        sa.Column("image_width", sa.Integer(), nullable=True),
        sa.Column("image_height", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("on_home_page", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name=op.f("ck_collection_dates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
        sa.UniqueConstraint("slug", name=op.f("uq_collection_slug")),
    )
    op.create_table(
        "collection_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"], name=op.f("fk_collection_item_collection_id_collection"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_collection_item_product_id_product"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_item")),
        sa.UniqueConstraint("collection_id", "product_id", name="uq_collection_item_product"),
    )
    op.create_index("ix_collection_item_collection_id", "collection_item", ["collection_id"], unique=False)
    op.create_index("ix_collection_item_product_id", "collection_item", ["product_id"], unique=False)


def downgrade():
    op.drop_index("ix_audit_event_actor_user_id", table_name="audit_event")
    op.drop_index("ix_audit_event_created_at", table_name="audit_event")
    op.drop_index("ix_collection_item_product_id", table_name="collection_item")
    op.drop_index("ix_collection_item_collection_id", table_name="collection_item")
    op.drop_table("collection_item")
    op.drop_table("collection")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("trusted")
        batch.drop_column("opening_hours")
        batch.drop_column("visiting_address")
        batch.drop_column("contact_phone")
        batch.drop_column("contact_name")
