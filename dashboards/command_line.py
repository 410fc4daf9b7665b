"""`flask dashboards warm`: compute the dashboards' figures ahead of their viewers (cron)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from dashboards.cache import widget_figures
from dashboards.layouts import finance_hidden_from, layout_for
from dashboards.registry import REGISTRY, ROW_SCOPE, ParameterRefused, may_show
from extensions import db
from models.people import PANEL_ROLES, User
from models.scoping import SCOPED_ROLES


@dataclass(frozen=True)
class RoleViewer:
    """Whoever of a role that sees every row: their figures are the same for all of them."""

    role: str
    id: int = 0


@click.group("dashboards")
def dashboards_command() -> None:
    """Dashboard figures."""


@dashboards_command.command("warm")
@click.option("--managers/--no-managers", default=True, show_default=True,
              help="Also each active manager's figures (their accounts only).")  # fmt: skip
@with_appcontext
def warm(managers: bool) -> None:
    """Compute every role's dashboard figures into the cache, so that the next viewer gets them at
    once. Run it from cron more often than the cache keeps figures (15 minutes by default), for
    example every 5 minutes. Widgets about the viewer themselves (assigned to me) are computed
    when that viewer opens the page."""
    started = time.perf_counter()
    viewers: list[object] = [RoleViewer(role) for role in PANEL_ROLES if role not in SCOPED_ROLES]
    if managers:
        viewers += db.session.scalars(
            sa.select(User).where(User.role.in_(SCOPED_ROLES), User.active.is_(True))
        ).all()
    computed = 0
    for viewer in viewers:
        finance_hidden = finance_hidden_from(db.session, viewer.role)
        for placement in layout_for(db.session, viewer.role):
            kind = REGISTRY.get(placement.get("widget", ""))
            if kind is None or kind.scope != ROW_SCOPE:
                continue
            try:
                params = kind.parsed_parameters(placement.get("params", {}))
            except ParameterRefused:
                continue
            if may_show(kind, params, viewer.role, finance_hidden):
                widget_figures(db.session, kind, params, viewer.role, viewer, refresh=True)
                computed += 1
    click.echo(f"Computed {computed} widget(s) for {len(viewers)} viewer(s) "
               f"in {time.perf_counter() - started:.1f} s.")  # fmt: skip
