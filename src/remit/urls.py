from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import include, path

from remit.core import health
from remit.core.favicon import favicon
from remit.core.metrics import metrics_view
from remit.gateways.card_entry import SANDBOX_TOKENIZE_URL, sandbox_tokenizer_mounted
from remit.payments.metrics import PendingPayments
from remit.webhooks import sandbox_views
from remit.worker.metrics import WorkerRuns


def home(request):
    """Staff go to the back office, everyone else to the portal."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        return HttpResponseRedirect("/staff/")
    return HttpResponseRedirect("/portal/")


urlpatterns = [
    path("", home),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("portal/", include("remit.portal.urls")),
    path("", include("remit.portal.public_urls")),  # an email's pay and unsubscribe links
    path("staff/", include("remit.backoffice.urls")),
    path("api/", include("remit.api.urls")),
    path("admin/", admin.site.urls),
    path("webhooks/", include("remit.webhooks.urls")),
    # Prometheus, with REMIT_METRICS_TOKEN as a bearer token (404 otherwise).
    path("metrics", metrics_view([PendingPayments(), WorkerRuns()]), name="metrics"),
]

if sandbox_tokenizer_mounted():
    # The sandbox gateway's own hosted tokenising endpoint (a real gateway hosts its own),
    # for a demo or a development machine only (REMIT_DEBUG or REMIT_SANDBOX=1).
    urlpatterns.append(path(SANDBOX_TOKENIZE_URL.lstrip("/"), sandbox_views.tokenize))
