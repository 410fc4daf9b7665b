"""`flask report verify`: the cached aging figures checked against the ledger, figure by figure.

What it checks:
- the database keeps the ledger stamp: its row exists and every trigger migration 0014 created
  is there (one missing and some write path would leave the cache stale);
- every entry the cache lists for the current ledger stamp (`reports.aging_cache`): the report is
  built again from the ledger, for the same parameters and viewer, and each row and figure must
  be equal. An entry whose viewer has since changed role or field rules is never served again
  (its key no longer matches) and is only counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboards.warming import RoleViewer
from forms_config.readability import reading_as
from forms_config.stamp import LEDGER_STAMP, LEDGER_TRIGGERS, config_stamp
from models import User
from reports.aging import aging_report
from reports.aging_cache import (
    AgingFigures,
    cached_entries,
    entry_key,
    parameters_recipe,
    stored_figures,
)
from reports.aging_parameters import AgingParameters
from reports.queries import FULL_ACCESS


@dataclass
class Verification:
    """What `report verify` found: problems (each a line to print) and what it compared."""

    problems: list[str] = field(default_factory=list)
    entries_checked: int = 0
    entries_unreachable: int = 0
    stamp: int = 0


def expected_trigger_names(dialect: str) -> set[str]:
    names = {"ledger_stamp_at_commit"} if dialect == "postgresql" else set()  # bumps at COMMIT
    for table, events in LEDGER_TRIGGERS.items():
        truncate = ("truncate",) if dialect == "postgresql" and "delete" in events else ()
        names |= {f"ledger_stamp_{table}_{event.split()[0]}" for event in (*events, *truncate)}
    return names


def _trigger_names(session: Session) -> set[str]:
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(session.scalars(sa.text(query)))


def verify_cached_aging(session: Session) -> Verification:
    """Check the triggers, then recompute every entry listed for the current stamp."""
    found = Verification(stamp=config_stamp(session, LEDGER_STAMP))
    missing = expected_trigger_names(session.get_bind().dialect.name) - _trigger_names(session)
    for name in sorted(missing):
        found.problems.append(f"Trigger {name} is missing: the ledger stamp would not move.")
    if found.stamp == 0:
        found.problems.append("The ledger stamp row is missing: nothing can be cached exactly.")
        return found
    stamp, entries = cached_entries()
    if stamp != found.stamp:
        return found  # nothing cached under the current stamp: nothing can be served stale
    for key, recipe in entries.items():
        stored = [stored_figures(key), stored_figures(key, head=True)]
        if stored == [None, None]:
            continue  # expired or cleared: it will be built again when asked for
        parameters = _parameters_again(session, recipe)
        rebuilt = parameters and parameters_recipe(parameters, recipe["grouping"])
        if not rebuilt or entry_key(stamp, rebuilt) != key:
            found.entries_unreachable += 1
            continue
        with reading_as(recipe["role"]):
            ledger = aging_report(session, parameters, recipe["grouping"])
        found.entries_checked += 1
        for figures, part in zip(stored, ("", " (its first rows)"), strict=True):
            if figures is not None:
                found.problems += _differences(_describe(recipe) + part, figures, ledger)
    return found


def _parameters_again(session: Session, recipe: dict[str, Any]) -> AgingParameters | None:
    """The entry's parameters with a viewer it is served to now (None: nobody can be).

    An entry over every row is shared by its role (the key names no person): it is rebuilt as
    that role, whoever first asked for it; an entry over one person's rows, as that person."""
    if recipe["role"] == FULL_ACCESS.role:
        viewer: Any = FULL_ACCESS
    elif recipe["scope"] == "all":
        viewer = RoleViewer(recipe["role"], recipe["viewer_id"])
    else:
        viewer = session.get(User, recipe["viewer_id"])
        if viewer is None:
            return None
    values = dict(recipe["parameters"])
    values["as_of"] = dt.date.fromisoformat(values["as_of"])
    values["bucket_edges"] = tuple(values["bucket_edges"])
    return AgingParameters(viewer=viewer, **values)


def _describe(recipe: dict[str, Any]) -> str:
    asked = ", ".join(
        f"{name} {value}"
        for name, value in recipe["parameters"].items()
        if value not in (None, "", False)
    )
    return f"Aging by {recipe['grouping']} for {recipe['role']} ({recipe['scope']}), {asked}"


def _differences(described: str, figures: AgingFigures, ledger: pd.DataFrame) -> list[str]:
    """One line per row missing on either side and per figure that differs (a head is compared
    with as many first rows of the ledger's report)."""
    is_total = ledger.index.isna()
    if figures.row_count != (~is_total).sum():
        return [f"{described}: {figures.row_count} rows cached, {(~is_total).sum()} in the ledger"]
    ledger = pd.concat([ledger[~is_total].iloc[: len(figures.rows)], ledger[is_total]])
    cached = figures.report()
    if list(cached.columns) != list(ledger.columns):
        return [f"{described}: columns {list(cached.columns)}, ledger {list(ledger.columns)}"]
    cached_rows, ledger_rows = _rows_by_key(cached), _rows_by_key(ledger)
    lines = []
    for key in sorted(cached_rows.keys() | ledger_rows.keys(), key=str):
        if key not in ledger_rows:
            lines.append(f"{described}: row {key} is cached but not in the ledger's report")
        elif key not in cached_rows:
            lines.append(f"{described}: row {key} is in the ledger's report but not cached")
        else:
            ledger_row = ledger_rows[key]
            lines += [
                f"{described}: row {key} {column}: cached {value}, ledger {ledger_row[column]}"
                for column, value in cached_rows[key].items()
                if value != ledger_row[column]
            ]
    if not lines and not cached.equals(ledger):
        lines.append(f"{described}: the same figures, in another order or form")
    return lines


def _rows_by_key(report: pd.DataFrame) -> dict[tuple[Any, ...], dict[str, Any]]:
    """(id or the label of a TOTAL row, currency, n-th such row) -> the row's values; the count
    keeps rows apart where the viewer may not read the currency."""
    seen: Counter[tuple[Any, Any]] = Counter()
    keys = []
    for row_id, label, currency in zip(
        report.index, report.iloc[:, 0], report["currency"], strict=True
    ):
        row = (label if pd.isna(row_id) else int(row_id), currency)
        keys.append((*row, seen[row]))
        seen[row] += 1
    return dict(zip(keys, report.to_dict("records"), strict=True))
