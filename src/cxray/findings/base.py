"""What a breakdown finding is, and what a detector must provide to produce one.

A *detector* is a small class, one per file (sqlfluff-style): a stable ``code``, a ``name``, a ``bucket``
and a docstring saying what it detects, why it matters and an example. Settings go in ``__init__``
(typed, keyword-only), the work in ``detect(ctx)``: tables in, ``Finding`` objects out, no I/O.

A detector does not price its own findings. It says which contacts carry avoidable work and how much of
each is avoidable against its baseline (its *claims*, a SQL query); ``find_breakdowns`` prices every
claim with one cost model, allocates each contact to one finding so nothing is counted twice, and ranks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal

from typing_extensions import TypedDict

from .. import schema as S
from ..contract import IdentifiersAt

if TYPE_CHECKING:
    from .context import DetectorContext

CUSTOMER_FELT: Final = "customer-felt friction"
AGENT_ABSORBED: Final = "agent-absorbed friction"
OPERATING_MODEL: Final = "operating-model choice"
TECHNOLOGY: Final = "technology design"
BUCKETS: Final[tuple[str, ...]] = (CUSTOMER_FELT, AGENT_ABSORBED, OPERATING_MODEL, TECHNOLOGY)

#: Columns a claims query must return, in this order (see ``Finding.claims_sql``).
CLAIM_COLUMNS: Final[tuple[str, ...]] = (S.CONTACT_ID, "share", "units", "minutes", "cost")


def claims_select(contact_id: str, share: str, units: str, minutes: str, cost: str) -> str:
    """The select list of a claims query: each SQL expression named as its column of :data:`CLAIM_COLUMNS`.

    >>> claims_select("n.next_id", "0.5", "1", "n.minutes", "n.cost")
    'n.next_id AS contact_id, 0.5 AS share, 1 AS units, n.minutes AS minutes, n.cost AS cost'
    """
    exprs = (contact_id, share, units, minutes, cost)
    return ", ".join(f"{e} AS {name}" for e, name in zip(exprs, CLAIM_COLUMNS, strict=True))


#: Evidence keys with one meaning in every detector (the report reads them by these names): the example
#: contacts, the flow fragment as paths ``"A -> B -> C"``, and the baseline the finding is measured
#: against (a sentence, a number, or ``{value, metric, scope}``; ``baseline_<x>`` numbers sit beside ``<x>``).
EVIDENCE_EXAMPLES: Final = "examples"
EVIDENCE_FLOW: Final = "flow"
EVIDENCE_BASELINE: Final = "baseline"

#: A finding's evidence: open (each detector says what proves its finding), but the contacts listed under
#: ``examples`` are identifiers, pseudonymised by ``--redact``.
Evidence = Annotated[dict[str, Any], IdentifiersAt(EVIDENCE_EXAMPLES)]


class FindingDoc(TypedDict):
    """A finding in ``diagnosis.json`` (``breakdowns``, ``all_findings``, ``incentives.findings``)."""

    rank: int | None
    code: str
    title: str
    bucket: str
    where: dict[str, str]
    contacts_affected: int
    avoidable_contacts: float
    avoidable_minutes: float
    avoidable_cost: float
    share_of_avoidable_cost: float
    customers_affected: int
    customer_days_waited: float
    evidence: Evidence
    hidden_by_kpi: str | None
    role: Literal["cause", "symptom"] | None


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One breakdown, with the evidence to act on it and its avoidable volume in one currency.

    Detectors fill the identity, ``where``, ``contacts_affected``, ``evidence`` and ``claims_sql``;
    ``find_breakdowns`` fills the avoidable numbers, the share, the rank (its breakdown's) and the role.

    ``claims_sql`` selects ``contact_id, share, units, minutes, cost``: per contact carrying avoidable work,
    the fraction of it that is avoidable against the baseline (``share`` in [0, 1]), whether the whole
    contact is avoidable (``units`` 1) or only part of its work (0, e.g. a misrouted leg), and the minutes
    and cost of that work. A detector without claims may fill the avoidable numbers itself; such a finding
    is ranked but cannot be de-duplicated against others.

    ``customer_days_waited`` is a second, separate measure: the days customers' cases waited beyond the
    detector's baseline (parked work, slow back offices). Elapsed time is felt by the customer but paid by
    no one, so it is never mixed into the cost.
    """

    code: str
    title: str
    bucket: str
    where: dict[str, str] = field(default_factory=dict)
    contacts_affected: int = 0
    avoidable_contacts: float = 0.0
    avoidable_minutes: float = 0.0
    avoidable_cost: float = 0.0
    share_of_avoidable_cost: float = 0.0
    customers_affected: int = 0
    customer_days_waited: float = 0.0
    evidence: Evidence = field(default_factory=dict)
    hidden_by_kpi: str | None = None
    rank: int | None = None
    #: In its breakdown (``findings.grouping``): the cause it names, or a symptom listed under another.
    role: Literal["cause", "symptom"] | None = None
    claims_sql: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        from ..errors import ConfigError

        if self.bucket not in BUCKETS:
            raise ConfigError(f"finding {self.code}: bucket must be one of {BUCKETS}, got {self.bucket!r}")

    def to_dict(self) -> FindingDoc:
        """JSON-ready: every public field (the claims query is an implementation detail)."""
        data = asdict(self)
        return {
            "rank": self.rank,
            "code": self.code,
            "title": self.title,
            "bucket": self.bucket,
            "where": data["where"],
            "contacts_affected": self.contacts_affected,
            "avoidable_contacts": self.avoidable_contacts,
            "avoidable_minutes": self.avoidable_minutes,
            "avoidable_cost": self.avoidable_cost,
            "share_of_avoidable_cost": self.share_of_avoidable_cost,
            "customers_affected": self.customers_affected,
            "customer_days_waited": self.customer_days_waited,
            "evidence": data["evidence"],
            "hidden_by_kpi": self.hidden_by_kpi,
            "role": self.role,
        }


class Detector:
    """Base class of detectors: subclass, set the class attributes, implement ``detect``.

    >>> class Quiet(Detector):
    ...     '''Detects nothing; an example.'''
    ...     code, name, bucket = "XX01", "quiet", CUSTOMER_FELT
    ...     def detect(self, ctx):
    ...         return []
    >>> Quiet().detect(None)
    []
    """

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    bucket: ClassVar[str] = ""
    #: The keys of a finding's ``where`` that name the failure point it blames (a tuple of keys: one
    #: compound point): findings naming the same one are grouped into one breakdown
    #: (``cxray.findings.grouping``); () names none.
    entity_keys: ClassVar[tuple[str | tuple[str, ...], ...]] = (S.QUEUE, S.TEAM)
    #: True when the findings are consequences (repeats, transfers onward) rather than a mechanism: in a
    #: breakdown they are listed as symptoms of a mechanism found at the same failure point.
    symptom: ClassVar[bool] = False
    #: The context's shared tables ``detect`` reads (``"legs"``, ``"leg_activities"``, ``"next"``): the
    #: finder drops one once no detector still to run reads it (they are 10M rows at 10M events). None,
    #: the default: not said, so every shared table is kept until this detector has run.
    reads: ClassVar[frozenset[str] | None] = None
    #: The shared tables ``stage`` reads (kept for it like ``reads``): a partition of customers builds
    #: them for ``stage`` and sends the driver only what ``detect`` reads.
    stage_reads: ClassVar[frozenset[str]] = frozenset()

    def stage(self, ctx: DetectorContext) -> None:
        """Build the tables ``detect`` reads from events, before it runs; by default none.

        What belongs here is per customer: rows of one event, leg or contact, made from that customer's
        events and contacts and the whole log's ``ctx.facts`` (the data's end, not ``max(ts)`` of
        ``events``), each table named with ``ctx.scratch``. Population-wide figures (baselines, medians,
        thresholds) belong in ``detect``. The Spark engine runs ``stage`` in every partition of customers
        and hands ``detect`` the union of the partitions' tables, so the driver's detectors read no
        events (``cxray.spark``); a laptop run stages just before ``detect``.
        """

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        raise NotImplementedError

    def failure_points(self, where: Mapping[str, str]) -> list[tuple[str, str]]:
        """The failure points a finding of this detector names (``entity_keys`` present in ``where``)."""
        from .grouping import points_of

        return points_of(where, self.entity_keys)

    def is_symptom(self, where: Mapping[str, str]) -> bool:
        """Whether a finding is a consequence rather than a mechanism (by default ``symptom``)."""
        return self.symptom

    def downstream_points(self, where: Mapping[str, str]) -> list[tuple[str, str]]:
        """The failure points a finding sends work into (none by default; a misroute: its destination)."""
        return []

    def finding(self, **fields: Any) -> Finding:
        """A finding carrying this detector's code and bucket."""
        return Finding(code=self.code, bucket=self.bucket, **fields)
