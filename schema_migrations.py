"""The schema's migrations: `flask db ...` (Flask-Migrate) and the upgrade `init-db` runs.

Why a module of its own: Flask-Migrate imports Alembic (with Mako and Pygments) as it is
imported, about a tenth of a second of CPU and three on a busy machine, which every `flask`
command and every server start paid though only `flask db ...`, `flask init-db` and the tests
migrate. Here Flask-Migrate is imported, and bound to the app, when one of those runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def init_migrations(app: Flask) -> None:
    """Register `flask db ...`; Flask-Migrate is loaded when it runs."""
    app.cli.add_command(_MigrationCommands(app))


def upgrade_schema() -> None:
    """Upgrade the current app's database to the newest migration."""
    from flask_migrate import upgrade

    _bind_migrations(current_app)
    upgrade(directory=str(MIGRATIONS_DIR))


def _bind_migrations(app: Flask) -> None:
    """Flask-Migrate's state on the app (what `migrations/env.py` reads), once per app."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


class _MigrationCommands(click.Group):
    """Flask-Migrate's `db` group, named and described here, imported when it is run or listed."""

    def __init__(self, app: Flask) -> None:
        super().__init__("db", help="Perform database migrations (Flask-Migrate, Alembic).")
        self._app = app

    def _commands(self) -> click.Group:
        _bind_migrations(self._app)
        from flask_migrate.cli import db as commands

        return commands

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:  # fmt: skip
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get_command(ctx, name)
