"""The one place Chrono reads the system time; everything else is handed a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A clock for tests and imports: returns `now`, advanced by `step` on each reading."""

    def __init__(self, now: datetime, step=None):
        self.now = now
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        if self.step is not None:
            self.now = self.now + self.step
        return current
