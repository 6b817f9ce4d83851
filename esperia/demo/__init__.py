"""The demo business: a simulated Italian bookshop chain with planted effects.

See docs/demo.md for the business, its touchpoints and what the simulator plants.
"""

from esperia.demo.simulator import DemoData, simulate

__all__ = ["DemoData", "simulate"]
