"""The list page as configured: columns, order, default sort, default filters and page size from
the person's chosen view, their role's settings (Configure lists) or the list's own defaults, and
the column chooser that saves and deletes named views.

Only the entity's own list page and its export are arranged (`ARRANGED_ENDPOINTS`); the account
page's tabs and every other reader keep the list's readable columns.

The URL says what the page shows, so a page can be shared:
- `view=<id>` picks a named view (404 unless it is the person's own or shared with their role);
- `cols=a,b,c` the chooser's unsaved columns;
- Flask-Admin's own `sort`, `desc`, `page_size` and `flt<n>_<arg>` arguments win over the view's.
A view's default filters are added when the URL has none; the page's links then carry
`explicit=1`, so that taking the filters off keeps them off.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from admin_views.committing import commit_or_flash_refusal
from admin_views.list_settings import (
    FilterChoice,
    ListChoices,
    ListSettings,
    checked_settings,
    effective_settings,
)
from admin_views.saved_list_views import (
    ListViewsOf,
    SavedView,
    delete_named_view,
    list_views_of,
    save_named_view,
    usable_view,
)
from auth.impersonation import audit_actor
from extensions import db
from forms_config.rules import remembered
from models.labels import role_label
from models.list_views import ListView
from models.people import PANEL_ROLES

VIEW_ARG = "view"
COLUMNS_ARG = "cols"
EXPLICIT_ARG = "explicit"
ARRANGED_ENDPOINTS = ("index_view", "export", "save_list_view")


def filter_identity(arg: str, flt: Any) -> str:
    """A filter as a stored view names it: its URL argument, kind and column. Should the list's
    filters ever be renumbered, a stored filter then matches none and is left out, rather than
    applying another filter in its place."""
    return f"{arg}:{type(flt).__name__}:{getattr(flt.column, 'key', '')}"


class ListArrangementMixin:
    """Mixed into the generic ModelView, before `FieldRulesMixin` (whose readable columns it
    arranges)."""

    # --- what the role may choose, and what applies -----------------------------------------

    def list_choices(self) -> ListChoices:
        """The columns, sorts and filters the acting role may use on this list (read through
        the view's rule-narrowed attributes): worked out once per role until the rules or
        custom fields change, as they depend on nothing else."""
        view: Any = self
        role = view.acting_role()
        return remembered(("list choices", view.endpoint, role), self._work_out_list_choices)

    def _work_out_list_choices(self) -> ListChoices:
        view: Any = self
        readable = view.readable_list_columns()
        columns = dict(readable)
        hidden = view.field_rules().hidden
        for definition in view.custom_fields():
            if definition.key not in hidden:
                columns.setdefault(definition.form_name, definition.label)
        sorts = {
            name: view.get_column_name(name)
            for name in view._sortable_columns
            if view.is_sortable(name)
        }
        filters = {}
        for arg, (index, flt) in view._filter_args.items():
            identity = filter_identity(arg, flt)
            options = flt.get_options(view)
            filters[identity] = FilterChoice(
                identity=identity,
                arg=arg,
                index=index,
                label=f"{flt.name} {flt.operation()}",
                options=tuple(str(value) for value, _label in options) if options else None,
            )
        return ListChoices(
            columns=columns,
            default_columns=tuple(name for name, _label in readable),
            sorts=sorts,
            filters=filters,
        )

    def arranges_list(self) -> bool:
        view: Any = self
        blueprint, _, name = (request.endpoint or "").rpartition(".")
        return (  # the cheap tests first: a page asks often
            name in ARRANGED_ENDPOINTS
            and blueprint == view.endpoint
            and not g.get("preview_role")
            and current_user.is_authenticated
        )

    def saved_views(self) -> ListViewsOf:
        """The person's role settings and named views of this list (no query but after a
        change: see `saved_list_views.ListViewCache`)."""
        view: Any = self
        return list_views_of(db.session, current_user, view.model.__name__)

    def chosen_view(self) -> SavedView | None:
        """The named view the URL picks (404 when the person may not use it), else their
        role's settings, else None."""
        saved = self.saved_views()
        requested = request.args.get(VIEW_ARG)
        if requested:
            chosen = saved.usable(requested)
            if chosen is None:
                abort(404)
            return chosen
        return saved.role_settings

    def list_settings(self) -> ListSettings:
        view: Any = self
        cache = g.setdefault("list_settings", {})
        if view.endpoint not in cache:
            adjusted = request.args.get(COLUMNS_ARG, "").split(",")
            cache[view.endpoint] = effective_settings(
                view.list_choices(), view.chosen_view(), adjusted
            )
        return cache[view.endpoint]

    def arranged_list_columns(self, readable: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not self.arranges_list():
            return readable
        columns = self.list_choices().columns
        return [(name, columns[name]) for name in self.list_settings().columns]

    def exports_view_columns(self) -> bool:
        """Whether the export writes the page's columns: when a view, the role's settings or
        the chooser show other columns than the list's own. Otherwise an importable kind keeps
        its import columns, so that a downloaded list can be edited and imported back."""
        return (
            self.arranges_list()
            and self.list_settings().columns != self.list_choices().default_columns
        )

    # --- Flask-Admin's list hooks ----------------------------------------------------------

    def _get_list_extra_args(self) -> Any:
        view: Any = self
        args = super()._get_list_extra_args()  # type: ignore[misc]
        if not self.arranges_list():
            return args
        settings = self.list_settings()
        if settings.filters and not args.filters and EXPLICIT_ARG not in request.args:
            filters = self.list_choices().filters
            args.filters = [
                (filters[identity].index, str(view._filters[filters[identity].index].name), value)
                for identity, value in settings.filters
            ]
            args.extra_args[EXPLICIT_ARG] = "1"
        if args.sort is None and settings.sort:
            names = [name for name, _label in view._list_columns]
            if settings.sort in names:  # a column on the page: its header shows the order
                args.sort, args.sort_desc = names.index(settings.sort), settings.sort_desc
        return args

    def get_list(
        self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any,
        execute: bool = True, page_size: Any = None,
    ) -> Any:  # fmt: skip
        """The view's sort when the URL names none (its column need not be on the page)."""
        if sort_column is None and self.arranges_list() and self.list_settings().sort:
            settings = self.list_settings()
            sort_column, sort_desc = settings.sort, settings.sort_desc
        return super().get_list(  # type: ignore[misc]
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )

    def get_safe_page_size(self, page_size: int | None) -> int:
        view: Any = self
        if not self.arranges_list():
            return super().get_safe_page_size(page_size)  # type: ignore[misc]
        default = self.list_settings().page_size
        return page_size if page_size in (*view.page_size_options, default) else default

    # --- the column chooser ----------------------------------------------------------------

    def column_chooser(self) -> dict[str, Any]:
        """What the list page's chooser draws: the columns (shown ones first, in order), the
        views the person may pick, the active one, and how the export will be written."""
        choices, settings = self.list_choices(), self.list_settings()
        shown = list(settings.columns)
        others = [name for name in choices.columns if name not in shown]
        views = self.saved_views().views
        # a sort is a position among the columns, which the chooser changes: it is left to the
        # view's sort, and the list starts again at its first page
        kept_args = {
            name: value
            for name, value in request.args.items()
            if name not in {COLUMNS_ARG, "sort", "desc", "page"}
        }
        return {
            "columns": [(name, choices.columns[name], name in shown) for name in shown + others],
            "views": views,
            "active": next((v for v in views if v.id == settings.view_id), None),
            "source": settings.source,
            "kept_args": kept_args,
            "view_columns_export": self.exports_view_columns(),
            "share_roles": PANEL_ROLES if current_user.role == "super_admin" else (),
        }

    @expose("/list-views/save", methods=["POST"])
    def save_list_view(self) -> Response:
        """Save the page as it is (the URL's sort, filters and page size, the chooser's columns)
        as a named view: the person's own, or, for a super admin, shared with a role."""
        view: Any = self
        share_role = request.form.get("share_role") or None
        if share_role is not None and current_user.role != "super_admin":
            abort(403)
        if share_role is not None and share_role not in PANEL_ROLES:
            abort(400)
        args = view._get_list_extra_args()
        settings = self.list_settings()
        posted = [name for name in request.form.get(COLUMNS_ARG, "").split(",") if name]
        sort_column = view._get_column_by_idx(args.sort) if args.sort is not None else None
        submitted = {
            "columns": posted or list(settings.columns),
            "sort": sort_column[0] if sort_column else settings.sort,
            "sort_desc": args.sort_desc if sort_column else settings.sort_desc,
            "filters": [
                (view.get_filter_arg(index, view._filters[index]), value)
                for index, _name, value in args.filters or ()
            ],
            "page_size": view.get_safe_page_size(args.page_size),
        }
        if share_role is not None:
            g.preview_role = share_role  # checked against what the audience may read
        back = url_for(".index_view", **request.args)

        def write() -> ListView:
            checked = checked_settings(view.list_choices(), submitted)
            return save_named_view(
                db.session, view.model.__name__, request.form.get("name", ""), checked,
                audit_actor(), owner_id=None if share_role else current_user.id,
                shared_role=share_role,
            )  # fmt: skip

        try:
            saved = commit_or_flash_refusal(write, "The view was not saved.")
        except IntegrityError:
            db.session.rollback()
            flash("A view of that name was saved meanwhile; nothing was saved.", "danger")
            return redirect(back)
        if saved is None:
            return redirect(back)
        audience = f"shared with every {role_label(share_role).lower()}" if share_role else "yours"
        flash(f"The view “{saved.name}” was saved ({audience}).", "success")
        return redirect(url_for(".index_view", **{VIEW_ARG: saved.id}))

    @expose("/list-views/delete", methods=["POST"])
    def delete_list_view(self) -> Response:
        view: Any = self
        entity = view.model.__name__
        chosen = usable_view(db.session, current_user, entity, request.form.get(VIEW_ARG))
        if chosen is None:
            abort(404)
        if chosen.owner_id is None and current_user.role != "super_admin":
            abort(403)  # a view shared with the role is the super admin's to remove
        name = chosen.name
        delete_named_view(db.session, chosen, audit_actor())
        db.session.commit()
        flash(f"The view “{name}” was deleted.", "success")
        return redirect(url_for(".index_view"))
