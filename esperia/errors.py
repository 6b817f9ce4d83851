"""The exception tree: one root, each subclass with an HTTP status and a builtin base.

Adapters translate these in one place each: the CLI prints one line and exits
non-zero, the API answers one JSON shape, the web renders an error page.

    EsperiaError
    ├── InvalidInput (ValueError)            400
    │   ├── SchemaError                      400  a file lacks required columns, etc.
    │   └── BatchRejected                    422  API batch items failed validation
    ├── NotAuthenticated (PermissionError)   401
    ├── Forbidden (PermissionError)          403
    ├── NotFound (LookupError)               404
    ├── Conflict                             409
    ├── PayloadTooLarge (ValueError)         413
    ├── WorkspaceError (RuntimeError)        500  missing or broken workspace
    └── StoreError (RuntimeError)            503  the database cannot be reached
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BatchRejected",
    "Conflict",
    "EsperiaError",
    "Forbidden",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "SchemaError",
    "StoreError",
    "WorkspaceError",
]


class EsperiaError(Exception):
    """Root of every error Esperia raises on purpose."""

    status_code = 500
    code = "esperia_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        """The one error shape every adapter shows."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(EsperiaError, ValueError):
    status_code = 400
    code = "invalid_input"


class SchemaError(InvalidInput):
    code = "schema_error"


class BatchRejected(InvalidInput):
    status_code = 422
    code = "batch_rejected"


class NotAuthenticated(EsperiaError, PermissionError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(EsperiaError, PermissionError):
    status_code = 403
    code = "forbidden"


class NotFound(EsperiaError, LookupError):
    status_code = 404
    code = "not_found"


class Conflict(EsperiaError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(EsperiaError, ValueError):
    status_code = 413
    code = "payload_too_large"


class WorkspaceError(EsperiaError, RuntimeError):
    status_code = 500
    code = "workspace_error"


class StoreError(EsperiaError, RuntimeError):
    status_code = 503
    code = "store_unavailable"
