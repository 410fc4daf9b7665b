"""`flask db ...` (Flask-Migrate) still answers though Alembic is loaded only when it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from schema_migrations import MIGRATIONS_DIR

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def flask(app, *arguments: str) -> subprocess.CompletedProcess[str]:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *arguments],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DATABASE_URL": url})  # fmt: skip


def newest_migration() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_flask_db_current_names_the_newest_migration(app) -> None:
    done = flask(app, "db", "current")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{newest_migration()} (head)" in done.stdout


def test_flask_db_lists_its_commands_and_options(app) -> None:
    done = flask(app, "db", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Perform database migrations." in done.stdout
    for name in ("upgrade", "downgrade", "revision", "current", "--directory"):
        assert name in done.stdout
    listed = flask(app, "--help")
    assert "db" in listed.stdout.split() and "report" in listed.stdout.split()
