"""The account's History tab and the audit log show changes as "Field: old → new", never JSON,
and a field hidden from the reader's role stays out of both."""

from __future__ import annotations

import re
from html import unescape

from extensions import db
from models import AuditEvent, FormFieldRule
from tests.conftest import PASSWORD, Panel, make_user
from tests.factories import add_account

EDIT = {"code": "ACME", "name": "Acme Renamed", "type": "customer", "status": "disabled",
        "payment_terms_days": "30", "credit_limit": "7500.00"}  # fmt: skip


def text_of(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>|</?strong>", "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def edit_acme_as_super_admin(panel) -> int:
    account = add_account("ACME", name="Acme Ltd", credit_limit=5000)
    make_user("super_admin", "boss@example.test")
    panel.login("boss@example.test", PASSWORD)
    response = panel.post(
        f"/admin/account/edit/?id={account.id}",
        EDIT | {"loaded_version": str(account.version_id)},
    )
    assert response.status_code == 302
    return account.id


def test_history_tab_and_audit_log_read_field_old_new(panel) -> None:
    account_id = edit_acme_as_super_admin(panel)
    event = db.session.query(AuditEvent).filter_by(action="update").one()

    history = text_of(
        panel.get(f"/admin/account/details/?id={account_id}&tab=history").data.decode()
    )
    details = text_of(panel.get(f"/admin/auditevent/details/?id={event.id}").data.decode())
    log = text_of(panel.get("/admin/auditevent/").data.decode())

    for page in (history, details):
        assert "Credit limit: 5,000.00 → 7,500.00" in page
        assert "Name: Acme Ltd → Acme Renamed" in page
        assert "Status: Enabled → Disabled" in page
        assert '"before"' not in page and "{" not in page
    assert "Update" in log and "Account" in log
    exported = panel.get(f"/admin/account/details/export/history/csv/?id={account_id}").data
    assert "Credit limit: 5,000.00 → 7,500.00" in exported.decode()


def test_a_field_hidden_from_the_reader_stays_out_of_history_and_audit_log(panel) -> None:
    account_id = edit_acme_as_super_admin(panel)
    event = db.session.query(AuditEvent).filter_by(action="update").one()
    db.session.add(FormFieldRule(entity="Account", field="credit_limit", role="admin", hidden=True))
    db.session.commit()
    make_user("admin", "ada@example.test")
    panel = Panel(panel.client.application.test_client())
    panel.login("ada@example.test", PASSWORD)

    pages = [
        panel.get(f"/admin/account/details/?id={account_id}&tab=history").data.decode(),
        panel.get(f"/admin/auditevent/details/?id={event.id}").data.decode(),
        panel.get("/admin/auditevent/").data.decode(),
        panel.get(f"/admin/account/details/print/history/?id={account_id}").data.decode(),
    ]

    for page in map(text_of, pages):
        assert "Credit limit" not in page and "7,500.00" not in page and "5,000.00" not in page
    assert "Name: Acme Ltd → Acme Renamed" in text_of(pages[0])  # the rest is still shown
    stored = db.session.get(AuditEvent, event.id).changes
    assert stored["credit_limit"] == {"before": "5000.00", "after": "7500.00"}  # kept, unread
