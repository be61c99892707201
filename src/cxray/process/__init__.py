"""Process discovery: the flow map (directly-follows graph, start/end activities, variants, rework)."""

from .flow import flow_map

__all__ = ["flow_map"]
