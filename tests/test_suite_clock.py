"""The suite reads today's date when each test runs, never when a test module is imported.

A suite run that crosses midnight would otherwise compare the app's today with a date of the day
before (tests take the `today` fixture of tests/conftest.py instead).
"""

from __future__ import annotations

import ast
from pathlib import Path

CLOCK_READS = {"today", "now", "utcnow", "utc_today"}
TESTS = Path(__file__).parent


class ImportTimeClockReads(ast.NodeVisitor):
    """Collects the clock reads that run on import: a function's body runs later, but its
    decorators and default values run when the module is imported."""

    def __init__(self) -> None:
        self.lines: list[int] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if part is not None:
                self.visit(part)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for part in [*node.args.defaults, *node.args.kw_defaults]:
            if part is not None:
                self.visit(part)

    def visit_Call(self, node: ast.Call) -> None:
        called = node.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        if name in CLOCK_READS:
            self.lines.append(node.lineno)
        self.generic_visit(node)


def import_time_clock_reads(source: str) -> list[int]:
    reads = ImportTimeClockReads()
    reads.visit(ast.parse(source))
    return reads.lines


def test_no_test_module_reads_the_date_when_it_is_imported() -> None:
    found = {
        path.name: lines
        for path in sorted(TESTS.glob("*.py"))
        if (lines := import_time_clock_reads(path.read_text()))
    }
    assert found == {}


def test_the_check_finds_a_date_read_at_import_and_lets_one_read_in_a_test_pass() -> None:
    source = (
        "import datetime as dt\n"
        "TODAY = dt.date.today()\n"
        "@pytest.mark.parametrize('day', [dt.date.today()])\n"
        "def test_day(day, later=lambda: dt.datetime.now()):\n"
        "    assert dt.date.today() >= day\n"
        "START = utc_today()\n"
    )
    assert import_time_clock_reads(source) == [2, 3, 6]
