"""The widget registry: every widget kind declared once, and who may be shown it.

A kind names what it reads: fields as "Entity.field" (asked of `forms_config.readability`) and,
through them, the entities (asked of `auth.permissions`). A role that may not read one of them is
not offered the widget in the configurator, and a layout saved before the field was hidden drops
it when the page is drawn. A choice parameter may read more fields for some of its options (the
aging chart by account reads account names, by manager the managers' e-mails).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auth.permissions import VIEW, allowed_operations
from forms_config.readability import FieldRef, may_read_ref, model_named

FIGURE, CHART, ROWS, ACCOUNTS_TABLE, LINKS = "figure", "chart", "rows", "accounts_table", "links"
ROW_SCOPE, USER_SCOPE, NO_CACHE = "rows", "user", "none"
"""How a widget's figures may be shared in the cache: by (role, rows the user sees), by user
(assigned to me), or not cached at all (it reads nothing from the ledger)."""


class ParameterRefused(ValueError):
    """A parameter value a widget does not accept; the message is meant for the super admin."""


@dataclass(frozen=True)
class IntParameter:
    name: str
    label: str
    default: int
    least: int
    most: int

    def parsed(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ParameterRefused(f"{self.label} must be a whole number.")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ParameterRefused(f"{self.label} must be a whole number.") from None
        if not self.least <= number <= self.most:
            raise ParameterRefused(f"{self.label} must be between {self.least} and {self.most}.")
        return number

    def reads(self, _value: Any) -> tuple[FieldRef, ...]:
        return ()


@dataclass(frozen=True)
class ChoiceParameter:
    name: str
    label: str
    default: str
    options: Mapping[str, str]
    """value -> what the configurator shows for it"""
    option_reads: Mapping[str, tuple[FieldRef, ...]] = field(default_factory=dict)
    """value -> the fields that option reads, beyond the widget's own"""

    def parsed(self, value: Any) -> str:
        text = str(value)
        if text not in self.options:
            raise ParameterRefused(f"{self.label}: {text!r} is not one of the choices.")
        return text

    def reads(self, value: Any) -> tuple[FieldRef, ...]:
        return tuple(self.option_reads.get(value, ()))


@dataclass(frozen=True)
class BoolParameter:
    name: str
    label: str
    default: bool

    def parsed(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ParameterRefused(f"{self.label} must be yes or no.")

    def reads(self, _value: Any) -> tuple[FieldRef, ...]:
        return ()


Parameter = IntParameter | ChoiceParameter | BoolParameter
Figures = Callable[[Any, Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class WidgetKind:
    key: str
    label: str
    description: str
    shape: str
    """FIGURE, CHART, ROWS, ACCOUNTS_TABLE or LINKS: which template draws its result"""
    reads: tuple[FieldRef, ...]
    compute: Figures
    """(session, user, params) -> the widget's result (plain, picklable values)"""
    parameters: tuple[Parameter, ...] = ()
    scope: str = ROW_SCOPE
    extra_entities: tuple[str, ...] = ()
    """Entities the widget lists records of without reading one of their fields."""
    width: int = 3
    """Bootstrap columns (of 12) the widget takes on a wide screen."""

    def defaults(self) -> dict[str, Any]:
        return {parameter.name: parameter.default for parameter in self.parameters}

    def parsed_parameters(self, submitted: Mapping[str, Any]) -> dict[str, Any]:
        """The widget's parameters from `submitted` (missing ones at their default); a name the
        widget does not declare, or a value it does not accept, is a ParameterRefused."""
        unknown = set(submitted) - {parameter.name for parameter in self.parameters}
        if unknown:
            raise ParameterRefused(f"it has no parameter {sorted(unknown)[0]!r}.")
        return {
            parameter.name: parameter.parsed(submitted.get(parameter.name, parameter.default))
            for parameter in self.parameters
        }

    def reads_for(self, params: Mapping[str, Any]) -> tuple[FieldRef, ...]:
        extra = [ref for p in self.parameters for ref in p.reads(params.get(p.name, p.default))]
        return (*self.reads, *extra)


REGISTRY: dict[str, WidgetKind] = {}


def register(kind: WidgetKind) -> WidgetKind:
    if kind.key in REGISTRY:
        raise ValueError(f"Two widgets are called {kind.key!r}.")
    REGISTRY[kind.key] = kind
    return kind


def entities_read(refs: tuple[FieldRef, ...], extra: tuple[str, ...] = ()) -> set[str]:
    return {ref.partition(".")[0] for ref in refs} | set(extra)


def may_view_entity(entity: str, role: str, finance_hidden: bool) -> bool:
    model = model_named(entity)
    category = getattr(model, "panel_category", "Records")
    return VIEW in allowed_operations(entity, category, role, finance_hidden)


def may_show(kind: WidgetKind, params: Mapping[str, Any], role: str, finance_hidden: bool) -> bool:
    """Whether `role` may be shown `kind` with `params`: it may read every field and list every
    entity the widget reads (the same answers every other page of the panel gets)."""
    refs = kind.reads_for(params)
    return all(may_read_ref(ref, role) for ref in refs) and all(
        may_view_entity(entity, role, finance_hidden)
        for entity in entities_read(refs, kind.extra_entities)
    )


def offered_kinds(role: str, finance_hidden: bool) -> list[WidgetKind]:
    """The widgets the configurator offers for `role` (with at least their default parameters)."""
    return [
        kind for kind in REGISTRY.values() if may_show(kind, kind.defaults(), role, finance_hidden)
    ]


def offered_options(
    kind: WidgetKind, parameter: Parameter, role: str, finance_hidden: bool
) -> list[str]:
    """The options of a choice parameter the role may be shown."""
    if not isinstance(parameter, ChoiceParameter):
        return []
    return [
        option
        for option in parameter.options
        if may_show(kind, {**kind.defaults(), parameter.name: option}, role, finance_hidden)
    ]
