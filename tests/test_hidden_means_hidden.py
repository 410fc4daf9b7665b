"""Hidden means hidden, proved by a crawler rather than a list of pages.

On the demo data set, every hideable text field of every entity (custom fields included) holds
a sentinel; every hideable field is hidden for the role; the role then reads everything it can
reach (tests/sentinel_crawler.py) and the sentinel must show nowhere. The same for row scoping:
the records of accounts a manager does not manage hold a sentinel the manager must never read.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_views.generic import RoleAwareModelView
from admin_views.list_arrangement import filter_identity
from demo.seed import DEMO_LOGINS, seed_demo_data
from extensions import db
from forms_config.custom_fields import form_name
from forms_config.rule_checks import configurable_models, custom_field_keys, rule_errors
from models import Account, User
from models.base import PanelModel
from models.config import CustomField, FormFieldRule
from models.introspection import read_model_fields
from models.list_views import ListView
from models.scoping import account_condition, managed_account_ids
from tests.sentinel_crawler import crawl

HIDDEN_MARK = "zqhidden"
SCOPE_MARK = "zqscope"
CUSTOM_KEY = "sentinel_note"
MARK_ROOM = 30
"""Characters a sentinel needs: the mark, the column's name (6) and the row id, or an e-mail."""
PASSWORDS = {role: password for role, _email, password in DEMO_LOGINS}
EMAILS = {role: email for role, email, _password in DEMO_LOGINS}


def _all_models() -> list[type]:
    return [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, PanelModel)]


def _text_columns(model: type, names: list[str]) -> list[sa.Column]:
    """The plain text columns among `names` with room for a sentinel (not choice lists, which
    only take their values, nor a currency's three letters)."""
    table = model.__table__
    return [
        table.c[name]
        for name in names
        if name in table.c
        and isinstance(table.c[name].type, sa.String | sa.Text)
        and not isinstance(table.c[name].type, sa.Enum)
        and (table.c[name].type.length or MARK_ROOM) >= MARK_ROOM
    ]


def _mark_text(model: type, columns: list[sa.Column], mark: str, where=None) -> None:
    """Put `mark` into every `columns` value of the rows (unique per row, within each length)."""
    if not columns:
        return
    table = model.__table__
    row_id = sa.cast(table.c.id, sa.String)
    values = {}
    for column in columns:
        text = sa.literal(f"{mark}{column.name[:6]}") + row_id
        if column.name.endswith("email"):
            text = text + sa.literal("@x.test")
        values[column.name] = text
    statement = sa.update(table).values(**values)
    db.session.execute(statement if where is None else statement.where(where))


def _hideable_fields(model: type) -> list[str]:
    return list(read_model_fields(model).form)


@pytest.fixture
def demo_world() -> None:
    seed_demo_data(account_count=6)


def _hide_everything_for(role: str) -> None:
    """Sentinels in every hideable text field and a custom field per entity, all hidden: every
    field the rules let a super admin hide (not one a role needs to create its records)."""
    myself = sa.func.lower(User.__table__.c.email) != EMAILS[role]
    for model in configurable_models(_all_models()):
        entity = model.__name__
        fields = _hideable_fields(model)
        if hasattr(model, "custom_fields"):
            db.session.add(
                CustomField(entity=entity, key=CUSTOM_KEY, label="Sentinel note", type="text",
                            show_in_list=True)
            )  # fmt: skip
            db.session.flush()
            fields.append(CUSTOM_KEY)
        keys = custom_field_keys(db.session)
        rules = [
            FormFieldRule(entity=entity, field=name, role=role, hidden=True) for name in fields
        ]
        hidden = [rule for rule in rules if not rule_errors(rule, keys)]
        db.session.add_all(hidden)
        names = [rule.field for rule in hidden]
        _mark_text(
            model, _text_columns(model, names), HIDDEN_MARK, myself if model is User else None
        )
        if CUSTOM_KEY in names:
            marked = {CUSTOM_KEY: f"{HIDDEN_MARK}custom"}
            db.session.execute(sa.update(model.__table__).values(custom_fields=marked))
    db.session.commit()


def _list_views_naming_hidden_fields(app, role: str) -> None:
    """On every list, the role's list settings and a view of its demo user, as if saved before
    the fields were hidden: every column, the custom field, a sort and a filter on hidden
    fields (filtering for the marker, so a hidden filter applied would show it)."""
    owner_id = db.session.scalar(sa.select(User.id).where(User.email == EMAILS[role]))
    hidden = db.session.execute(
        sa.select(FormFieldRule.entity, FormFieldRule.field).where(FormFieldRule.role == role)
    ).all()
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, RoleAwareModelView):
            continue
        entity, table = view.model.__name__, view.model.__table__
        hidden_here = {field for hidden_entity, field in hidden if hidden_entity == entity}
        filters = [
            {"filter": filter_identity(arg, flt), "value": HIDDEN_MARK}
            for arg, (_index, flt) in view._filter_args.items()
            if type(flt).__name__ == "FilterLike"
            and getattr(flt.column, "table", None) is table
            and flt.column.key in hidden_here
        ][:1]
        settings = {
            "entity": entity,
            "columns": [name for name, _label in view._list_columns] + [form_name(CUSTOM_KEY)],
            "sort_column": min(hidden_here & view.model_fields.sorted_by_index, default=None),
            "filters": filters,
            "page_size": 20,
        }
        db.session.add(ListView(role=role, name="", **settings))
        db.session.add(ListView(owner_id=owner_id, name=f"Everything {entity}", **settings))
    db.session.commit()


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_no_page_download_or_look_up_shows_a_hidden_field(app, demo_world, panel, role) -> None:
    _hide_everything_for(role)
    _list_views_naming_hidden_fields(app, role)
    assert panel.login(EMAILS[role], PASSWORDS[role]).status_code == 302

    report = crawl(panel, HIDDEN_MARK)

    assert report.errors == []
    assert report.leaks == [], "\n".join(report.leaks)
    # the reach measured when the crawler was written (manager / analyst): 322 / 369 pages,
    # 65 / 87 CSV and XLSX, 14 / 16 PDF, 61 / 72 searches, 5 / 0 look-ups; a crawler that stops
    # following links must not pass quietly
    assert report.pages > 250 and report.searches > 50
    assert min(report.downloads["csv"], report.downloads["xlsx"]) > 50
    assert report.downloads["pdf"] > 10
    assert report.lookups >= (3 if role == "manager" else 0)
    assert report.list_views > 10  # the saved views, opened from the lists' view pickers


def test_no_page_shows_a_manager_the_records_of_accounts_they_do_not_manage(
    demo_world, panel
) -> None:
    manager = db.session.scalar(sa.select(User).where(User.email == EMAILS["manager"]))
    mine = db.session.execute(
        sa.select(Account.id).where(Account.id.in_(managed_account_ids(manager)))
    ).scalars().all()  # fmt: skip
    others = db.session.scalars(sa.select(Account.id).where(Account.id.not_in(mine))).all()
    assert mine and others
    for model in _all_models():
        condition = account_condition(model, others)
        if condition is not None and hasattr(model, "__table__"):
            names = [column.name for column in model.__table__.c]
            _mark_text(model, _text_columns(model, names), SCOPE_MARK, condition)
    db.session.commit()
    assert panel.login(EMAILS["manager"], PASSWORDS["manager"]).status_code == 302

    report = crawl(panel, SCOPE_MARK)

    assert report.errors == []
    assert report.leaks == [], "\n".join(report.leaks)
    assert report.pages > 250 and report.lookups >= 3
