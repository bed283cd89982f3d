"""The migrations are the only source of the schema: they must agree with the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shop.extensions import db


def test_models_and_migrations_agree(app):
    def include_object(object_, name, type_, reflected, compare_to):
        return not (type_ == "table" and name.startswith("product_search"))

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_the_search_index_table_exists_in_the_form_the_database_needs(app):
    from sqlalchemy import inspect, text

    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            columns = {c["name"]: str(c["type"]) for c in inspect(connection).get_columns("product_search")}
            assert columns["document"] == "TSVECTOR"
        else:
            sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'product_search'")).scalar()
            assert "fts5" in sql.lower()


def test_downgrade_and_upgrade_round_trip(app):
    from flask_migrate import downgrade, upgrade

    downgrade(revision="base")
    upgrade()
    assert "product" in db.inspect(db.engine).get_table_names()
