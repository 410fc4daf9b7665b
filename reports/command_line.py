"""`flask --app app report aging ...` (ARCHITECTURE §6).

The `report` group is registered twice: by `app.py` on the app, and as a Flask plugin command
(the `flask.commands` entry point in pyproject.toml), which `flask` finds before it builds the app.
So `flask report aging --help` and a refused option answer without building the app (the
models, the database): the app is built when a report runs, and the report's own modules
(pandas, DuckDB) are imported then too, each as late as it can be, so that DuckDB's process
loads while the app is built and pandas while the query runs.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
from pathlib import Path

import click
from flask.cli import ScriptInfo, with_appcontext

from reports.aging_parameters import (
    BASES,
    GROUPINGS,
    AgingParameters,
    bucket_names,
    parse_bucket_edges,
)

OUTPUT_FORMATS = ("csv", "xlsx", "pdf")


def _as_of(_context: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        from models.base import utc_today  # the models load when a report runs, not for --help

        return utc_today()
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
    as_of: dt.date,
    grouping: str,
    basis: str,
    buckets: tuple[int, ...],
    output: Path | None,
) -> None:
    """Receivables aging as of a date, every account (ARCHITECTURE §7)."""
    from reports.duckdb_reader import forget_connections, start_duckdb, start_duckdb_process

    start_duckdb_process()  # SQLite's DuckDB process loads while the app is built
    with context.ensure_object(ScriptInfo).load_app().app_context():
        from extensions import db
        from reports.aging import aging_report  # the statements: SQLAlchemy, no pandas
        from reports.queries import FULL_ACCESS

        start_duckdb(db.engine)  # attached, or opened in this process for PostgreSQL
        parameters = AgingParameters(as_of=as_of, viewer=FULL_ACCESS, basis=basis,
                                     bucket_edges=buckets)  # fmt: skip
        frame = aging_report(db.session, parameters, grouping)
        forget_connections()  # on SQLite, DuckDB's process: its CPU time is then counted as ours
        file_format = output.suffix.lower().lstrip(".") if output else "csv"
        chart = None
        if file_format == "pdf":
            from reports.chart import aging_chart_png  # matplotlib takes a second to import

            chart = aging_chart_png(frame, frame.columns[0], bucket_names(buckets))
        from reports.downloads import report_file

        title = f"Aging by {grouping.replace('-', ' ')}"
        written = report_file(frame, file_format, title=title, slug=f"aging-by-{grouping}",
                              description=parameters.description(), chart_png=chart)  # fmt: skip
    if output is None:
        click.echo(written.content.decode("utf-8"), nl=False)
        return
    output.write_bytes(written.content)
    click.echo(f"Wrote {len(frame):,} rows to {output}.", err=True)


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
