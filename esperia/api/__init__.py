"""The HTTP adapter: the REST API under /api/v1 and the web dashboard on one app."""

from esperia.api.app import create_app

__all__ = ["create_app"]
