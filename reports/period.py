"""Parameters of the period reports (actions, credit control, collections): who asks, when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.scoping import HasRole


@dataclass(frozen=True)
class PeriodParameters:
    """A period of whole days, `start` to `end` inclusive, seen by `viewer`."""

    start: dt.date
    end: dt.date
    viewer: HasRole

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("The period must end on or after its start.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def description(self) -> str:
        return f"From {self.start.isoformat()} to {self.end.isoformat()} ({self.days} days)."
