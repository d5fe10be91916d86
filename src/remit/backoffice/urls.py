"""The back office, under /staff/. Pages and windows answer GET; every change is a POST."""

from django.urls import path

from remit.backoffice.views import (
    auth,
    bank,
    cards,
    corrections,
    credit,
    customers,
    emails,
    invoices,
    payment_detail,
    payments,
    reports,
    statement,
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
    path(C + "credit/payout", corrections.payout, name="credit_payout"),
    # payments
    path(C + "payments/<str:payment>/", payment_detail.show, name="payment"),
    path(C + "payments/<str:payment>/void", payment_detail.void, name="payment_void"),
    path(C + "payments/<str:payment>/refund", payment_detail.refund, name="payment_refund"),
    path(C + "payments/<str:payment>/move", corrections.move, name="payment_move"),
    path(C + "payments/<str:payment>/refund-part", corrections.refund, name="payment_refund_part"),
    path(C + "payments/<str:payment>/receipt/", payment_detail.receipt, name="receipt"),
    path(
        C + "payments/<str:payment>/receipt.pdf",
        payment_detail.receipt_download,
        name="receipt_pdf",
    ),
    # emails (remit.notifications)
    path(C + "emails/", emails.index, name="emails"),
    path(C + "emails/contact", emails.contact, name="email_contact"),
    path(C + "emails/<str:email_id>/", emails.show, name="email"),
    path(C + "emails/<str:email_id>/email.eml", emails.download, name="email_download"),
    path(C + "statement/", statement.show, name="statement"),
    path(C + "statement/statement.pdf", statement.pdf, name="statement_pdf"),
    path(C + "statement/email", statement.email, name="statement_email"),
    # invoices
    path("invoices/", invoices.index, name="invoices"),
    path("invoices/new/", invoices.new, name="invoice_new"),
    path("invoices/create", invoices.create, name="invoice_create"),
    path("invoices/import/", invoices.import_form, name="invoice_import"),
    path("invoices/import/run", invoices.import_run, name="invoice_import_run"),
    path(C + "invoices/<str:invoice>/", invoices.show, name="invoice"),
    path(C + "invoices/<str:invoice>/void", invoices.void, name="invoice_void"),
    # cash application
    path("bank/", bank.index, name="bank"),
    path("bank/upload", bank.upload, name="bank_upload"),
    path("bank/review/", bank.review, name="bank_review"),
    path("bank/review/<int:line_id>/", bank.review, name="bank_review_line"),
    path("bank/lines/<int:line_id>/customers", bank.customers, name="bank_customers"),
    path("bank/lines/<int:line_id>/preview", bank.preview, name="bank_preview"),
    path("bank/lines/<int:line_id>/accept", bank.accept, name="bank_accept"),
    path("bank/lines/<int:line_id>/ignore", bank.ignore, name="bank_ignore"),
    path("bank/deposits/", bank.deposits, name="bank_deposits"),
    path("bank/deposits/save", bank.deposit_save, name="bank_deposit_save"),
    path("bank/deposits/<str:number>.pdf", bank.deposit_pdf, name="bank_deposit_pdf"),
    path(C + "invoices/<str:invoice>/cancel", corrections.cancel, name="invoice_cancel"),
    path(C + "invoices/<str:invoice>/write-off", corrections.write_off, name="invoice_write_off"),
    path(
        C + "invoices/<str:invoice>/credit-note",
        corrections.credit_note,
        name="invoice_credit_note",
    ),
    # reports
    path("reports/aging/", reports.aging, name="report_aging"),
    path("reports/aging.csv", reports.aging_csv, name="report_aging_csv"),
    path("reports/aging/<str:number>/", reports.aging_customer, name="report_aging_customer"),
    path("reports/cash/", reports.cash, name="report_cash"),
]
