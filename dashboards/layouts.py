"""Each role's dashboard layout: the shipped defaults, the one validation every saved layout
passes (`checked_layout`), and reading and saving layouts (audited).

A layout is a list of placements, {"widget": key, "params": {name: value}}, drawn in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from dashboards import catalogue  # noqa: F401  (registers every widget kind)
from dashboards.registry import REGISTRY, ParameterRefused, may_show
from models.audit import AuditEvent, changed_values
from models.base import RecordRefused
from models.config import HIDE_FINANCE_FROM_MANAGERS, Setting
from models.dashboards import DashboardLayout
from models.labels import role_label
from models.people import PANEL_ROLES

Placement = dict[str, Any]
MOST_WIDGETS = 30
SAVED_MEANWHILE = (
    "Someone saved this dashboard meanwhile. Reload the page to see their layout; "
    "nothing was saved."
)


def _place(widget: str, **params: Any) -> Placement:
    return {"widget": widget, "params": params}


DEFAULT_LAYOUTS: dict[str, list[Placement]] = {
    "super_admin": [
        _place("total_due"), _place("overdue", past_due="0"), _place("dso", period_days="90"),
        _place("open_actions", assigned_to_me=False),
        _place("emails_failed", limit=5), _place("credit_requests_waiting", limit=5),
        _place("aging_chart", by="account-manager", top=8), _place("overdue_trend", months=6),
        _place("shortcuts"),
    ],
    "admin": [
        _place("total_due"), _place("overdue", past_due="0"),
        _place("credit_used", threshold_percent=80), _place("open_actions", assigned_to_me=False),
        _place("aging_chart", by="account-manager", top=8), _place("collections_chart", months=6),
        _place("top_overdue_accounts", limit=5), _place("credit_requests_waiting", limit=5),
        _place("emails_failed", limit=5), _place("my_open_actions", limit=10),
    ],
    "manager": [
        _place("total_due"), _place("overdue", past_due="0"),
        _place("credit_used", threshold_percent=80), _place("open_actions", assigned_to_me=True),
        _place("my_accounts", limit=50),
        _place("my_open_actions", limit=10), _place("aging_chart", by="account", top=8),
    ],
    "analyst": [
        _place("total_due"), _place("overdue", past_due="0"), _place("overdue", past_due="90"),
        _place("dso", period_days="90"),
        _place("aging_chart", by="account-manager", top=8), _place("overdue_trend", months=6),
        _place("collections_chart", months=6), _place("top_overdue_accounts", limit=5),
    ],
}  # fmt: skip
"""What each role lands on until a super admin changes it: the figures its day starts with."""


def finance_hidden_from(session: Any, role: str) -> bool:
    return role == "manager" and Setting.is_enabled(session, HIDE_FINANCE_FROM_MANAGERS)


def checked_layout(session: Any, role: str, placements: Sequence[Any]) -> list[Placement]:
    """The layout as it will be stored, or RecordRefused with every problem found: a role that
    has no dashboard, an unknown widget, a parameter the widget does not declare or accept, or a
    widget (or option) reading a field or record the role may not read."""
    if role not in PANEL_ROLES:
        raise RecordRefused([("role", f"There is no dashboard for the role {role!r}.")])
    if not isinstance(placements, Sequence) or len(placements) > MOST_WIDGETS:
        raise RecordRefused([("widgets", f"A dashboard holds at most {MOST_WIDGETS} widgets.")])
    finance_hidden = finance_hidden_from(session, role)
    checked, problems = [], []
    for position, placement in enumerate(placements, start=1):
        key = placement.get("widget") if isinstance(placement, Mapping) else None
        submitted = placement.get("params", {}) if isinstance(placement, Mapping) else None
        kind = REGISTRY.get(key) if isinstance(key, str) else None
        if kind is None or not isinstance(submitted, Mapping):
            problems.append(("widgets", f"Widget {position}: there is no widget {key!r}."))
            continue
        try:
            params = kind.parsed_parameters(submitted)
        except ParameterRefused as refused:
            problems.append(("widgets", f"Widget {position} ({kind.label}): {refused}"))
            continue
        if not may_show(kind, params, role, finance_hidden):
            who = role_label(role).lower()
            problems.append(("widgets", f"Widget {position} ({kind.label}) reads fields or "
                             f"records the {who} role may not read."))  # fmt: skip
            continue
        checked.append({"widget": kind.key, "params": params})
    if problems:
        raise RecordRefused(problems)
    return checked


def stored_layout(session: Any, role: str) -> DashboardLayout | None:
    return session.scalar(sa.select(DashboardLayout).where(DashboardLayout.role == role))


def layout_for(session: Any, role: str) -> list[Placement]:
    """The role's saved layout, or its shipped default."""
    stored = stored_layout(session, role)
    if stored is not None:
        return list(stored.widgets)
    return [dict(placement) for placement in DEFAULT_LAYOUTS.get(role, [])]


def save_layout(
    session: Any, role: str, placements: Sequence[Any], actor: Mapping[str, Any],
    expected_version: int | None,
) -> list[Placement]:  # fmt: skip
    """Check and store `role`'s layout, audited; the caller commits. A layout saved by someone
    else since the editor was opened (`expected_version`) is refused, not overwritten."""
    checked = checked_layout(session, role, placements)
    stored = stored_layout(session, role)
    current_version = stored.version_id if stored is not None else 0
    if expected_version is not None and expected_version != current_version:
        raise RecordRefused([("version", SAVED_MEANWHILE)])
    before = layout_for(session, role)
    if stored is None:
        stored = DashboardLayout(role=role, widgets=checked)
        session.add(stored)
    else:
        stored.widgets = checked
    stored.updated_by_id = actor.get("user_id")
    session.flush()
    session.add(AuditEvent(
        action="update", entity="DashboardLayout", entity_id=role,
        changes=changed_values({"widgets": before}, {"widgets": checked}), **actor,
    ))  # fmt: skip
    return checked


def reset_layout(session: Any, role: str, actor: Mapping[str, Any]) -> None:
    """Back to the shipped default (the stored row goes), audited; the caller commits."""
    stored = stored_layout(session, role)
    if stored is None:
        return
    before = list(stored.widgets)
    session.delete(stored)
    session.add(AuditEvent(
        action="update", entity="DashboardLayout", entity_id=role,
        changes=changed_values({"widgets": before}, {"widgets": DEFAULT_LAYOUTS[role]}), **actor,
    ))  # fmt: skip
