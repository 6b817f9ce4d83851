"""CX metrics with honest statistics: scores, the pyramid, modules, gaps, drivers.

Every figure is an Ibis expression run in the store's engine (DuckDB or
PostgreSQL) and comes back with its n, a confidence interval and a small-n
flag. See docs/metrics.md for the statistics.
"""

from esperia.metrics.drivers import drivers
from esperia.metrics.frame import DIMENSIONS, PERIODS, Query, parse_by
from esperia.metrics.gaps import promise_gaps, value_gaps
from esperia.metrics.modules import modules
from esperia.metrics.pyramid import pyramid
from esperia.metrics.scores import SCORES, score
from esperia.metrics.service import METRICS, build_query, metric_rows
from esperia.metrics.shapley import shapley_r2

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "PERIODS",
    "SCORES",
    "Query",
    "build_query",
    "drivers",
    "metric_rows",
    "modules",
    "parse_by",
    "promise_gaps",
    "pyramid",
    "score",
    "shapley_r2",
    "value_gaps",
]
