from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import include, path

from remit.gateways import sandbox_views


def home(request):
    # Until the portal and back office exist, staff work in the admin.
    return HttpResponseRedirect("/admin/")


urlpatterns = [
    path("", home),
    path("admin/", admin.site.urls),
    path("webhooks/", include("remit.gateways.webhook_urls")),
]

if settings.REMIT_GATEWAY == "sandbox":
    # The sandbox gateway's own hosted tokenising endpoint (a real gateway hosts its own).
    urlpatterns.append(path("sandbox-gateway/v1/tokens", sandbox_views.tokenize))
