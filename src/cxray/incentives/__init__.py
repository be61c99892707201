"""Incentives vs. outcomes: is each party rewarded for what the customer needs?

A *party* is whoever a KPI is reported for: the bot or IVR (events with that actor type), else each
team or vendor (``team``), else the actor type. A contact's **closer** is the party of its last event
with one; repeats are attributed to the closer of the contact they follow, on any channel and for any
party, because closing a contact is what the party's KPI rewards.

For every party, its own KPI beside the outcomes its work leads to:

* KPI (declared in YAML or the default): ``containment`` (self-service: share of contacts touched that
  report contained; higher is better), ``handle_time`` (mean seconds of the party's own events per
  contact touched), ``cost_per_contact`` and ``speed_to_close`` (mean seconds start to end of contacts
  it closed); lower is better for the last three.
* Outcomes: ``repeat_rate`` (uncensored contacts it closed that the customer had to repeat, from
  ``contacts.has_repeat``), ``true_resolution`` (closed, not repeated, not abandoned/unresolved),
  ``true_containment`` (self-service), ``transfer_out_rate`` (contacts touched but closed by another
  party), ``cost_per_resolved`` (cost of contacts closed plus the repeats they caused, per true
  resolution) and ``survey_score`` (mean of a ``survey_score``/``csat`` attribute when present).

Findings (one currency with the breakdown finder: avoidable contacts, minutes and cost):

* ``IN01`` KPI at target (or at least as good as the peer median) while the repeat rate is worse than the
  other parties' rate for the same reasons (weighted by the party's reason mix, significant at ``min_z``);
  avoidable = the excess repeats; minutes and cost = of the repeat contacts.
* ``IN02`` reported containment above true containment: contacts the bot "contained" that came back;
  avoidable = those beyond the rate at which the human parties' closes are followed by a contact on any
  channel within the window (customers come back for new reasons too). The customer and the system are
  never parties: their events do not make a closer.
* ``IN03`` KPI improving while the outcome worsens: second half of the party's weeks vs the first.

Each finding's evidence says where the repeats land (``migrates_to``: the parties that closed them and
how much longer they took than the party's own contacts): effort migration.
Layout: ``parties`` (``Party``, ``IncentiveOptions``, ``load_parties``), ``assessment`` (staging, the party
table, the weekly halves: :class:`IncentiveAssessment`); the findings are three detectors in
``cxray.findings`` (``incentive_kpi`` IN01, ``incentive_containment`` IN02, ``incentive_trend`` IN03).
Needs ``contacts`` from :func:`cxray.journeys.build_journeys` (built here when missing).
"""

from __future__ import annotations

from .assessment import (
    INCENTIVE_CODES,
    SURVEY_COLUMNS,
    IncentiveAssessment,
    assess_incentives,
    stage_incentives,
)
from .parties import KPIS, IncentiveOptions, Party, load_parties

__all__ = [
    "INCENTIVE_CODES",
    "KPIS",
    "SURVEY_COLUMNS",
    "IncentiveAssessment",
    "IncentiveOptions",
    "Party",
    "assess_incentives",
    "load_parties",
    "stage_incentives",
]
