"""One error hierarchy.

`RemitError` and its children are *user-facing*: their message is a sentence that is
safe to show a billing clerk or return from the API. Anything else that escapes a
service is an internal error: logged, and shown as a generic message.
"""

from __future__ import annotations


class RemitError(Exception):
    """A refusal the user can act on. `code` is stable for the API; `fields` names inputs."""

    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidAmount(RemitError):
    code = "invalid_amount"


class InvalidNumber(RemitError):
    """A customer, invoice or payment number that breaks the number rule."""

    code = "invalid_number"


class InvalidDate(RemitError):
    """A date that is not YYYY-MM-DD, or outside the bounds its field allows."""

    code = "invalid_date"


class NotFound(RemitError):
    code = "not_found"


class AllocationRefused(RemitError):
    """An amount cannot be applied as asked (over an invoice's balance, over the payment)."""

    code = "allocation_refused"


class ApprovalRequired(RemitError):
    """Allowed to someone with more authority (a write-off above the clerk's tolerance)."""

    code = "approval_required"


class PossibleDuplicate(RemitError):
    """A payment like one already posted (same customer, type, amount, reference and
    date) without the same idempotency key: posted only once the user confirms."""

    code = "possible_duplicate"

    def __init__(self, message: str, *, duplicate_of: str) -> None:
        super().__init__(message, fields={"possible_duplicate_of": duplicate_of})
        self.duplicate_of = duplicate_of


class InvoiceNotPayable(RemitError):
    code = "invoice_not_payable"


class IdempotencyConflict(RemitError):
    """The same idempotency key was used with a different request."""

    code = "idempotency_conflict"


class TransitionRefused(RemitError):
    """A payment cannot move from its state by this action (undeclared in the table)."""

    code = "transition_refused"


class VoidRefused(RemitError):
    code = "void_refused"


class ImportRejected(RemitError):
    """A CSV import was refused as a whole; `problems` lists every bad line."""

    code = "import_rejected"

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {n}: {reason}" for n, reason in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(
            f"The import was refused, nothing was written: {lines}{more}.",
        )


class RefundRequired(VoidRefused):
    """The gateway can no longer void a payment; the caller should offer a refund.

    The message is the offer to show: "The gateway could not void this payment (reason).
    Refund $X to Visa •••• 4242 instead?"
    """

    code = "refund_required"

    def __init__(self, message: str, *, payment: str, amount: str, method: str) -> None:
        super().__init__(message)
        self.payment = payment
        self.amount = amount
        self.method = method


class InProgress(RemitError):
    """The same operation is already under way; `retry_after` says when to ask again."""

    code = "in_progress"

    def __init__(
        self, message: str, *, retry_after: int, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class AttemptInProgress(InProgress):
    """A void or refund of the payment is already at the gateway, waiting for its answer."""

    code = "attempt_in_progress"


class GatewayUnavailable(RemitError):
    """The gateway did not answer; nothing is lost and the same request is safe to repeat."""

    code = "gateway_unavailable"
