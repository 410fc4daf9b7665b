"""The `flask import` and `flask export` commands (ARCHITECTURE §6); `app.py` registers them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from bulk_io.kinds import KINDS
from extensions import db

if TYPE_CHECKING:
    from bulk_io.importing import ImportReport

PROGRESS_BAR_FROM_BYTES = 1024 * 1024
"""Smaller files import in a blink; a bar would only flicker."""


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the whole file and report; write nothing.")
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool) -> None:
    """Import KIND records from FILE (CSV in UTF-8, or XLSX), all or nothing.

    A row whose key (account code, user e-mail, invoice number, payment reference, credit-note
    number) exists updates that record; other rows create one. Any bad row: every bad row is
    listed (row, column, value, reason), nothing is written and the exit status is 1.
    """
    from bulk_io.importing import SystemActor, run_import  # loaded by `flask import` alone

    if file.stat().st_size >= PROGRESS_BAR_FROM_BYTES:
        with click.progressbar(length=1000, label=f"Importing {file.name}") as bar:

            def advance(done: int, size: int, _rows: int) -> None:
                bar.update(int(1000 * done / max(size, 1)) - bar.pos)

            report = run_import(
                db.session, kind, file, SystemActor(), dry_run=dry_run, progress=advance
            )
    else:
        report = run_import(db.session, kind, file, SystemActor(), dry_run=dry_run)
    _print_report(report)
    if not report.ok:
        raise SystemExit(1)


def _print_report(report: ImportReport) -> None:
    for error in report.errors:
        place = f"Row {error.row}" + (f", column {error.column}" if error.column else "")
        value = f" (value {error.value!r})" if error.value else ""
        click.echo(f"{place}{value}: {error.reason}", err=True)
    if report.unlisted_errors:
        click.echo(f"... and {report.unlisted_errors} more problems not listed.", err=True)
    click.echo(report.summary())


@click.command("export")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(kind: str, file: Path) -> None:
    """Export every KIND record to FILE: XLSX if it ends in .xlsx, otherwise CSV.

    The columns are those the import reads, so an exported file can be edited and imported back.
    """
    from bulk_io.exporting import export_kind  # loaded by `flask export` alone
    from bulk_io.importing import SystemActor

    written = export_kind(db.session, kind, file, SystemActor())
    click.echo(f"Exported {written} {kind} to {file}.")
