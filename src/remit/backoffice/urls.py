"""The back office, under /staff/. Pages and windows answer GET; every change is a POST."""

from django.urls import path

from remit.backoffice.views import (
    auth,
    cards,
    credit,
    customers,
    invoices,
    payment_detail,
    payments,
    reports,
)

app_name = "backoffice"

C = "customers/<str:number>/"

urlpatterns = [
    path("login/", auth.StaffLoginView.as_view(), name="login"),
    path("logout/", auth.StaffLogoutView.as_view(), name="logout"),
    # customers
    path("", customers.home, name="home"),
    path("customers/new/", customers.new, name="customer_new"),
    path("customers/create", customers.create, name="customer_create"),
    path(C, customers.record, name="customer"),
    # posting payments
    path(C + "payment/", payments.batch, name="payment_batch"),
    path(C + "payment/save", payments.batch_save, name="payment_batch_save"),
    path(C + "payment/preview", payments.preview, name="payment_preview"),
    path(C + "invoices/<str:invoice>/payment/", payments.single, name="payment_single"),
    path(
        C + "invoices/<str:invoice>/payment/save", payments.single_save, name="payment_single_save"
    ),
    path(C + "cards/add", cards.add, name="card_add"),
    path(C + "credit/apply/", credit.apply, name="credit_apply"),
    path(C + "credit/apply/save", credit.apply_save, name="credit_apply_save"),
    # payments
    path(C + "payments/<str:payment>/", payment_detail.show, name="payment"),
    path(C + "payments/<str:payment>/void", payment_detail.void, name="payment_void"),
    path(C + "payments/<str:payment>/refund", payment_detail.refund, name="payment_refund"),
    path(C + "payments/<str:payment>/receipt/", payment_detail.receipt, name="receipt"),
    path(
        C + "payments/<str:payment>/receipt.pdf",
        payment_detail.receipt_download,
        name="receipt_pdf",
    ),
    # invoices
    path("invoices/", invoices.index, name="invoices"),
    path("invoices/new/", invoices.new, name="invoice_new"),
    path("invoices/create", invoices.create, name="invoice_create"),
    path("invoices/import/", invoices.import_form, name="invoice_import"),
    path("invoices/import/run", invoices.import_run, name="invoice_import_run"),
    path(C + "invoices/<str:invoice>/", invoices.show, name="invoice"),
    path(C + "invoices/<str:invoice>/void", invoices.void, name="invoice_void"),
    # reports
    path("reports/aging/", reports.aging, name="report_aging"),
    path("reports/aging.csv", reports.aging_csv, name="report_aging_csv"),
    path("reports/aging/<str:number>/", reports.aging_customer, name="report_aging_customer"),
    path("reports/cash/", reports.cash, name="report_cash"),
]
