"""The one role-aware ModelView that every model's page is generated from.

Flask-Admin builds forms, column lists and filters once per view and shares them across requests,
so nothing here mutates the view per request: who is asking is answered by properties and hooks
(`can_edit`, `is_accessible`, `_handle_view`) that read the current user each time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext, ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.form import BaseForm
from flask_admin.helpers import flash_errors, get_form_data, get_redirect_target
from flask_admin.model import typefmt
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import undefer
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import Field, HiddenField, ValidationError

from admin_views.access import LoginOrForbidden
from admin_views.counting import CappedCountQuery
from admin_views.exporting import StreamingExportMixin
from admin_views.field_labels import choices_of, field_labels_of, timestamps_readable
from admin_views.field_rules import FieldRulesMixin
from admin_views.list_arrangement import ListArrangementMixin
from admin_views.number_ranges import MAX_INTEGER, range_validators
from admin_views.row_actions import rendered_once_per_page
from admin_views.search import matching_any
from auth.impersonation import audit_actor
from auth.permissions import (
    CREATE,
    DELETE,
    EDIT,
    EXPORT,
    VIEW,
    allowed_operations,
    assignable_values,
    change_refusals,
    limited_fields,
)
from error_references import logged_error_message
from extensions import db
from forms_config import may_read, reader_role, reading_as
from forms_config.readability import OPERATOR
from models.audit import AuditEvent, changed_values
from models.base import PanelModel, RecordRefused, Versioned
from models.config import HIDE_FINANCE_FROM_MANAGERS, Setting
from models.introspection import derived_column_properties, entity_label, read_model_fields
from models.labels import record_name, role_label, with_article
from models.people import PANEL_ROLES
from models.scoping import account_ids_read_once, is_visible, restrict_to_visible_rows
from reports.cell_safety import neutralise_formula

log = logging.getLogger(__name__)

STALE_EDIT_MESSAGE = (
    "Someone else changed this record after you opened it, so your changes were not saved. "
    "Reload the page to see the current values, then make your change again."
)
INTEGRITY_MESSAGE = (
    "The record could not be saved: a value that must be unique is already used, "
    "or a record it refers to no longer exists."
)
DELETE_REFUSED_MESSAGE = (
    "This record cannot be deleted because other records (for example invoices or payments) "
    "still refer to it."
)
LAST_PAGE = 2**31 - 1
"""The furthest page a list reads (see `page_within_reach`)."""
OUT_OF_SCOPE_MESSAGE = "You can only save records that belong to the accounts you manage."
UNEXPECTED_MESSAGE = "Something went wrong and nothing was saved."

_OPERATION_BY_ENDPOINT = {
    "create_view": CREATE,
    "edit_view": EDIT,
    "delete_view": DELETE,
    "export": EXPORT,
}
_FORM_CONTROL_FIELDS = frozenset({"loaded_version", "csrf_token"})


def _format_money_cell(view: Any, context: Any, model: Any, name: str) -> Any:
    value = getattr(model, name)
    return "" if value is None else f"{value:,.2f}"


def _format_overdue_cell(view: Any, context: Any, model: Any, name: str) -> Markup:
    if getattr(model, name):
        return Markup('<span class="badge badge-danger">overdue</span>')
    return Markup("")


def _record_id(raw_id: Any) -> int | None:
    """Ids arrive as text from URLs and forms; anything but a whole number matches nothing."""
    try:
        record_id = int(raw_id)
    except (TypeError, ValueError):
        return None
    return record_id if 0 < record_id <= MAX_INTEGER else None


def _refuse_unknown_record(form: BaseForm, field: Field) -> None:
    """An optional pick list silently turns an id it cannot find (or may not show) into "none"."""
    posted = getattr(field, "_formdata", None)
    if posted not in (None, "", "__None") and field.data is None:
        raise ValidationError("Not a valid choice")


def _current_user_or_none() -> Any:
    return current_user if current_user.is_authenticated else None


def _finance_hidden_from_managers() -> bool:
    """Read once per request: every menu entry and URL check of the request agrees."""
    if "finance_hidden" not in g:
        g.finance_hidden = Setting.is_enabled(db.session, HIDE_FINANCE_FROM_MANAGERS)
    return g.finance_hidden


class ScopedAjaxModelLoader(QueryAjaxModelLoader):
    """Pick lists and the ids they post back go through the same row scoping as the lists."""

    def get_query(self) -> Any:
        return restrict_to_visible_rows(super().get_query(), self.model, _current_user_or_none())

    def get_one(self, pk: Any) -> Any:
        with db.session.no_autoflush:  # the form is mid-way through writing to a record
            return self.get_query().filter(self.model.id == _record_id(pk)).one_or_none()

    def get_list(self, term: str, offset: int = 0, limit: int = 20) -> list[Any]:
        """Records whose readable search columns start with `term`, as the list search matches:
        a column the reader may not read is never matched (it would answer prefix guesses)."""
        query = self.get_query()
        if term.strip():
            role, entity = reader_role(), self.model.__name__
            columns = [c for c in self._cached_fields if may_read(entity, c.key, role)]
            condition = matching_any(columns, term, db.engine.dialect.name) if columns else None
            query = query.filter(sa.false() if condition is None else condition)
        return query.order_by(self.model.id).offset(offset).limit(limit).all()


def page_within_reach(page: int | None) -> int:
    """A list's page number (from 0) as a query can read it: a negative or crafted huge `page=`
    (2^64) becomes the first or `LAST_PAGE`, whose OFFSET the databases' integers hold; a page
    past the rows is simply empty."""
    return min(max(page or 0, 0), LAST_PAGE)


class RoleAwareModelView(
    LoginOrForbidden, StreamingExportMixin, ListArrangementMixin, FieldRulesMixin, ModelView
):
    """CRUD for one model, narrowed to what the current user's role may see and do."""

    form_base_class = BaseForm
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    export_types = ["csv", "xlsx"]
    column_display_actions = True
    column_default_sort = ("id", True)
    list_template = "admin/model/panel_list.html"
    create_template = "admin/model/panel_create.html"
    edit_template = "admin/model/panel_edit.html"

    def __init__(self, model: type[PanelModel], session: Any, **kwargs: Any) -> None:
        fields = read_model_fields(model)
        self.model_fields = fields
        self.column_list = list(fields.listed)
        self.column_details_list = list(fields.detailed)
        self.column_export_list = list(fields.detailed)
        self.column_sortable_list = list(fields.sortable)
        self.column_filters = list(fields.filters)
        self.column_searchable_list = list(model.panel_search_fields)
        self.form_columns = list(fields.form)
        self.form_args = range_validators(model, fields.form)
        self.form_ajax_refs = {
            name: {
                "fields": list(target.panel_search_fields),
                "page_size": 20,
                "placeholder": f"Choose {with_article(record_name(target))}",
            }
            for name, target in fields.relations.items()
            if target.panel_search_fields and name in fields.form
        }
        self.column_formatters = {
            **{name: _format_money_cell for name in ("amount", "credit_limit", "balance")},
            **{name: _format_money_cell for name in ("paid_amount", "open_amount")},
            "is_overdue": _format_overdue_cell,
        }
        self.column_formatters_export = {}  # exports carry raw values, not display formatting
        self.column_labels = field_labels_of(model, fields)
        self.column_choices = choices_of(model)
        self.form_choices = dict(self.column_choices)
        self.column_type_formatters = timestamps_readable(typefmt.BASE_FORMATTERS)
        self.column_type_formatters_detail = timestamps_readable(typefmt.DETAIL_FORMATTERS)
        self.column_type_formatters_export = timestamps_readable(typefmt.EXPORT_FORMATTERS)
        self._derived_sql_columns = derived_column_properties(model)
        super().__init__(
            model,
            session,
            name=entity_label(model),
            category=model.panel_category,
            endpoint=model.__name__.lower(),
            **kwargs,
        )

    # --- who may do what -------------------------------------------------------------------

    def allowed_operations(self) -> frozenset[str]:
        """Answered once per request, user and view: a page's menu asks every view, often."""
        user = current_user._get_current_object()
        if not user.is_authenticated:
            return frozenset()
        answers = g.setdefault("allowed_operations", {})
        key = (self.endpoint, user.id, user.role)
        if key not in answers:
            role = user.role
            operations = allowed_operations(
                self.model.__name__,
                self.category or "",
                role,
                finance_hidden=role == "manager" and _finance_hidden_from_managers(),
            )
            if self.model.panel_append_only:
                operations = operations & {VIEW, EXPORT}
            answers[key] = operations
        return answers[key]

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return CREATE in self.allowed_operations()

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return EDIT in self.allowed_operations()

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return DELETE in self.allowed_operations()

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return EXPORT in self.allowed_operations()

    def is_accessible(self) -> bool:
        return VIEW in self.allowed_operations()

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """Refuse an operation by URL as firmly as the hidden button does: 403, not a redirect."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name == "preview_view" and current_user.role != "super_admin":
            abort(403)
        if name == "ajax_update":
            abort(403)  # inline list editing would bypass the form rules; it is never enabled
        if name == "ajax_lookup" and not {CREATE, EDIT} & self.allowed_operations():
            abort(403)
        operation = _OPERATION_BY_ENDPOINT.get(name)
        if operation is not None and operation not in self.allowed_operations():
            abort(403)
        return None

    @expose("/preview/")
    def preview_view(self) -> str:
        """The create form exactly as `role` sees it, for super admins; it has no way to save."""
        role = request.args.get("role", "")
        if role not in PANEL_ROLES:
            abort(404)
        g.preview_role = role
        form = self.create_form()
        readonly = self.readonly_names(creating=True)
        for field in form:  # drawn as the role sees it (pickers too), but nothing can be typed
            field.render_kw = {**(field.render_kw or {}), "disabled": True}
            if field.name in readonly:
                field.description = escape(f"Read-only for {role_label(role).lower()}.")
        entity = self.model.__name__
        return self.render(
            "admin/configure_forms_preview.html",
            form=form,
            entity=entity,
            role=role,
            role_creates=CREATE in allowed_operations(entity, self.category or "", role),
        )

    # --- reading ---------------------------------------------------------------------------

    def get_query(self) -> Any:
        query = restrict_to_visible_rows(super().get_query(), self.model, _current_user_or_none())
        query = self.filter_by_custom_fields(query)
        if self._derived_sql_columns:
            query = query.options(
                *(undefer(getattr(self.model, name)) for name in self._derived_sql_columns)
            )
        return query

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """The page's count and its rows read a manager's account ids once between them."""
        with account_ids_read_once():
            return super().get_list(*args, **kwargs)

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> tuple[Any, Any, Any, Any]:
        """Prefix search through `lower(column)` indexes (see admin_views/search.py)."""
        columns = [column for column, _path in self._search_fields]
        condition = matching_any(columns, search, db.engine.dialect.name) if columns else None
        if condition is not None:
            query = query.filter(condition)
            count_query = count_query.filter(condition) if count_query is not None else None
        return query, count_query, joins, count_joins

    def _apply_pagination(self, query: Any, page: int | None, page_size: int | None) -> Any:
        """Choose the page's ids first, then load only those rows with what they show.

        With derived amounts in the same SELECT, PostgreSQL computes them for every row OFFSET
        skips (page 500 of the invoices: 190 ms); with the related records' outer joins in it,
        SQLite must read the whole table before it can sort. Choosing ids reads the sort index.
        """
        paged = super()._apply_pagination(query, page_within_reach(page), page_size)
        if not (self.page_size if page_size is None else page_size):
            return paged  # every row (an export): no page to choose
        page_ids = paged.with_entities(self.model.id).subquery()
        return query.filter(self.model.id.in_(sa.select(page_ids.c.id)))

    def get_list_row_actions(self) -> list[Any]:
        """Flask-Admin's own row buttons, rendered once per page (see admin_views/row_actions)."""
        return rendered_once_per_page(super().get_list_row_actions(), self._primary_key)

    def is_sortable(self, name: str) -> bool:
        """The list's column headers sort only where an index keeps the order (see
        `leads_an_index`); an account's tabs, a few rows each, sort by every column."""
        return name in self.model_fields.sorted_by_index and super().is_sortable(name)

    def _get_column_by_idx(self, idx: int | None) -> tuple[Any, str] | None:
        """A crafted `sort=` on a column without an index falls back to the default order."""
        column = super()._get_column_by_idx(idx)
        return column if column is not None and self.is_sortable(column[0]) else None

    def _order_by(
        self, query: Any, joins: Any, sort_joins: Any, sort_field: Any, sort_desc: bool
    ) -> tuple[Any, Any]:
        """Sort so that the database can walk an index and stop after one page.

        A relation every row must have is joined with an inner join (the same rows as Flask-Admin's
        outer join), which lets the database read the related table in its index order first;
        the id breaks ties, so a row never shows on two pages of a sort with equal values.
        """
        if sort_field is None:
            return query, joins
        required = all(not column.nullable for relation in sort_joins or ()
                       for column in relation.property.local_columns)  # fmt: skip
        query, joins, alias = self._apply_path_joins(query, joins, sort_joins, inner_join=required)
        column = sort_field if alias is None else getattr(alias, sort_field.key)
        direction = sa.desc if sort_desc else sa.asc
        query = query.order_by(direction(column))
        if column is not self.model.id:
            query = query.order_by(direction(self.model.id))
        return query, joins

    def get_count_query(self) -> Any:
        count = CappedCountQuery([sa.func.count("*")], db.session()).select_from(self.model)
        query = restrict_to_visible_rows(count, self.model, _current_user_or_none())
        return self.filter_by_custom_fields(query)

    def get_one(self, id: Any) -> Any:
        """By id through the scoped query: a record outside the user's rows answers 404."""
        record = self.get_query().filter(self.model.id == _record_id(id)).one_or_none()
        if record is None:
            abort(404)
        return record

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> QueryAjaxModelLoader:
        return ScopedAjaxModelLoader(
            name, self.session, self.model_fields.relations[name], **options
        )

    def export_columns_for_request(self) -> list[tuple[str, str]]:
        """(name, label) of the columns the current user may export."""
        return list(self._export_columns)

    def get_export_value(self, model: Any, name: str) -> Any:
        return neutralise_formula(super().get_export_value(model, name))

    # --- writing ---------------------------------------------------------------------------

    def scaffold_form(self) -> type[BaseForm]:
        form_class = super().scaffold_form()
        if issubclass(self.model, Versioned):
            form_class.loaded_version = HiddenField()
        return form_class

    def create_form(self, obj: Any = None) -> BaseForm:
        form_class = self.form_class_with_custom_fields(self._create_form_class)
        form = self._narrow_to_request(form_class(get_form_data(), obj=obj))
        return self.apply_field_rules(form, obj, creating=True)

    def edit_form(self, obj: Any = None) -> BaseForm:
        form_class = self.form_class_with_custom_fields(self._edit_form_class)
        form = self._narrow_to_request(form_class(get_form_data(), obj=obj))
        if request.method == "GET" and hasattr(form, "loaded_version"):
            form.loaded_version.data = obj.version_id
        return self.apply_field_rules(form, obj, creating=False)

    def _narrow_to_request(self, form: BaseForm) -> BaseForm:
        """Offer each choice field only the values the current role may assign, refuse ids of
        records the user may not see, and show every field's description as text.

        The form instance is narrowed, never the shared class, and it validates against the narrowed
        choices, so a crafted value is refused as "Not a valid choice". Flask-Admin renders
        descriptions with `|safe`, and a custom field's help text is typed by a user: escaped
        here, every description reaches the page as the text it is.
        """
        for field in form:
            field.description = escape(field.description or "")  # escape(None) reads "None"
            if isinstance(field, AjaxSelectField):
                field.validators = [*field.validators, _refuse_unknown_record]
            allowed = assignable_values(self.model.__name__, field.name, self.acting_role())
            if allowed is not None and hasattr(field, "choices"):
                field.choices = [choice for choice in field.choices if choice[0] in allowed]
        return form

    def writable_fields(self, form: BaseForm, creating: bool) -> list[str]:
        """The fields this request may write: on the form, allowed by the rules, not control."""
        skipped = _FORM_CONTROL_FIELDS | self.not_writable_names(creating)
        skipped |= getattr(form, "conditionally_not_writable", set())
        return [field.name for field in form if field.name not in skipped]

    def change_refusals(self, record: Any) -> dict[str, str]:
        """Why the current user may not change `record` (edit, delete, any bulk action), by field;
        empty when they may. The rule itself is `auth.permissions.change_refusals`."""
        entity, role = self.model.__name__, current_user.role
        current = self._snapshot(record, limited_fields(entity, role))
        return change_refusals(entity, role, current)

    def create_model(self, form: BaseForm) -> Any:
        record = self.build_new_instance()
        return record if self._save(form, record, action="create") else False

    def update_model(self, form: BaseForm, model: Any) -> bool:
        if isinstance(model, Versioned) and form.loaded_version.data != str(model.version_id):
            flash(STALE_EDIT_MESSAGE, "danger")
            return False
        return self._save(form, model, action="update")

    def _save(self, form: BaseForm, record: Any, action: str) -> bool:
        """Write only the allowed fields, one by one: `populate_obj` would blank the others.

        The server-set fields (who did what, when) are the model's to fill, never the form's.
        """
        creating = action == "create"
        names = self.writable_fields(form, creating)
        audited = [*names, *self.model.panel_server_set_columns]
        before = {} if creating else self._snapshot(record, audited)
        errors = {} if creating else self.change_refusals(record)
        for name in names:
            self.write_field(form, record, name)
        record.set_server_values(current_user._get_current_object(), creating)
        values = self._snapshot(record, self.model_fields.form)
        errors |= self.model.cross_field_errors(values)
        if errors:
            self._show_errors(form, errors.items())
            db.session.rollback()
            return False
        db.session.add(record)
        try:
            db.session.flush()
            if not is_visible(record, current_user, db.session):
                db.session.rollback()
                flash(OUT_OF_SCOPE_MESSAGE, "danger")
                return False
            self._audit(action, record, changed_values(before, self._snapshot(record, audited)))
            if dropped := self.forbidden_posted_names(creating):
                self._audit("forbidden_fields_dropped", record, {"fields": dropped})
            db.session.commit()
        except RecordRefused as refused:
            db.session.rollback()
            self._show_errors(form, refused.reasons)
            return False
        except StaleDataError:
            db.session.rollback()
            flash(STALE_EDIT_MESSAGE, "danger")
            return False
        except IntegrityError:
            db.session.rollback()
            log.warning("integrity error saving %s", self.model.__name__, exc_info=True)
            if problems := self.integrity_problems(form):
                self._show_errors(form, problems)
            else:
                flash(INTEGRITY_MESSAGE, "danger")
            return False
        except SQLAlchemyError:
            db.session.rollback()
            context = f"{action} of {self.model.__name__} {getattr(record, 'id', None)}"
            flash(logged_error_message(UNEXPECTED_MESSAGE, context), "danger")
            return False
        return True

    def integrity_problems(self, form: BaseForm) -> list[tuple[str, str]]:
        """(field, message) saying which value the database refused as already used, where a
        view can tell (a document number taken by a save at the same moment); empty: unknown."""
        return []

    def _show_errors(self, form: BaseForm, errors: Iterable[tuple[str, str]]) -> None:
        """Each error under its field, or as a message when the form has no such field."""
        for name, message in errors:
            if name in form:
                form[name].errors = [*form[name].errors, message]
            else:
                flash(message, "danger")

    def delete_model(self, model: Any) -> bool:
        """Delete one record, if the user may change it; the delete button and bulk delete
        both come here."""
        if refusals := self.change_refusals(model):
            for message in refusals.values():
                flash(message, "danger")
            return False
        with reading_as(OPERATOR):  # the trail keeps what is deleted, unread fields included
            db.session.refresh(model)
            before = self._snapshot(model, self.model_fields.detailed)
        record_id = model.id
        try:
            db.session.delete(model)
            db.session.flush()
            self._audit("delete", model, changed_values(before, {}), record_id=record_id)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(DELETE_REFUSED_MESSAGE, "danger")
            return False
        except SQLAlchemyError:
            db.session.rollback()
            context = f"delete of {self.model.__name__} {record_id}"
            flash(logged_error_message(UNEXPECTED_MESSAGE, context), "danger")
            return False
        return True

    # --- bulk actions ----------------------------------------------------------------------

    def handle_action(self, return_view: str | None = None) -> Response:
        """Run a bulk action on the ticked records the user may change, and on no others.

        Flask-Admin's own hands the action every posted id; here each action receives only ids
        of records the user's list shows and `change_refusals` allows, whatever the action.
        """
        form = self.action_form()
        if self.validate_form(form):
            name = form.action.data
            handler = self._actions_data.get(name)
            if handler and self.is_action_allowed(name):
                records = self.records_to_change(request.form.getlist("rowid"))
                response = handler[0]([str(record.id) for record in records])
                if response is not None:
                    return response
        else:
            flash_errors(form, message="Failed to perform action. %(error)s")
        if return_view:
            return redirect(self.get_url(f".{return_view}"))
        return redirect(get_redirect_target() or self.get_url(".index_view"))

    def records_to_change(self, raw_ids: Iterable[str]) -> list[Any]:
        """The records behind posted ids that the user may change, in id order.

        Ids arrive as text and become the primary key's type here (a text parameter against an
        integer key is an error on PostgreSQL); a record the user's list would not show is left
        out silently, one they may see but not change is left out with the reason flashed.
        """
        wanted = {record_id for raw in raw_ids if (record_id := _record_id(raw)) is not None}
        found = self.get_query().filter(self.model.id.in_(wanted)).order_by(self.model.id)
        records = []
        for record in found:
            if refusals := self.change_refusals(record):
                for message in refusals.values():
                    flash(f"{record}: {message}", "danger")
            else:
                records.append(record)
        return records

    @action(
        "delete",
        lazy_gettext("Delete"),
        lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: list[str]) -> None:
        """Bulk delete: each record through `delete_model`, with its refusals, audit and errors."""
        deleted = sum(1 for record in self.records_to_change(ids) if self.delete_model(record))
        if deleted:
            message = ngettext(
                "Record was successfully deleted.",
                "%(count)s records were successfully deleted.",
                deleted,
                count=deleted,
            )
            flash(message, "success")

    def handle_view_exception(self, exc: Exception) -> bool:
        """Flask-Admin's hook for errors in its own write paths (all replaced above, each with
        its own messages): should one still reach it, the error's text goes to the log only."""
        db.session.rollback()
        context = f"{self.model.__name__} view: {type(exc).__name__}"
        flash(logged_error_message(UNEXPECTED_MESSAGE, context), "danger")
        return True

    def _snapshot(self, record: Any, names: Any) -> dict[str, Any]:
        return {name: self.field_value(record, name) for name in names}

    def _audit(
        self, action: str, record: Any, changes: dict[str, Any], record_id: Any = None
    ) -> None:
        db.session.add(
            AuditEvent(
                action=action,
                entity=self.model.__name__,
                entity_id=str(record_id if record_id is not None else record.id),
                changes=changes,
                **audit_actor(),
            )
        )
