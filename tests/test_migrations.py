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


def test_every_indexed_date_ends_its_index_in_the_id() -> None:
    """A list sorted by a date breaks ties by id: (date, id) lets PostgreSQL read a page straight
    from the index, where (date) alone made it sort every row of the first date."""
    inspector = sa.inspect(db.engine)
    date_only = []
    for table in inspector.get_table_names():
        dates = {c["name"] for c in inspector.get_columns(table) if isinstance(c["type"], sa.Date)}
        for index in inspector.get_indexes(table):
            columns = index["column_names"]
            if columns and columns[0] in dates and columns[1:] != ["id"]:
                date_only.append(f"{table}.{index['name']}: {columns}")
    assert date_only == []
