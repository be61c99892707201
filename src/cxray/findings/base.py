"""What a breakdown finding is, and what a detector must provide to produce one.

A *detector* is a small class, one per file (sqlfluff-style): a stable ``code``, a ``name``, a ``bucket``
and a docstring saying what it detects, why it matters and an example. Settings go in ``__init__``
(typed, keyword-only), the work in ``detect(ctx)``: tables in, ``Finding`` objects out, no I/O.

A detector does not price its own findings. It says which contacts carry avoidable work and how much of
each is avoidable against its baseline (its *claims*, a SQL query); ``find_breakdowns`` prices every
claim with one cost model, allocates each contact to one finding so nothing is counted twice, and ranks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from .context import DetectorContext

CUSTOMER_FELT: Final = "customer-felt friction"
AGENT_ABSORBED: Final = "agent-absorbed friction"
OPERATING_MODEL: Final = "operating-model choice"
TECHNOLOGY: Final = "technology design"
BUCKETS: Final[tuple[str, ...]] = (CUSTOMER_FELT, AGENT_ABSORBED, OPERATING_MODEL, TECHNOLOGY)

#: Columns a claims query must return, in this order (see ``Finding.claims_sql``).
CLAIM_COLUMNS: Final[tuple[str, ...]] = ("contact_id", "share", "units", "minutes", "cost")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One breakdown, with the evidence to act on it and its avoidable volume in one currency.

    Detectors fill the identity, ``where``, ``contacts_affected``, ``evidence`` and ``claims_sql``;
    ``find_breakdowns`` fills the avoidable numbers, the share and the rank.

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
    evidence: dict[str, Any] = field(default_factory=dict)
    hidden_by_kpi: str | None = None
    rank: int | None = None
    claims_sql: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        from ..errors import ConfigError

        if self.bucket not in BUCKETS:
            raise ConfigError(f"finding {self.code}: bucket must be one of {BUCKETS}, got {self.bucket!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every public field (the claims query is an implementation detail)."""
        data = asdict(self)
        data.pop("claims_sql")
        order = ("rank", "code", "title", "bucket", "where")
        return {k: data[k] for k in order} | {k: v for k, v in data.items() if k not in order}


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

    def detect(self, ctx: DetectorContext) -> list[Finding]:
        raise NotImplementedError

    def finding(self, **fields: Any) -> Finding:
        """A finding carrying this detector's code and bucket."""
        return Finding(code=self.code, bucket=self.bucket, **fields)
