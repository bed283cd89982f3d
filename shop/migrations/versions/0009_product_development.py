"""Product development: concepts with their stage, the units involved, partners, notes, pictures and the products
they became.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "development_concept",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("proposed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('idea', 'design', 'prototype', 'pilot', 'launched', 'dropped')",
                           name=op.f("ck_development_concept_stage")),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_development_concept_title_required")),
        sa.ForeignKeyConstraint(["proposed_by_user_id"], ["user.id"],
                                name=op.f("fk_development_concept_proposed_by_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_concept")),
    )
    op.create_index("ix_development_concept_stage_updated", "development_concept", ["stage", "updated_at"],
                    unique=False)
    op.create_table(
        "development_concept_unit",
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["concept_id"], ["development_concept.id"],
                                name=op.f("fk_development_concept_unit_concept_id_development_concept"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_development_concept_unit_unit_id_unit")),
        sa.PrimaryKeyConstraint("concept_id", "unit_id", name=op.f("pk_development_concept_unit")),
    )
    op.create_index("ix_development_concept_unit_unit_id", "development_concept_unit", ["unit_id"], unique=False)
    op.create_table(
        "development_concept_product",
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["concept_id"], ["development_concept.id"],
                                name=op.f("fk_development_concept_product_concept_id_development_concept"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_development_concept_product_product_id_product"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("concept_id", "product_id", name=op.f("pk_development_concept_product")),
    )
    op.create_index("ix_development_concept_product_product_id", "development_concept_product", ["product_id"],
                    unique=False)
    op.create_table(
        "development_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('business', 'school', 'nav', 'other')", name=op.f("ck_development_partner_kind")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_development_partner_name_required")),
        sa.ForeignKeyConstraint(["concept_id"], ["development_concept.id"],
                                name=op.f("fk_development_partner_concept_id_development_concept"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_user_id"], ["user.id"],
                                name=op.f("fk_development_partner_added_by_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_partner")),
    )
    op.create_index("ix_development_partner_concept_id", "development_partner", ["concept_id"], unique=False)
    op.create_table(
        "development_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(body) > 0", name=op.f("ck_development_note_body_required")),
        sa.ForeignKeyConstraint(["concept_id"], ["development_concept.id"],
                                name=op.f("fk_development_note_concept_id_development_concept"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_user_id"], ["user.id"], name=op.f("fk_development_note_author_user_id_user")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_development_note_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_note")),
    )
    op.create_index("ix_development_note_concept_created", "development_note", ["concept_id", "created_at"],
                    unique=False)
    op.create_table(
        "development_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=300), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("widths", sa.JSON(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(alt_text) > 0", name=op.f("ck_development_image_alt_text_required")),
        sa.ForeignKeyConstraint(["concept_id"], ["development_concept.id"],
                                name=op.f("fk_development_image_concept_id_development_concept"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_user_id"], ["user.id"],
                                name=op.f("fk_development_image_uploaded_by_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_image")),
    )
    op.create_index("ix_development_image_concept_position", "development_image", ["concept_id", "position"],
                    unique=False)


def downgrade():
    op.drop_index("ix_development_image_concept_position", table_name="development_image")
    op.drop_table("development_image")
    op.drop_index("ix_development_note_concept_created", table_name="development_note")
    op.drop_table("development_note")
    op.drop_index("ix_development_partner_concept_id", table_name="development_partner")
    op.drop_table("development_partner")
    op.drop_index("ix_development_concept_product_product_id", table_name="development_concept_product")
    op.drop_table("development_concept_product")
    op.drop_index("ix_development_concept_unit_unit_id", table_name="development_concept_unit")
    op.drop_table("development_concept_unit")
    op.drop_index("ix_development_concept_stage_updated", table_name="development_concept")
    op.drop_table("development_concept")
