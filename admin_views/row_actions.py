"""A list's row buttons (view, edit, delete) rendered once per page instead of once per row.

Flask-Admin renders each row's buttons through a Jinja macro: three URL builds and a small
WTForms form per row, about a quarter of a list page's time. The buttons of one page differ
only by the record's id, so each is rendered once with a placeholder id and the page's rows
get that HTML with their own id written in: the same markup, byte for byte. Any other row
action (a view's own) still renders row by row.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask_admin.model import template
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

PLACEHOLDERS = ("rowIdPlaceholderA", "rowIdPlaceholderB")
"""Letters only: URL quoting and HTML escaping leave them as they are."""
SAME_FOR_EVERY_ROW = (
    template.ViewRowAction,
    template.ViewPopupRowAction,
    template.EditRowAction,
    template.EditPopupRowAction,
    template.DeleteRowAction,
)


class RenderedOncePerPage(template.BaseListRowAction):
    """One of Flask-Admin's own row actions, rendered for the page's first row and reused.

    The HTML is rendered with two different placeholder ids; where both renderings split into
    the same pieces, the id is the only thing that varies from row to row. Where they do not
    (a placeholder's text in the request's own URL, which every button carries back), every
    row is rendered the usual way.
    """

    def __init__(self, action: template.BaseListRowAction, pk_name: str) -> None:
        super().__init__(title=action.title)
        self.action = action
        self.pk_name = pk_name
        self.pieces: list[str] | None = None
        self.reusable: bool | None = None

    @pass_context
    def render_ctx(self, context: Context, row_id: Any, row: Any) -> Any:
        if self.reusable is None:
            self.pieces = self._pieces(context, PLACEHOLDERS[0])
            self.reusable = self.pieces == self._pieces(context, PLACEHOLDERS[1])
        text = str(row_id)
        if not (self.reusable and text.isascii() and text.isdigit()):
            return self.action.render(context, row_id, row)
        return Markup(text.join(self.pieces))

    def _pieces(self, context: Context, placeholder: str) -> list[str]:
        row = SimpleNamespace(**{self.pk_name: placeholder})
        return str(self.action.render(context, placeholder, row)).split(placeholder)


def rendered_once_per_page(
    actions: list[template.BaseListRowAction], pk_name: str
) -> list[template.BaseListRowAction]:
    """`actions` with Flask-Admin's own view, edit and delete buttons rendered once per page."""
    return [
        RenderedOncePerPage(action, pk_name) if type(action) in SAME_FOR_EVERY_ROW else action
        for action in actions
    ]
