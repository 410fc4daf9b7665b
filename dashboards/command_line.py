"""`flask dashboards warm`: compute the dashboards' figures ahead of their viewers.

The worker already does it every five minutes; the command is for a deploy, or for cron where
no worker runs."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from extensions import db


@click.group("dashboards")
def dashboards_command() -> None:
    """Dashboard figures."""


@dashboards_command.command("warm")
@click.option("--managers/--no-managers", default=True, show_default=True,
              help="Also each active manager's figures (their accounts only).")  # fmt: skip
@with_appcontext
def warm(managers: bool) -> None:
    """Compute every role's dashboard figures into the cache, so that the next viewer gets them at
    once. The worker does it every 5 minutes; run it at deploy, or from cron without a worker."""
    from dashboards.warming import warm_dashboards  # pandas: only for this command

    started = time.perf_counter()
    warmed = warm_dashboards(db.session, managers)
    click.echo(f"Computed {warmed.widgets} widget(s) for {warmed.viewers} viewer(s) "
               f"in {time.perf_counter() - started:.1f} s.")  # fmt: skip
