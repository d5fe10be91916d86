from __future__ import annotations

from remit.core.errors import RemitError


class StatementRejected(RemitError):
    """A bank file refused whole; nothing was written."""

    code = "statement_refused"
