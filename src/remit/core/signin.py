"""Sign-in lockout: django-axes, with a limit for each thing it counts.

django-axes counts failed sign-ins by the groups of AXES_LOCKOUT_PARAMETERS, here
`["username", "ip_address"]` and `"ip_address"`, but compares them all with one limit.
remit needs two:

- one username from one address: AXES_FAILURE_LIMIT (10) failures lock that pair, so
  guessing one account's password is stopped, and nobody elsewhere can lock the account
  out of its owner's reach;
- one address, whatever the usernames (password spraying: one common password tried on
  many accounts): REMIT_SIGNIN_ADDRESS_FAILURE_LIMIT (50) failures lock the address.

Both last AXES_COOLOFF_TIME (30 minutes). A successful sign-in clears its own pair's
failures only: signing in to one's own account does not wipe a spraying address's count.
The address is `core.web.client_address` (REMOTE_ADDR, or the proxy's header when
configured).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class SigninLockoutHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with a limit per group: the pair's, and the address's own."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The pair's failures, or the pair's limit once the address is over its own limit
        (django-axes locks when this reaches AXES_FAILURE_LIMIT)."""
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        pair = _failures(request, username=username, ip_address=address)
        if _failures(request, ip_address=address) >= address_limit():
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful sign-in: that username's failures from that address only."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def address_limit() -> int:
    return settings.REMIT_SIGNIN_ADDRESS_FAILURE_LIMIT


def _failures(request, **match: str | None) -> int:
    attempts = AccessAttempt.objects.filter(**match)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
