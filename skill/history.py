"""Earlier check-ins, as the engine and the speech need them.

The records themselves live in :mod:`skill.store`; this module turns them into
the engine's plain :class:`~skill.triage.PriorCheckIn` values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from skill.store import CheckIn
from skill.triage import PriorCheckIn


def prior_checkins(checkins: Sequence[CheckIn], today: date) -> list[PriorCheckIn]:
    """The engine's view of earlier check-ins: how many days ago, and the features."""
    return [PriorCheckIn(float(max(c.age_days(today), 0)), c.features) for c in checkins]
