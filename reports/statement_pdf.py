"""The statement of account as a PDF: the same figures as the page, from `account_statement`,
addressed to the account's billing address, its amounts in the account's currency, each page
numbered."""

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
    if statement.billing_address:
        document.address_block(statement.account_name, statement.billing_address)
    if statement.currency:
        document.line_of_text(f"Currency: {statement.currency}")

    def amount(value: object) -> str:
        figure = pdf_text(value)
        return f"{statement.currency} {figure}" if statement.currency else figure

    period = f"{statement.period_start.isoformat()} to {statement.as_of.isoformat()}"
    document.line_of_text(f"Period: {period}")
    document.line_of_text(f"Balance brought forward: {amount(statement.brought_forward)}")
    document.heading("Activity in the period")
    document.table_of(ACTIVITY_HEADER, statement.activity.itertuples(index=False))
    document.line_of_text(
        f"Invoiced {amount(statement.invoiced)} · paid {amount(statement.paid)} · "
        f"credited {amount(statement.credited)}"
    )
    document.line_of_text(
        f"Balance carried forward: {amount(statement.carried_forward)}", bold=True
    )
    document.heading(f"Open invoices on {statement.as_of.isoformat()}")
    document.table_of(OPEN_INVOICE_HEADER, statement.open_invoices.itertuples(index=False))
    return bytes(document.output())
