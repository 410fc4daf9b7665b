"""The statement of account as a PDF: the same figures as the page, from `account_statement`."""

from __future__ import annotations

from reports.statement import AccountStatement
from reports.table_pdf import TablePdf, pdf_text

ACTIVITY_HEADER = ["Date", "Kind", "Reference", "Charges", "Credits", "Balance"]
OPEN_INVOICE_HEADER = ["Invoice", "Issued", "Due", "Amount", "Open", "Age (days)", "Days overdue"]


def statement_pdf(statement: AccountStatement) -> bytes:
    """The statement's PDF bytes; it writes the frames, it does not recompute them."""
    document = TablePdf(
        f"Statement of account {statement.account_code} — {statement.account_name}",
        full_text_at="the account page",
    )
    period = f"{statement.period_start.isoformat()} to {statement.as_of.isoformat()}"
    document.line_of_text(f"Period: {period}")
    document.line_of_text(f"Balance brought forward: {pdf_text(statement.brought_forward)}")
    document.heading("Activity in the period")
    document.table_of(ACTIVITY_HEADER, statement.activity.itertuples(index=False))
    document.line_of_text(
        f"Invoiced {pdf_text(statement.invoiced)} · paid {pdf_text(statement.paid)} · "
        f"credited {pdf_text(statement.credited)}"
    )
    document.line_of_text(
        f"Balance carried forward: {pdf_text(statement.carried_forward)}", bold=True
    )
    document.heading(f"Open invoices on {statement.as_of.isoformat()}")
    document.table_of(OPEN_INVOICE_HEADER, statement.open_invoices.itertuples(index=False))
    return bytes(document.output())
