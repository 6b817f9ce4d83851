"""Customer journeys: event logs, flows, funnels, conformance, moments of truth."""

from esperia.journey.eventlog import (
    ACTIVITY_LEVELS,
    EventLog,
    JourneyOptions,
    file_log,
    open_workspace_log,
    workspace_log,
)
from esperia.journey.flows import (
    channel_switching,
    directly_follows,
    goal_dropouts,
    time_to_first_purchase,
    top_paths,
)
from esperia.journey.xes import read_xes, write_xes

__all__ = [
    "ACTIVITY_LEVELS",
    "EventLog",
    "JourneyOptions",
    "channel_switching",
    "directly_follows",
    "file_log",
    "goal_dropouts",
    "open_workspace_log",
    "read_xes",
    "time_to_first_purchase",
    "top_paths",
    "workspace_log",
    "write_xes",
]
