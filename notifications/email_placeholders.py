"""What an e-mail template may say: plain placeholders such as `{{ invoice.number }}`, from the
list its event offers, and nothing else.

A super admin's wording is checked here before it is saved and again before it is used, so it
can hold no Jinja logic at all: no tags, filters, calls, arithmetic or attribute walks (the
sandbox would stop most of those, but `{{ 'x' * 10**9 }}` is not one of them). Each placeholder
stands for a value the workflow passes after `outbox.readable_by_recipients` has put "(hidden)"
in place of anything a recipient's role may not read, so a template cannot reach further.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

_PARSER = SandboxedEnvironment()
ONLY_PLACEHOLDERS = (
    "Only placeholders such as {{ invoice.number }} may be used: no {% %} tags, filters, "
    "calls or expressions."
)


@dataclass(frozen=True)
class Placeholder:
    path: str
    meaning: str
    sample: str


_ACCOUNT = (
    Placeholder("account.code", "the account's code", "ACME01"),
    Placeholder("account.name", "the account's name", "Acme Training Ltd"),
)
_INVOICE = (
    *_ACCOUNT,
    Placeholder("invoice.number", "the invoice number", "INV-00042"),
    Placeholder("invoice.amount", "the invoice amount", "1,250.00"),
    Placeholder("invoice.open_amount", "what is still owed on it", "750.00"),
    Placeholder("invoice.currency", "its currency", "GBP"),
    Placeholder("invoice.issue_date", "its issue date", "2026-03-01"),
    Placeholder("invoice.due_date", "its due date", "2026-03-31"),
)
_DECISION = (
    *_ACCOUNT,
    Placeholder("amount", "the credit limit asked for", "5,000.00"),
    Placeholder("decided_by", "who decided", "kim@example.com"),
    Placeholder("reason", "the reason given", "Reliable payer for three years."),
)

PLACEHOLDERS: dict[str, tuple[Placeholder, ...]] = {
    "invoice_issued": _INVOICE,
    "invoice_paid": _INVOICE,
    "invoice_overdue": _INVOICE,
    "credit_limit_exceeded": (
        *_ACCOUNT,
        Placeholder("balance", "what the account owes", "6,100.00"),
        Placeholder("credit_limit", "its credit limit", "5,000.00"),
    ),
    "credit_request_submitted": (
        *_ACCOUNT,
        Placeholder("amount", "the credit limit asked for", "5,000.00"),
        Placeholder("current_limit", "the limit now", "2,000.00"),
        Placeholder("requested_by", "who asked", "sam@example.com"),
        Placeholder("reason", "why", "Larger orders from next month."),
    ),
    "credit_request_accepted": _DECISION,
    "credit_request_rejected": _DECISION,
    "statement": (
        *_ACCOUNT,
        Placeholder("period_start", "the first day of the statement's period", "2026-03-01"),
        Placeholder("as_of", "the statement's date", "2026-03-31"),
        Placeholder("balance", "the balance carried forward, with its currency", "1,250.00 GBP"),
    ),
}
"""Event -> the values its workflow passes to the template: what the template may name."""


def placeholders_of(event: str, built_in_texts: tuple[str, ...]) -> tuple[Placeholder, ...]:
    """The event's declared placeholders; for an event declared nowhere here, those its
    built-in wording uses (so a new event is editable, within what it already says)."""
    if event in PLACEHOLDERS:
        return PLACEHOLDERS[event]
    used = dict.fromkeys(path for text in built_in_texts for path in _paths_in(text))
    return tuple(Placeholder(path, "", f"[{path}]") for path in used)


def sample_values(placeholders: tuple[Placeholder, ...]) -> dict[str, object]:
    """Nested values ({"invoice": {"number": ...}}) as a workflow passes them, from samples."""
    values: dict[str, object] = {}
    for placeholder in placeholders:
        *parents, name = placeholder.path.split(".")
        level = values
        for parent in parents:
            level = level.setdefault(parent, {})  # type: ignore[assignment]
        level[name] = placeholder.sample
    return values


def placeholder_problems(text: str, allowed: set[str]) -> list[str]:
    """Why `text` is not plain wording with allowed placeholders; empty when it is."""
    try:
        tree = _PARSER.parse(text)
    except TemplateSyntaxError as error:
        return [f"Template error on line {error.lineno}: {error.message}"]
    problems: list[str] = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            problems.append(ONLY_PLACEHOLDERS)
            continue
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                continue
            path = _dotted(part)
            if path is None:
                problems.append(ONLY_PLACEHOLDERS)
            elif path not in allowed:
                problems.append(f"Unknown placeholder {{{{ {path} }}}}.")
    return list(dict.fromkeys(problems))


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        parent = _dotted(node.node)
        return None if parent is None else f"{parent}.{node.attr}"
    return None


def _paths_in(text: str) -> list[str]:
    try:
        tree = _PARSER.parse(text)
    except TemplateSyntaxError:
        return []
    found = (_dotted(part) for node in tree.find_all(nodes.Output) for part in node.nodes)
    return [path for path in found if path]
