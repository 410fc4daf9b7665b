"""Random values posted to every create and edit form, as every role: never a server error,
never a write that a role's permissions or form rules forbid, and after every post the database
holds exactly what the answer says: a refusal wrote nothing, a save wrote its one record.

The examples are derandomized, so a failure in CI is the same failure on a laptop.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from admin_views import panel_models
from auth.permissions import CREATE, EDIT, allowed_operations
from extensions import db
from models import Account, AuditEvent, FormFieldRule, Invoice, Setting, User
from models.config import HIDE_FINANCE_FROM_MANAGERS
from models.scoping import restrict_to_visible_rows
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.test_crud import create_payloads

ENTITIES = [
    "account", "accountgroup", "user", "manageraccess", "invoice", "payment", "creditnote",
    "note", "followupaction", "customfield", "formfieldrule",
]  # fmt: skip
ROLES = ["super_admin", "admin", "manager", "analyst"]
FIELD_NAME = re.compile(r'name="([a-z_]+)"')
HOSTILE_VALUES = [
    "", " ", "-1", "0", "1e309", "9" * 30, "2026-02-30", "=1+1", "<script>", "__None", "NaN",
    "INV\x00", "\x00", "y", "1", "999999", "'; DROP TABLE accounts; --",
]  # fmt: skip
hostile_text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_VALUES))
fuzz_settings = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is repeatable
    database=None,  # and no failure replayed from a local example database
    # No shrinking: the examples share one database that every post changes, so a shrunk replay
    # meets another state (and takes many minutes); the failing example is reported as it ran.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
MODEL_BY_ENDPOINT = {model.__name__.lower(): model for model in panel_models()}
LOG_TABLES = frozenset({"audit_events", "login_events", "config_stamps"})
"""Tables that record what happened rather than hold records; the audit log is checked apart."""


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
    model = MODEL_BY_ENDPOINT[entity]
    fields = form_fields(panels["super_admin"], entity) + ["billing_phone", "credit_limit"]
    record_ids = st.sampled_from(["1", "2", "3", "-1", "abc", "99999999999999999999"])
    # A valid form, with the hidden and read-only fields posted anyway: the random values seldom
    # make a form the panel saves, these do on every run (create, and edit of record 1).
    valid_form = valid_create_form(model) | {
        "billing_phone": "+44 999",
        "credit_limit": "1",
        "loaded_version": "1",
    }

    @fuzz_settings
    @example(role="super_admin", record_id="1", values=valid_form)
    @example(role="manager", record_id="2", values=valid_form)
    @given(
        role=st.sampled_from(ROLES),
        record_id=record_ids,
        values=st.fixed_dictionaries({name: hostile_text for name in fields}),
    )
    def post_random_values(role: str, record_id: str, values: dict[str, str]) -> None:
        for url, operation in (
            (f"/admin/{entity}/new/", CREATE),
            (f"/admin/{entity}/edit/?id={record_id}", EDIT),
        ):
            expected = expected_answers(model, role, operation, record_id, values)
            before, audited_before = saved_rows(), audit_ids()
            status = panels[role].post(url, values).status_code
            assert status in expected, (url, role, status)
            after, audited = saved_rows(), new_audit_events(audited_before)
            if status != 302:
                assert after == before, f"{url} refused ({status}) but wrote to the database"
                assert not {event.action for event in audited} & {"create", "update"}
            elif operation == CREATE:
                assert_one_record_created(model, before, after, audited)
            else:
                assert_only_the_record_edited(model, int(record_id), before, after, audited)
            assert_forbidden_fields_untouched()

    post_random_values()


def valid_create_form(model: type) -> dict[str, str]:
    """The create form tests/test_crud.py posts for `model`, naming the FUZZ ledger's records."""
    account = db.session.scalar(sa.select(Account).where(Account.code == "FUZZ"))
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == "INV-FUZZ"))
    manager = db.session.scalar(sa.select(User).where(User.email == "manager@example.test"))
    return create_payloads(account, invoice, manager)[model]


def expected_answers(
    model: type, role: str, operation: str, record_id: str, values: dict[str, str]
) -> set[int]:
    """What the panel must answer: README "Who can do what" applied to this post."""
    if any("\x00" in value for value in values.values()):
        return {400}  # refused before anything reads the form (web_hardening)
    finance_hidden = Setting.is_enabled(db.session, HIDE_FINANCE_FROM_MANAGERS)
    if operation not in allowed_operations(
        model.__name__, model.panel_category, role, finance_hidden
    ):
        return {403}  # outside the role's menu, whichever record
    if operation == EDIT and not role_sees(role, model, record_id):
        return {404}  # no such record, or outside the manager's accounts
    return {200, 302}  # the form again with its errors, or saved


def role_sees(role: str, model: type, record_id: str) -> bool:
    if not record_id.isdigit() or not 0 < int(record_id) < 2**31:
        return False
    user = db.session.scalar(sa.select(User).where(User.email == f"{role}@example.test"))
    query = sa.select(model.id).where(model.id == int(record_id))
    return db.session.scalar(restrict_to_visible_rows(query, model, user)) is not None


def saved_rows() -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every record table's rows by primary key, each row as its column values."""
    return {
        table.name: {
            tuple(row[column.name] for column in table.primary_key.columns): dict(row)
            for row in db.session.execute(sa.select(table)).mappings()
        }
        for table in db.metadata.sorted_tables
        if table.name not in LOG_TABLES
    }


def audit_ids() -> set[int]:
    return set(db.session.scalars(sa.select(AuditEvent.id)))


def new_audit_events(seen: set[int]) -> list[AuditEvent]:
    return [event for event in db.session.scalars(sa.select(AuditEvent)) if event.id not in seen]


def assert_one_record_created(
    model: type, before: dict, after: dict, audited: list[AuditEvent]
) -> None:
    table = model.__table__.name
    added = set(after[table]) - set(before[table])
    assert len(added) == 1 and len(after[table]) == len(before[table]) + 1
    assert all(after[table][key] == row for key, row in before[table].items())
    assert {name: rows for name, rows in after.items() if name != table} == {
        name: rows for name, rows in before.items() if name != table
    }
    ((new_id,),) = added
    assert [(event.action, event.entity_id) for event in audited if event.action == "create"] == [
        ("create", str(new_id))
    ]


def assert_only_the_record_edited(
    model: type, record_id: int, before: dict, after: dict, audited: list[AuditEvent]
) -> None:
    table = model.__table__.name
    assert set(after[table]) == set(before[table])
    if after[table][(record_id,)] != before[table][(record_id,)]:
        assert ("update", str(record_id)) in [(event.action, event.entity_id) for event in audited]
    assert {key: row for key, row in after[table].items() if key != (record_id,)} == {
        key: row for key, row in before[table].items() if key != (record_id,)
    }
    assert {name: rows for name, rows in after.items() if name != table} == {
        name: rows for name, rows in before.items() if name != table
    }


def assert_forbidden_fields_untouched() -> None:
    """billing_phone is hidden and credit_limit read-only for every role (see `panels`)."""
    accounts = db.session.scalars(sa.select(Account)).all()
    assert all(account.billing_phone in (None, "+44 1") for account in accounts)
    limits = {account.code: account.credit_limit for account in accounts}
    assert limits.pop("FUZZ") == 500
    assert set(limits.values()) <= {None}  # no account was created with a limit
