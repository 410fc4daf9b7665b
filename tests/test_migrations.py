"""The Alembic migrations build exactly the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from extensions import db


def test_migrated_schema_matches_the_models() -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_every_foreign_key_leads_an_index() -> None:
    """Joins, scoping and ON DELETE SET NULL on a parent row all look rows up by these columns."""
    inspector = sa.inspect(db.engine)
    unindexed = []
    for table in inspector.get_table_names():
        indexed = [index["column_names"] for index in inspector.get_indexes(table)]
        indexed += [unique["column_names"] for unique in inspector.get_unique_constraints(table)]
        indexed.append(inspector.get_pk_constraint(table)["constrained_columns"])
        leading = {columns[0] for columns in indexed if columns}
        for key in inspector.get_foreign_keys(table):
            if key["constrained_columns"][0] not in leading:
                unindexed.append(f"{table}.{key['constrained_columns'][0]}")
    assert unindexed == []
