"""`flask --app app report aging ...` (ARCHITECTURE §6).

The `report` group is registered twice: by `app.py` on the app, and as a Flask plugin command
(the `flask.commands` entry point in pyproject.toml), which `flask` finds before it builds the app.
So `flask report aging --help` and a refused option answer without building the app (the
models, the database). A report is first offered to a running worker (`reports.report_service`),
which needs only the settings; without one the app is built, and the report's own modules
(pandas, DuckDB) are imported then too, each as late as it can be, so that DuckDB's process
loads while the app is built and pandas while the query runs.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from reports.aging_parameters import (
    BASES,
    GROUPINGS,
    AgingParameters,
    bucket_names,
    parse_bucket_edges,
)
from settings import APP_MODULE, settings_only

OUTPUT_FORMATS = ("csv", "xlsx", "pdf")


@dataclass(frozen=True)
class AgingRequest:
    """What `flask report aging` was asked for, as it travels to a worker."""

    as_of: dt.date | None
    """None: today where the report is made."""
    grouping: str
    basis: str
    bucket_edges: tuple[int, ...]
    file_format: str

    def to_json(self) -> str:
        fields = asdict(self)
        fields["as_of"] = self.as_of.isoformat() if self.as_of else None
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> AgingRequest:
        """Raises ValueError, KeyError or TypeError for a request it cannot read."""
        fields = json.loads(text)
        as_of = dt.date.fromisoformat(fields["as_of"]) if fields["as_of"] else None
        edges = tuple(int(edge) for edge in fields["bucket_edges"])
        return cls(as_of, str(fields["grouping"]), str(fields["basis"]), edges,
                   str(fields["file_format"]))  # fmt: skip


@dataclass(frozen=True)
class MadeReport:
    """The report's file, and how many rows it holds (the command says so on standard error)."""

    rows: int
    content: bytes


def _as_of(_context: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """None for today, which is decided where the report is made (`make_aging_report`)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD.") from None


def _buckets(_context: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        return parse_bucket_edges(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


def _output(_context: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower().lstrip(".") not in OUTPUT_FORMATS:
        raise click.BadParameter(f"the file must end in .{', .'.join(OUTPUT_FORMATS)}.")
    return value


@click.group("report")
def report_command() -> None:
    """Reports from the command line."""
    # At exit Python walks every object it made to collect cycles: a quarter of a second once
    # pandas and SQLAlchemy are loaded, for memory the process hands back anyway. Frozen
    # objects are skipped (the files a report writes are closed before then).
    atexit.register(gc.freeze)


@report_command.command("aging")
@click.option("--as-of", callback=_as_of, help="YYYY-MM-DD; today when left out.")
@click.option("--by", "grouping", type=click.Choice(GROUPINGS), default="account-manager",
              show_default=True, help="One row per (manager or account, currency).")  # fmt: skip
@click.option("--basis", type=click.Choice(BASES), default="due", show_default=True,
              help="Count days past the due date or the issue date.")  # fmt: skip
@click.option("--buckets", default="30,60,90", show_default=True, callback=_buckets,
              help="Bucket edges in days, increasing, separated by commas.")  # fmt: skip
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), callback=_output,
              help="FILE.csv, .xlsx or .pdf; CSV to standard output when left out.")  # fmt: skip
@click.pass_context
def aging_command(
    context: click.Context,
    as_of: dt.date | None,
    grouping: str,
    basis: str,
    buckets: tuple[int, ...],
    output: Path | None,
) -> None:
    """Receivables aging as of a date, every account (ARCHITECTURE §7).

    A running `flask worker` for the same database makes the file, which saves this command
    the app's start; without one, the command makes it itself."""
    from reports.report_service import WorkerRefused, made_by_worker

    file_format = output.suffix.lower().lstrip(".") if output else "csv"
    request = AgingRequest(as_of, grouping, basis, buckets, file_format)
    info = context.ensure_object(ScriptInfo)
    try:
        made = made_by_worker(_settings_of(info), request)
    except WorkerRefused as refusal:
        click.echo(f"{refusal}; making it here.", err=True)
        made = None
    made = made or _made_here(info, request)
    if output is None:
        click.echo(made.content.decode("utf-8"), nl=False)
        return
    output.write_bytes(made.content)
    click.echo(f"Wrote {made.rows:,} rows to {output}.", err=True)


def _settings_of(info: ScriptInfo) -> Flask:
    """The app's settings, without building the app when it is `flask --app app`'s own (an app
    given otherwise, as a test's, is built: its settings may be its own)."""
    if info.create_app is None and info.app_import_path == APP_MODULE:
        return settings_only()
    return info.load_app()


def _made_here(info: ScriptInfo, request: AgingRequest) -> MadeReport:
    from reports.duckdb_reader import forget_connections, start_duckdb, start_duckdb_process

    start_duckdb_process()  # SQLite's DuckDB process loads while the app is built
    with info.load_app().app_context():
        from extensions import db

        start_duckdb(db.engine)  # attached, or opened in this process for PostgreSQL
        made = make_aging_report(request)
        forget_connections()  # on SQLite, DuckDB's process: its CPU time is then counted as ours
    return made


def make_aging_report(request: AgingRequest) -> MadeReport:
    """The command's report as a file, in an app context: in the command or in a worker
    (`reports.report_service`). Every account: a command line sees the whole ledger."""
    from extensions import db
    from models.base import utc_today
    from reports.aging import aging_report  # the statements: SQLAlchemy, no pandas
    from reports.queries import FULL_ACCESS

    parameters = AgingParameters(
        as_of=request.as_of or utc_today(),
        viewer=FULL_ACCESS,
        basis=request.basis,
        bucket_edges=request.bucket_edges,
    )
    frame = aging_report(db.session, parameters, request.grouping)
    chart = None
    if request.file_format == "pdf":
        from reports.chart import aging_chart_png  # matplotlib takes a second to import

        chart = aging_chart_png(frame, frame.columns[0], bucket_names(request.bucket_edges))
    from reports.downloads import report_file

    title = f"Aging by {request.grouping.replace('-', ' ')}"
    written = report_file(frame, request.file_format, title=title,
                          slug=f"aging-by-{request.grouping}",
                          description=parameters.description(), chart_png=chart)  # fmt: skip
    return MadeReport(rows=len(frame), content=written.content)


@report_command.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check the cached aging figures against the ledger, figure by figure.

    Checks that the database's ledger-stamp triggers exist, then builds again every aging report
    cached under the current ledger stamp and compares each row and figure. Prints what differs
    and exits with status 1 if anything does.
    """
    from extensions import db
    from reports.aging_verify import verify_cached_aging

    found = verify_cached_aging(db.session)
    for line in found.problems:
        click.echo(line)
    click.echo(
        f"Ledger stamp {found.stamp}: {found.entries_checked} cached report(s) recomputed, "
        f"{len(found.problems)} problem(s)"
        + (f", {found.entries_unreachable} never served again" if found.entries_unreachable else "")
        + ".",
        err=bool(found.problems),
    )
    if found.problems:
        raise SystemExit(1)
