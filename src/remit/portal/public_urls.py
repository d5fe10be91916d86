"""The portal's pages that need no login: an email's pay link and unsubscribe link.
Their own namespace, apart from /portal/ (whose every view checks the login)."""

from django.urls import path

from remit.portal.views import paylink

app_name = "paylink"
urlpatterns = [
    path("pay/<str:token>/", paylink.pay_page, name="pay"),
    path("pay/<str:token>/method/", paylink.pay_method, name="method"),
    path("pay/<str:token>/submit/", paylink.pay_submit, name="submit"),
    path("pay/<str:token>/receipt/", paylink.pay_receipt, name="receipt"),
    path("email/unsubscribe/<str:token>/", paylink.unsubscribe, name="unsubscribe"),
]
