"""Column types and mixins all models share: money, versioning, custom fields, panel hints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

Money = sa.Numeric(12, 2, asdecimal=True)
"""Money is stored to the cent and read back as Decimal, never as float."""

CustomFieldValues = sa.JSON().with_variant(JSONB(), "postgresql")
"""One JSON document of custom-field values per row (JSONB on PostgreSQL, so it can be indexed)."""

CENT = Decimal("0.01")


def sort_index(column: str) -> sa.Index:
    """The index a list sorts `column` by: the column, then the id.

    A list breaks ties by id, so that no row shows on two pages, and thousands of invoices share
    a due date. With the id in the index, PostgreSQL reads a sorted page straight from it; with
    the date alone it reads every row of the first date and sorts them (SQLite's indexes end in
    the row id already). Named by the metadata's convention (`ix_<table>_<column>`), as the
    single-column index it replaced was (migration 0015).
    """
    return sa.Index(None, column, "id")


def utcnow() -> dt.datetime:
    """Timestamps are stored as naive UTC so SQLite and PostgreSQL compare them alike."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def utc_today() -> dt.date:
    """The panel's "today": the UTC date, as its timestamps are UTC and shown so. One answer for
    pages, reports, e-mails and workers, so they agree around midnight on a server in any zone."""
    return utcnow().date()


class PanelModel:
    """What the generic admin view needs to know about a model beyond its columns.

    Models only declare; `admin_views` reads these hints so that a new model gets a usable view
    without any view code.
    """

    panel_category: ClassVar[str] = "Records"
    panel_label: ClassVar[str | None] = None
    """The records' name in menus and tabs ("Follow-up actions"); by default from the class name."""
    panel_record_name: ClassVar[str | None] = None
    """One record's name in sentences ("Choose a follow-up action"); by default the class name's."""
    panel_not_listed: ClassVar[tuple[str, ...]] = ()
    """Fields left out of the list page's default columns, so the list fits a laptop's screen;
    detail pages and exports still show them."""
    panel_field_labels: ClassVar[dict[str, str]] = {}
    """Field -> label, where the humanised name reads badly (see `models.labels`)."""
    panel_value_labels: ClassVar[dict[str, dict[str, str]]] = {}
    """Choice field -> {stored value: label}, where the humanised value reads badly."""
    panel_search_fields: ClassVar[tuple[str, ...]] = ()
    panel_derived_columns: ClassVar[tuple[str, ...]] = ()
    panel_derived_from: ClassVar[dict[str, str]] = {}
    """Derived column -> the field it reveals (`"field"`, or `"Entity.field"` of another entity):
    hiding that field hides the derived column too."""
    panel_secret_columns: ClassVar[tuple[str, ...]] = ()
    panel_system_columns: ClassVar[tuple[str, ...]] = ()
    panel_append_only: ClassVar[bool] = False
    panel_account_via: ClassVar[str | None] = None
    """For row scoping, when a model has no `account_id`: the many-to-one relation whose target
    belongs to an account (an award belongs to a user, who belongs to an account)."""
    panel_shared_catalogue: ClassVar[bool] = False
    """Rows every panel role may see, managers included (a course catalogue); what they may do
    with them is still decided by the permission table."""
    panel_immutable_columns: ClassVar[tuple[str, ...]] = ()
    """Set when a record is created, never changed after (a custom field's key)."""
    panel_checked_by_server: ClassVar[tuple[str, ...]] = ()
    """Fields the server's own checks read during a request (who is logged in, with which role,
    whether still active): hidden from every page by the field rules like any other, but never
    blanked in memory (forms_config.readability), or those checks would read blanks."""
    panel_label_fields: ClassVar[tuple[str, ...]] = ()
    """The fields a record's label (`__str__`) is made of: an audit diff shows a related record's
    label only to a reader who may read all of them."""

    panel_server_set_columns: ClassVar[tuple[str, ...]] = ()
    """Who did what and when (a note's author, when an action was completed and by whom): on no
    form for any role, whatever a request posts; `set_server_values` fills them on each save."""

    def label_of(self, *parts: Any, separator: str = " ") -> str:
        """A label from the parts at hand; a value the reader may not read arrives blank and is
        left out, and a label with nothing left is the record's number."""
        shown = [str(part) for part in parts if part is not None and part != ""]
        return separator.join(shown) if shown else f"#{getattr(self, 'id', '')}"

    def set_server_values(self, actor: Any, creating: bool) -> None:
        """Fill `panel_server_set_columns` for a save by `actor` (a User); called on every save."""

    @classmethod
    def cross_field_errors(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """Errors that involve more than one field (due date before issue date, ...), by field name.

        Forms and imports both call this, so a rule between fields lives in one place: the model.
        """
        return {}


class RecordRefused(Exception):
    """A write refused by a check that runs whoever writes (on flush), with (field, reason) pairs.

    Each writer shows the reasons as it shows its own errors: a form under its fields, a page as
    messages, a command on the terminal.
    """

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        super().__init__(" ".join(message for _field, message in reasons))
        self.reasons = reasons


class Versioned:
    """Optimistic locking: every UPDATE checks the version it read, so a stale write fails."""

    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version_id}
