"""Random values posted to every create and edit form, as every role: never a server error, and
never a write that a role's permissions or form rules forbid."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensions import db
from models import Account, FormFieldRule
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice

ENTITIES = [
    "account", "accountgroup", "user", "manageraccess", "invoice", "payment", "creditnote",
    "note", "followupaction", "customfield", "formfieldrule", "setting",
]  # fmt: skip
ROLES = ["super_admin", "admin", "manager", "analyst"]
FIELD_NAME = re.compile(r'name="([a-z_]+)"')
HOSTILE_VALUES = [
    "", " ", "-1", "0", "1e309", "9" * 30, "2026-02-30", "=1+1", "<script>", "__None", "NaN",
    "INV\x00", "\x00", "y", "1", "999999", "'; DROP TABLE accounts; --",
]  # fmt: skip
hostile_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_VALUES))
fuzz_settings = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def panels(app) -> dict[str, Panel]:
    """A logged-in panel per role; billing_phone hidden and credit_limit read-only for all."""
    for role in ROLES:
        db.session.add(
            FormFieldRule(entity="Account", field="billing_phone", role=role, hidden=True)
        )
        db.session.add(
            FormFieldRule(entity="Account", field="credit_limit", role=role, readonly=True)
        )
    manager = make_user("manager")
    account = add_account("FUZZ", billing_phone="+44 1", credit_limit=500, account_manager=manager)
    add_invoice(account, "INV-FUZZ", "10.00")
    by_role = {}
    for role in ROLES:
        if role != "manager":
            make_user(role)
        by_role[role] = Panel(app.test_client())
        by_role[role].login(f"{role}@example.test")
    return by_role


def form_fields(panel: Panel, entity: str) -> list[str]:
    page = panel.get(f"/admin/{entity}/new/")
    names = set(FIELD_NAME.findall(page.get_data(as_text=True)))
    return sorted(names - {"csrf_token", "_add_another", "_continue_editing", "viewport"})


@pytest.mark.parametrize("entity", ENTITIES)
def test_random_posts_never_fail_or_write_forbidden_fields(entity: str, panels) -> None:
    fields = form_fields(panels["super_admin"], entity) + ["billing_phone", "credit_limit"]
    record_ids = st.sampled_from(["1", "2", "3", "-1", "abc", "99999999999999999999"])

    @fuzz_settings
    @given(
        role=st.sampled_from(ROLES),
        record_id=record_ids,
        values=st.fixed_dictionaries({name: hostile_text for name in fields}),
    )
    def post_random_values(role: str, record_id: str, values: dict[str, str]) -> None:
        panel = panels[role]
        for url in (f"/admin/{entity}/new/", f"/admin/{entity}/edit/?id={record_id}"):
            assert panel.post(url, values).status_code in (200, 302, 400, 403, 404)

    post_random_values()
    accounts = db.session.scalars(sa.select(Account)).all()
    assert all(account.billing_phone in (None, "+44 1") for account in accounts)
    fuzzed = db.session.scalar(sa.select(Account).where(Account.code == "FUZZ"))
    assert fuzzed.credit_limit == 500
