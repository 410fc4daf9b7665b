"""The aging report's figures, kept per ledger stamp: a page shown again without a ledger scan.

An entry is `aging_report`'s frame for one (ledger stamp, grouping, parameters, viewer's role,
row scope, fingerprint of the role's unreadable fields), in the dashboards' Flask-Caching store
(`dashboards.cache.figures_cache`). The ledger stamp is bumped by the database's own triggers
(migration 0014) in the same transaction as any write the aging shows, whichever path wrote it
(forms, imports' fast inserts, bulk actions, raw SQL), so a committed change makes every older
entry unreachable. The stamp is read before the figures are computed: an entry may hold figures
newer than its stamp, never older.

Entries keep money as whole cents (`int64`): 246,000 rows by account unpickle in ~0.05 s, where
the same frame of `Decimal`s took 0.8 s. A page sorts on the cents and turns only its own rows
back into `Decimal`; downloads get the whole frame back (`cached_aging_report`), equal to
`aging_report`'s. Beside each entry, its head (the first `HEAD_ROWS` rows, the totals and the
row count) serves the first pages in the report's own order without loading the 30 MB entry.
A first page asked for before anything is stored gets a head built alone: the database still
reads every invoice, but sends only those rows and the totals, and nothing big is stored (by
account: 1,000 rows instead of 250,000 carried, framed and pickled). The whole entry is built
when a page needs more (another order, a later page) or a download does.

One index entry lists the entries made under the newest stamp, with what each was built from:
storing under a newer stamp deletes the older stamp's entries (so the store holds one ledger's
worth), and `flask report verify` recomputes every listed entry (`reports.aging_verify`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from dashboards.cache import figures_cache, rows_scope, unreadable_fingerprint
from forms_config.stamp import LEDGER_STAMP, config_stamp
from reports.aging import first_rows_in_cents, money_of_cents
from reports.aging_parameters import AgingParameters, money_columns
from reports.readable_columns import columns_worth_showing, viewer_role

ENTRY_SECONDS = 24 * 60 * 60
"""How long an entry may wait unread: entries never go stale (the stamp decides); this only
bounds what an idle store keeps."""
INDEX_KEY = "aging:entries"
HEAD_ROWS = 1000
"""Rows kept in an entry's head (`AgingFigures.head`), stored beside it under `HEAD_SUFFIX`: the
first five pages in the report's order, served without loading every row."""
HEAD_SUFFIX = ":head"


@dataclass(frozen=True)
class AgingFigures:
    """One aging report, as stored: the rows with money in cents, the TOTAL rows in money."""

    rows: pd.DataFrame
    """Every row but the TOTAL rows, in the report's order; `in_cents` columns hold cents."""
    totals: pd.DataFrame
    """The TOTAL rows (one per currency), exactly as `aging_report` gives them."""
    in_cents: tuple[str, ...]
    columns_shown: list[str]
    """The page's columns (`columns_worth_showing` of the whole report)."""
    row_count: int
    """The report's rows but TOTAL rows: `len(rows)`, but in a head (`head`)."""

    @classmethod
    def of_report(
        cls, report: pd.DataFrame, parameters: AgingParameters, row_count: int | None = None
    ) -> AgingFigures:
        """From `aging_report_in_cents` (or its first rows, of `row_count` in all): money stays
        in cents but on the TOTAL rows (a few)."""
        is_total = report.index.isna()
        in_cents = tuple(
            column
            for column in money_columns(parameters.bucket_edges)
            if column in report.columns and pd.api.types.is_integer_dtype(report[column])
        )  # a column the viewer may not read holds no money: it stays as `readable_report` left it
        if row_count is None:
            row_count = int((~is_total).sum())
        figures = cls(report[~is_total], report[is_total], in_cents,
                      columns_worth_showing(report), row_count)  # fmt: skip
        return dataclasses.replace(figures, totals=figures._in_money(figures.totals))

    def head(self, count: int) -> AgingFigures:
        """The same figures with only the first `count` rows: enough for the first pages in the
        report's order, and small enough to load in milliseconds."""
        return dataclasses.replace(self, rows=self.rows.iloc[:count])

    def page(self, sort: str, descending: bool, first: int, count: int) -> pd.DataFrame:
        """Rows `first` to `first + count` ordered by column `sort` (when it is one; ties keep
        the report's order), money as `Decimal`: as `aging_report`'s rows sorted alike."""
        if sort in self.rows.columns:
            order = self.rows[sort].reset_index(drop=True)
            positions = order.sort_values(ascending=not descending, kind="stable").index
            return self._in_money(self.rows.iloc[positions[first : first + count]])
        return self._in_money(self.rows.iloc[first : first + count])

    def report(self) -> pd.DataFrame:
        """The report as `aging_report` gave it (a head: its first rows and the TOTAL rows)."""
        return pd.concat([self._in_money(self.rows), self.totals])

    def _in_money(self, rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        for column in self.in_cents:
            rows[column] = money_of_cents(rows[column])
        return rows


def parameters_recipe(parameters: AgingParameters, grouping: str) -> dict[str, Any]:
    """What an entry is built from, as plain values: the key's parts, and what `flask report
    verify` builds the same report from again."""
    fields = {
        field.name: getattr(parameters, field.name)
        for field in dataclasses.fields(parameters)
        if field.name != "viewer"
    }
    fields["as_of"] = parameters.as_of.isoformat()
    fields["bucket_edges"] = list(parameters.bucket_edges)
    role = viewer_role(parameters.viewer)
    return {
        "grouping": grouping,
        "parameters": fields,
        "viewer_id": parameters.viewer.id,
        "role": role,
        "scope": rows_scope(parameters.viewer),
        "fields": unreadable_fingerprint(role),
    }


def entry_key(stamp: int, recipe: dict[str, Any]) -> str:
    """The recipe without whom it was first built for: what a report shows depends on the
    viewer's role, rows and unreadable fields, all in the key, so colleagues with the same role
    and rows share one entry (verify rebuilds it as the viewer it names)."""
    shared = {part: value for part, value in recipe.items() if part != "viewer_id"}
    return f"aging:{stamp}:" + json.dumps(shared, sort_keys=True, separators=(",", ":"))


def ledger_stamp(session: Session) -> int:
    """The ledger stamp (in a web request, as the request began); 0 where migration 0014 has
    not run, and nothing is then cached."""
    return config_stamp(session, LEDGER_STAMP)


def aging_figures(
    session: Session, parameters: AgingParameters, grouping: str, rows_needed: int | None = None
) -> AgingFigures:
    """`aging_report`'s figures for these parameters and viewer: from the store when they were
    built under the current ledger stamp, else built now and stored. With `rows_needed`, figures
    holding at least the first that many rows in the report's order will do (a head)."""
    stamp = ledger_stamp(session)  # before the figures: they are then at least this recent
    if stamp == 0:
        return _built(session, parameters, grouping)
    recipe = parameters_recipe(parameters, grouping)
    key = entry_key(stamp, recipe)
    wants_head = rows_needed is not None and rows_needed <= HEAD_ROWS
    if wants_head and (head := figures_cache.get(key + HEAD_SUFFIX)) is not None:
        return head
    figures = figures_cache.get(key)
    if figures is None and wants_head:  # the first pages, without the report's other rows
        head = _built(session, parameters, grouping, first_rows=HEAD_ROWS)
        _store(key, stamp, recipe, head=head)
        return head
    if figures is None:
        figures = _built(session, parameters, grouping)
        _store(key, stamp, recipe, figures.head(HEAD_ROWS), figures)
    return figures


def _built(
    session: Session, parameters: AgingParameters, grouping: str, first_rows: int | None = None
) -> AgingFigures:
    report, row_count = first_rows_in_cents(session, parameters, grouping, first_rows)
    return AgingFigures.of_report(report, parameters, row_count)


def cached_aging_report(
    session: Session, parameters: AgingParameters, grouping: str
) -> pd.DataFrame:
    """`aging_report(session, parameters, grouping)`, through the store."""
    return aging_figures(session, parameters, grouping).report()


def _store(
    key: str, stamp: int, recipe: dict[str, Any], head: AgingFigures,
    figures: AgingFigures | None = None,
) -> None:  # fmt: skip
    """Keep `head` (and the whole `figures`, when built) and list them in the index; a newer
    stamp's index drops the older entries.

    Two workers storing at once may each write the index without the other's entry: that entry
    is still served, and only `report verify` and the clean-up miss it (it expires unread)."""
    index = figures_cache.get(INDEX_KEY)
    if index is not None and index["stamp"] > stamp:
        return  # built under a stamp already superseded: nobody will ask for it again
    if index is None or index["stamp"] < stamp:
        if index is not None:
            older = [key + suffix for key in index["entries"] for suffix in ("", HEAD_SUFFIX)]
            figures_cache.delete_many(*older)
        index = {"stamp": stamp, "entries": {}}
    if figures is not None:
        figures_cache.set(key, figures, timeout=ENTRY_SECONDS)
    figures_cache.set(key + HEAD_SUFFIX, head, timeout=ENTRY_SECONDS)
    index["entries"][key] = recipe
    figures_cache.set(INDEX_KEY, index, timeout=ENTRY_SECONDS)


def stored_figures(key: str, head: bool = False) -> AgingFigures | None:
    return figures_cache.get(key + HEAD_SUFFIX if head else key)


def cached_entries() -> tuple[int | None, dict[str, dict[str, Any]]]:
    """(stamp, {key: recipe}) of the entries the index lists; (None, {}) when it lists none."""
    index = figures_cache.get(INDEX_KEY)
    if index is None:
        return None, {}
    return index["stamp"], dict(index["entries"])
