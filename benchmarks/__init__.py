"""Ingestion benchmarks: Esperia's file and HTTP paths next to what users would
otherwise use. The entry point is ``python benchmarks/run.py`` (``make bench``);
results are explained in docs/benchmarks.md."""

__all__: list[str] = []
