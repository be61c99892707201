"""Real-export artefacts: the ways a real event log lies that a simulator does not, added to any scenario.

Each one was met in a public log, and each can read as a breakdown when it is not one:

* **bulk identities** — a few customer ids (a bulk caller, a monitoring system) raise a large share of the
  contacts, all in one queue, team and reason, each a short contact an agent handles and closes (UCI
  ServiceNow: 2 callers raised 570 of one team's 731 incidents). Read naively: a repeat-contact hot spot.
* **missing-value markers** — ``EMPTY``, ``?``, ``N/A``, ``unknown`` (any case) written where a team, queue,
  reason or customer id is missing (the receipt log has a team called ``EMPTY``). Read naively: a team.
* **night calls** — the centre is closed (``closed_hours``), yet calls arrive, reach the IVR and queue and
  hang up (Anonymous Bank: a few to tens an hour every night). Read naively: an abandonment hot spot.
* **a mistyped year** — one timestamp's year typed wrong (2042 for 2024). Read naively: the data end decades
  later, so no contact is censored.
* **unidentified contacts** — contacts without a customer id; they cannot repeat, so FCR looks better.

``simulate(..., artefacts=Artefacts())`` adds them with the sizes below; the ground truth's ``artefacts``
record says exactly what was added where (docs/simulator.md, "Real-export artefacts").
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import schema as S
from ..errors import ConfigError

MARKERS = ("EMPTY", "Empty", "?", "N/A", "n/a", "unknown", "Unknown")
MARKER_COLUMNS = (S.TEAM, S.QUEUE, S.REASON, S.CUSTOMER_ID)


@dataclass(frozen=True, kw_only=True)
class Artefacts:
    """Which real-export artefacts to add, and how many. A zero (or ``None``) turns one off.

    >>> Artefacts().bulk_customers, Artefacts().closed_hours
    (2, (0, 6))
    >>> Artefacts.none().active
    False
    """

    bulk_customers: int = 2  # customer ids that raise contacts in bulk
    bulk_share: tuple[float, float] = (0.02, 0.05)  # each raises U(lo, hi) × the centre's own contacts
    marker_share: float = 0.02  # share of events with one value replaced by a missing-value marker
    markers: tuple[str, ...] = MARKERS
    marker_columns: tuple[str, ...] = MARKER_COLUMNS
    closed_hours: tuple[int, int] | None = (0, 6)  # UTC hours when no agent works; None: open 24/7
    night_call_share: float = 0.03  # night calls, as a share of the centre's own phone contacts
    night_queue_share: float = 0.98  # of them, those that reach a queue before hanging up (else in the IVR)
    mistyped_years: int = 1  # events whose timestamp's year is typed wrong
    unidentified_share: float = 0.05  # share of contacts without a customer id

    def __post_init__(self) -> None:
        lo, hi = self.bulk_share
        if self.bulk_customers < 0 or self.mistyped_years < 0:
            raise ConfigError("artefacts: bulk_customers and mistyped_years must be >= 0")
        if not 0.0 <= lo <= hi <= 1.0:
            raise ConfigError(f"artefacts: bulk_share must be 0 <= lo <= hi <= 1, got {self.bulk_share}")
        for name in ("marker_share", "night_call_share", "night_queue_share", "unidentified_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"artefacts: {name} must be in [0, 1], got {getattr(self, name)}")
        if self.marker_share and not self.markers:
            raise ConfigError("artefacts: markers must not be empty")
        unknown = set(self.marker_columns) - set(MARKER_COLUMNS)
        if unknown:
            raise ConfigError(
                f"artefacts: marker_columns must be among {MARKER_COLUMNS}, got {sorted(unknown)}"
            )
        if self.closed_hours is not None:
            start, end = self.closed_hours
            if not (0 <= start < 24 and 0 <= end < 24 and start != end):
                raise ConfigError(
                    f"artefacts: closed_hours must be two different hours 0-23, got {start, end}"
                )
        elif self.night_call_share:
            raise ConfigError("artefacts: night calls need closed_hours")

    @classmethod
    def none(cls) -> Artefacts:
        """Every artefact off: ``simulate`` then gives the scenario's own log, unchanged."""
        return cls(
            bulk_customers=0, marker_share=0.0, closed_hours=None, night_call_share=0.0, mistyped_years=0,
            unidentified_share=0.0,
        )  # fmt: skip

    @property
    def active(self) -> bool:
        """Whether any artefact is on."""
        return bool(
            (self.bulk_customers and self.bulk_share[1] > 0)
            or self.marker_share
            or self.closed_hours is not None
            or self.mistyped_years
            or self.unidentified_share
        )
