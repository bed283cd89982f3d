"""The coordinator's work: a unit's contact, visiting address, opening hours, and whether it is trusted.

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
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("visiting_address", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("opening_hours", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("trusted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("trusted")
        batch.drop_column("opening_hours")
        batch.drop_column("visiting_address")
        batch.drop_column("contact_phone")
        batch.drop_column("contact_name")
