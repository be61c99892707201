"""The ordered steps of every contact: each event with its position and the event that follows it.

Every discovery analysis (directly-follows graph, start/end activities, variants, rework) reads the
same ordering, so it is computed once, with one window, into a temporary table. Order within a contact
is ``(timestamp, source_row)`` as the data contract says: ties keep the source order, which is what
pm4py does, so DFG and variant counts agree with it on logs with equal timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from .. import schema as S
from ..engine import Engine

STEPS_TABLE: Final = "_cxray_process_steps"

# Columns of the temporary steps table besides contact_id, activity and timestamp (private to process/).
POS: Final = "step_pos"  # 1-based position of the event in its contact
NEXT_ACTIVITY: Final = "next_activity"  # activity of the next event of the contact; NULL on the last
GAP_S: Final = "gap_s"  # seconds from this event to the next; NULL on the last
IS_LAST: Final = "is_last"  # the contact's last event


def q(name: str) -> str:
    """Quote an identifier (``timestamp`` is also a type name)."""
    return '"' + name.replace('"', '""') + '"'


def _steps_sql() -> str:
    c, a, t = q(S.CONTACT_ID), q(S.ACTIVITY), q(S.TIMESTAMP)
    # source_row is unique by contract; activity only makes a broken contract deterministic too.
    window = f"PARTITION BY {c} ORDER BY {t}, {q(S.SOURCE_ROW)}, {a}"
    return f"""
        CREATE OR REPLACE TEMP TABLE {STEPS_TABLE} AS
        SELECT
            {c}, {a}, {t},
            row_number() OVER w AS {POS},
            lead({a}) OVER w AS {NEXT_ACTIVITY},
            (epoch_us(lead({t}) OVER w) - epoch_us({t})) / 1e6 AS {GAP_S},
            NOT lead(true, 1, false) OVER w AS {IS_LAST}
        FROM {q(S.EVENTS_TABLE)}
        WINDOW w AS ({window})
    """


@contextmanager
def ordered_steps(engine: Engine) -> Iterator[str]:
    """Materialise the steps table for the duration of the block and yield its name."""
    engine.execute(_steps_sql())
    try:
        yield STEPS_TABLE
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {STEPS_TABLE}")
