"""The same diagnosis on Apache Spark, for logs too big for one machine (``pip install 'cxray[spark]'``).

Design: one implementation of every analysis. Spark moves data; DuckDB runs cxray's own SQL modules
inside each Spark task (``mapInArrow``), and the driver merges what the tasks return.

1. **Read** (``_stage``): Spark reads Parquet (paths or any Hadoop-compatible URI); each Arrow batch goes
   through the reader's canonicalisation SQL (``io.canonical.branch_sql``) with a mapping planned once on
   the driver. Counts per file, rejected rows and the *facts of the whole log* (which optional columns
   carry data, the last timestamp, needed for right-censoring) are small and come to the driver.
2. **Per partition of customers** (``_partition``): rows are keyed by their contact's customer (a contact
   without one by its own id), repartitioned, and each partition runs ``finish_events`` (duplicates),
   ``build_journeys`` (given the global facts) and ``flow_map``, and stages what the driver's steps read
   per customer: each breakdown detector's ``stage`` (``findings.stage_breakdowns``), conformance's
   variants (``process.conformance.stage_variants``), the incentives' per-contact tables and the journey
   paths' counts. Journeys and repeats are per customer, so ``contacts`` and ``journeys`` come back
   **exact**, row for row.
3. **Merge on the driver** (``_gather``, ``_flow``): contacts and journeys are concatenated in the order
   a laptop run creates them, events in the partitions' order (a laptop run's events are a view over its
   ordered table from the journeys on, not in source order either); in local mode the tables come as
   Arrow IPC files the driver memory-maps, on a cluster as payloads. Flow counts and sums add up
   exactly; DFG medians come from a mergeable log-bucket sketch, **within 0.5% relative**
   (``cxray.sketch.ACCURACY``); means agree to float rounding.
4. **On the driver, the same steps as a laptop run's** (``diagnose.diagnose_tables``): ``core_metrics``
   over the gathered ``contacts``/``journeys`` (exact, medians included), the detectors' baselines and
   findings and conformance's replay over the staged tables (exact, the same ranked breakdowns), and
   the flow slices, the voice of the customer and the data-quality guards over the gathered events.

What scales and what does not: reading, parsing, de-duplication, journeys, the flow map and everything
a step computes per customer are spread over the executors; the population steps (baselines, medians,
happy paths) run on the driver over what the partitions staged. The driver still holds every event for
the flow slices, the voice of the customer and the guards: bounded by its disk (DuckDB spills), not its
memory, but not distributed (docs/scale-out.md).

>>> from cxray.spark import diagnose_spark                       # doctest: +SKIP
>>> d = diagnose_spark(["s3a://lake/contact_events/"])            # doctest: +SKIP
>>> d.metrics.overall["contacts"]                              # doctest: +SKIP
"""

from ..sketch import ACCURACY as MEDIAN_ACCURACY
from ._session import INSTALL_HINT, local_session, require_pyspark
from .diagnose import diagnose_spark

__all__ = ["INSTALL_HINT", "MEDIAN_ACCURACY", "diagnose_spark", "local_session", "require_pyspark"]
