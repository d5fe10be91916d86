"""Gateway webhooks, included by the project's urls.py under /webhooks/."""

from django.urls import path

from remit.webhooks.stripe_views import stripe_webhook

app_name = "webhooks"
urlpatterns = [
    path("stripe/", stripe_webhook, name="stripe"),
]
