"""Process discovery: the flow map (directly-follows graph, start/end activities, variants, rework),
its slices by reason/channel/team/queue, and conformance to the documented process."""

from .flow import flow_map
from .slices import flow_by

__all__ = ["flow_by", "flow_map"]
