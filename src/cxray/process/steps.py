"""The ordered events in the flow map's terms: position, next activity, gap to the next event.

The ordering itself (one sort of ``events`` shared with journeys and the finder) is
:func:`cxray.ordered.ordered_events`; this module only exposes it as a view for discovery.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from .. import schema as S
from ..engine import Engine
from ..ordered import IS_LAST, NEXT_ACTIVITY, ordered_events
from ..sql import ident

STEPS_TABLE: Final = "_cxray_process_steps"

# Columns of the steps view besides contact_id, activity, timestamp, next_activity and is_last
# (private to process/).
POS: Final = "step_pos"  # 1-based position of the event in its contact
GAP_S: Final = "gap_s"  # seconds from this event to the next; NULL on the last
GAP_US: Final = "gap_us"  # the same in whole microseconds: an integer, so its sums and means are exact


@contextmanager
def ordered_steps(engine: Engine) -> Iterator[str]:
    """A view of the ordered events in the flow map's terms for the duration of the block; yields its name.

    Columns: ``contact_id, activity, timestamp``, :data:`POS`, ``next_activity``
    (:data:`cxray.ordered.NEXT_ACTIVITY`), :data:`GAP_S`, :data:`GAP_US`, ``is_last``
    (:data:`cxray.ordered.IS_LAST`). Average :data:`GAP_US`, not :data:`GAP_S`: a mean of doubles moves in
    its last bits with the order a parallel aggregation adds rows in, an integer mean does not.
    """
    ordered = ordered_events(engine)
    engine.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {STEPS_TABLE} AS
        SELECT {ident(S.CONTACT_ID)}, {ident(S.ACTIVITY)}, ts AS {ident(S.TIMESTAMP)}, seq AS {POS},
               {NEXT_ACTIVITY}, (epoch_us(next_ts) - epoch_us(ts)) / 1e6 AS {GAP_S},
               epoch_us(next_ts) - epoch_us(ts) AS {GAP_US}, {IS_LAST}
        FROM {ordered}
        """
    )
    try:
        yield STEPS_TABLE
    finally:
        engine.execute(f"DROP VIEW IF EXISTS {STEPS_TABLE}")
