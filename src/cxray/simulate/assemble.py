"""From the generator's integer codes to the canonical Arrow event table and the ground truth."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .. import schema as S
from ..engine import arrow_from_numpy, arrow_strings
from ..schema import CSAT, SURVEY_SCORE, SURVEY_TYPE, VERBATIM, canonical_arrow_schema
from .events import ACTIVITIES, ACTOR_TYPES, OUTCOMES, A
from .generate import Generator
from .model import CHANNELS
from .survey import DRIVERS, verbatim_driver, verbatims
from .vocabulary import Names

ATTRIBUTES = (SURVEY_SCORE, SURVEY_TYPE, VERBATIM)
SOURCE_FILE = "simulated"
SPECIAL_ACTORS = ("IVR", None, "ACD", "Survey")  # codes -2, -3 (the bot's name), -4, -5


def _strings(codes: np.ndarray, dictionary: list[str]) -> pa.Array:
    """Codes (−1 = NULL) as a string column, built by Arrow rather than one Python string per row."""
    indices = arrow_from_numpy(codes.astype(np.int32), pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, arrow_strings(dictionary)).cast(pa.string())


def _activities(activity: np.ndarray, actor_type: np.ndarray, names: Names) -> pa.Array:
    """The activity column; under a vocabulary each (activity, actor type) shows its own name."""
    if not names:
        return _strings(activity, list(ACTIVITIES))
    k = len(ACTOR_TYPES)
    shown = [names.get(a, {}).get(t, a) for a in ACTIVITIES for t in ACTOR_TYPES]
    return _strings(activity * k + actor_type, shown)


def _ids(prefix: str, n: int) -> list[str]:
    width = max(6, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


class Assembled:
    """The event table plus the maps needed to name touched contacts in the ground truth."""

    def __init__(self, gen: Generator, *, start_epoch_s: float, names: Names | None = None) -> None:
        cols = gen.events.columns()
        keep = cols["t"] < gen.horizon  # the extract ends at the horizon: later events are not in it
        emitted = np.flatnonzero(keep)
        contact = cols["contact"][keep]
        t = np.floor(cols["t"][keep])  # whole seconds, like most exports

        # Contact ids follow start time (then creation order); events follow (contact, time, emission).
        first = np.full(gen.n_contacts, np.inf)
        np.minimum.at(first, contact, t)
        present = np.isfinite(first)
        by_start = np.lexsort((np.arange(gen.n_contacts), first))
        by_start = by_start[present[by_start]]
        number = np.full(gen.n_contacts, -1, dtype=np.int64)
        number[by_start] = np.arange(by_start.size)
        self.contact_number = number  # generator contact -> output contact position (-1: outside the extract)
        self.contact_ids = _ids("C", by_start.size)
        order = np.lexsort((emitted, t, number[contact]))
        self.n_contacts = by_start.size

        def col(name: str) -> np.ndarray:
            return cols[name][keep][order]

        contact = number[contact[order]]
        attr = {name: np.concatenate(parts) for name, parts in gen.contacts.items()}
        by_number = by_start  # output position -> generator contact
        customer = attr["customer"][by_number][contact]
        journey = attr["journey"][by_number]
        self.n_journeys = int(np.unique(journey).size) if journey.size else 0
        m = gen.m
        scenario = m.scenario
        n_cust = int(attr["customer"].max()) + 1 if attr["customer"].size else 0
        teams = [tm.name for tm in scenario.teams]
        agents = [
            f"{tm.prefix}{j + 1:04d}"
            for tm, size in zip(scenario.teams, m.team_agents, strict=True)
            for j in range(size)
        ]
        specials = [s if s is not None else scenario.bot_name for s in SPECIAL_ACTORS]
        actor = col("actor")
        actor = np.where(actor >= 0, actor, np.where(actor == -1, -1, len(agents) + (-actor - 2)))
        seconds = start_epoch_s + t[order]
        duration = col("duration")
        n = order.size

        survey_event = np.concatenate(gen.surveys["event"]) if gen.surveys["event"] else np.empty(0, np.int64)
        position = np.full(cols["t"].size, -1, dtype=np.int64)
        position[emitted[order]] = np.arange(n)
        where = position[survey_event]
        on = where >= 0
        score = np.full(n, -1, dtype=np.int64)
        verbatim = np.full(n, -1, dtype=np.int64)
        if survey_event.size:
            score[where[on]] = np.concatenate(gen.surveys["score"])[on] - 1
            verbatim[where[on]] = np.concatenate(gen.surveys["verbatim"])[on]
        self.n_responses = int(on.sum())
        self._verbatim_steps(contact, col("activity"), t[order], verbatim)

        columns = {
            S.CONTACT_ID: _strings(contact, self.contact_ids),
            S.TIMESTAMP: arrow_from_numpy((seconds * 1_000_000).astype(np.int64), pa.timestamp("us")),
            S.ACTIVITY: _activities(col("activity"), col("actor_type"), names or {}),
            S.CUSTOMER_ID: _strings(customer, _ids("CU", n_cust)),
            S.CHANNEL: _strings(attr["channel"][by_number][contact], list(CHANNELS)),
            S.QUEUE: _strings(col("queue"), [q.name for q in scenario.queues]),
            S.TEAM: _strings(col("team"), teams),
            S.ACTOR: _strings(actor, agents + specials),
            S.ACTOR_TYPE: _strings(col("actor_type"), list(ACTOR_TYPES)),
            S.REASON: _strings(attr["reason"][by_number][contact], [r.name for r in scenario.reasons]),
            S.OUTCOME: _strings(col("outcome"), list(OUTCOMES)),
            S.DURATION_S: arrow_from_numpy(np.round(duration), pa.float64(), mask=np.isnan(duration)),
            S.SOURCE_ROW: arrow_from_numpy(np.arange(1, n + 1, dtype=np.int64), pa.int64()),
            S.SOURCE_FILE: _strings(np.zeros(n, dtype=np.int64), [SOURCE_FILE]),
            SURVEY_SCORE: _strings(score, ["1", "2", "3", "4", "5"]),
            SURVEY_TYPE: _strings(np.where(score >= 0, 0, -1), [CSAT]),
            VERBATIM: _strings(verbatim, verbatims([r.name for r in scenario.reasons])),
        }
        self.table = pa.table(columns, schema=canonical_arrow_schema(ATTRIBUTES))

    def _verbatim_steps(
        self, contact: np.ndarray, activity: np.ndarray, t: np.ndarray, verbatim: np.ndarray
    ) -> None:
        """For each response with a verbatim: its row, contact, driver and the row of the step it is about.

        The step (a row of the same contact, -1 for praise or none there): ``context`` the contact's last
        Authenticate (the repeated one), ``transfers`` its first Transfer or Escalate, ``wait`` its longest
        Queue wait (to the contact's next event), ``pending`` its first Back-office case opened or Case status
        checked, ``repeat`` the contact's first event, ``unresolved`` its last event before the survey.
        """
        n, k = contact.size, self.n_contacts
        row = np.arange(n)

        def first(mask: np.ndarray) -> np.ndarray:
            out = np.full(k, n, dtype=np.int64)
            np.minimum.at(out, contact[mask], row[mask])
            return np.where(out < n, out, -1)

        def last(mask: np.ndarray) -> np.ndarray:
            out = np.full(k, -1, dtype=np.int64)
            np.maximum.at(out, contact[mask], row[mask])
            return out

        gap = np.full(n, -np.inf)
        same = np.flatnonzero(contact[1:] == contact[:-1])
        gap[same] = t[same + 1] - t[same]
        waits = activity == A["Queue wait"]
        longest = np.full(k, -np.inf)
        np.maximum.at(longest, contact[waits], gap[waits])
        steps = {
            "unresolved": last(activity != A["Survey"]),
            "repeat": first(np.ones(n, dtype=bool)),
            "pending": first(np.isin(activity, [A["Back-office case opened"], A["Case status checked"]])),
            "transfers": first(np.isin(activity, [A["Transfer"], A["Escalate to tier 2"]])),
            "context": last(activity == A["Authenticate"]),
            "wait": first(waits & (gap == longest[contact])),
            "none": np.full(k, -1, dtype=np.int64),
        }
        rows = np.flatnonzero(verbatim >= 0)
        self.verbatim_rows, self.verbatim_contacts = rows, contact[rows]
        self.verbatim_drivers = verbatim_driver(verbatim[rows])
        by_driver = np.stack([steps[d] for d in DRIVERS])  # (drivers, contacts)
        self.verbatim_steps = by_driver[self.verbatim_drivers, self.verbatim_contacts]

    def verbatim_truth(self) -> list[dict[str, object]]:
        """One record per verbatim: its contact, driver and the step it is about (as the log names it)."""
        step = self.verbatim_steps
        at = arrow_from_numpy(np.maximum(step, 0).astype(np.int64), pa.int64())
        names = self.table.column(S.ACTIVITY).take(at).to_pylist()
        return [
            {
                "contact_id": self.contact_ids[c],
                "driver": DRIVERS[d],
                "activity": name if s >= 0 else None,
                "source_row": int(s) + 1 if s >= 0 else None,
            }
            for c, d, s, name in zip(
                self.verbatim_contacts.tolist(),
                self.verbatim_drivers.tolist(),
                step.tolist(),
                names,
                strict=True,
            )
        ]

    def contact_names(self, generator_ids: np.ndarray) -> list[str]:
        """Output contact ids of generator contacts, sorted, leaving out those outside the extract."""
        numbers = np.unique(self.contact_number[generator_ids])
        return [self.contact_ids[i] for i in numbers[numbers >= 0]]
