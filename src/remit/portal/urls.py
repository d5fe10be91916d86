"""The customer portal, at /portal/. Every view is wrapped in `access.portal_view`."""

from django.urls import path

from remit.portal.views import (
    auth,
    history,
    invoices,
    methods,
    pay,
    receipts,
    schedules,
    statement,
)

app_name = "portal"
urlpatterns = [
    path("", invoices.open_invoices, name="invoices"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("switch/", auth.switch_customer, name="switch"),
    path("pay/", pay.pay, name="pay"),
    path("payments/", history.payments, name="payments"),
    path("payments/<str:number>/confirmation/", invoices.confirmation, name="confirmation"),
    path("receipts/<str:number>/", receipts.receipt, name="receipt"),
    path("receipts/<str:number>/pdf/", receipts.receipt_download, name="receipt_pdf"),
    path("methods/", methods.methods_page, name="methods"),
    path("methods/add/", methods.method_add, name="method_add"),
    path("methods/<int:method_id>/default/", methods.method_default, name="method_default"),
    path("methods/<int:method_id>/remove/", methods.method_remove, name="method_remove"),
    path("schedule/", schedules.schedule, name="schedule"),
    path("schedules/", schedules.schedule_list, name="schedules"),
    path("schedules/<str:number>/cancel/", schedules.schedule_cancel_view, name="schedule_cancel"),
    path("credit/", history.credit, name="credit"),
    path("statement/", statement.statement, name="statement"),
    path("statement/pdf/", statement.statement_pdf, name="statement_pdf"),
]
