"""A role's dashboard as drawn for one viewer: each placement of the layout that the role may be
shown, with its figures (from the cache) and when they were computed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dashboards.cache import widget_figures
from dashboards.layouts import finance_hidden_from, layout_for
from dashboards.registry import REGISTRY, ParameterRefused, WidgetKind, may_show
from error_references import logged_error_message


@dataclass(frozen=True)
class DrawnWidget:
    kind: WidgetKind
    params: dict[str, Any]
    result: Any
    computed_at: dt.datetime | None
    error: str | None = None


def dashboard_widgets(
    session: Any, viewer: Any, role: str, refresh: bool = False
) -> list[DrawnWidget]:
    """The widgets of `role`'s layout for `viewer`. A placement the role may no longer be shown
    (a field hidden since it was placed, finance hidden from managers), or whose widget or
    parameters are no longer known, is left out."""
    finance_hidden = finance_hidden_from(session, role)
    drawn = []
    for placement in layout_for(session, role):
        kind = REGISTRY.get(placement.get("widget", ""))
        if kind is None:
            continue
        try:
            params = kind.parsed_parameters(placement.get("params", {}))
        except ParameterRefused:
            continue
        if not may_show(kind, params, role, finance_hidden):
            continue
        try:
            result, computed_at = widget_figures(session, kind, params, role, viewer, refresh)
        except Exception:
            session.rollback()
            message = logged_error_message(
                "This widget could not be drawn.", f"dashboard widget {kind.key} {params}"
            )
            drawn.append(DrawnWidget(kind, params, None, None, message))
            continue
        drawn.append(DrawnWidget(kind, params, result, computed_at))
    return drawn
