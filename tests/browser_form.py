"""Submits a panel form as a browser does: what the page shows, minus disabled controls (a
browser posts nothing for those), with what the user typed on top."""

from __future__ import annotations

from html.parser import HTMLParser

MODEL_FORM = "admin-form"


class _FormReader(HTMLParser):
    """The name and shown value of every enabled control inside one form of the page: the form
    whose class includes `which`, or whose action does."""

    def __init__(self, which: str) -> None:
        super().__init__(convert_charrefs=True)
        self.which = which
        self.values: dict[str, str] = {}
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            classes = (attributes.get("class") or "").split()
            self.in_form = self.which in classes or self.which in (attributes.get("action") or "")
        if not self.in_form:
            return
        name = attributes.get("name")
        enabled = name and "disabled" not in attributes
        if tag == "input" and enabled and attributes.get("type") != "submit":
            checkable = attributes.get("type") in ("checkbox", "radio")
            if not checkable or "checked" in attributes:
                self.values[name] = attributes.get("value") or ("on" if checkable else "")
        elif tag == "select":
            self.select = name if enabled else None
        elif tag == "option" and self.select:
            if "selected" in attributes or self.select not in self.values:
                self.values[self.select] = attributes.get("value") or ""
        elif tag == "textarea" and enabled:
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data


def as_submitted(page: str, /, which: str = MODEL_FORM, **typed: str) -> dict[str, str]:
    """The POST a browser sends from a form of `page` (its model form unless `which` names
    another by class or action) after the user typed `typed` into it."""
    reader = _FormReader(which)
    reader.feed(page)
    shown = {name: value.removeprefix("\n") for name, value in reader.values.items()}
    return shown | typed
