from django.urls import path

from finance.views import (
    bank,
    books,
    budgets,
    fund_statements,
    payments,
    premiums,
    receipts,
    recoveries,
    remittances,
    settings,
    solvency,
    statements,
)

app_name = "finance"

urlpatterns = [
    path("", books.BooksView.as_view(), name="books"),
    path("entries/<int:entry_pk>/", books.EntryView.as_view(), name="entry"),
    path("premiums/", premiums.PremiumsView.as_view(), name="premiums"),
    path("remittances/", remittances.RemittanceListView.as_view(), name="remittance_list"),
    path("remittances/<int:remittance_pk>/", remittances.RemittanceDetailView.as_view(), name="remittance_detail"),
    path("payments/", payments.PaymentListView.as_view(), name="payment_list"),
    path("payments/<int:payment_pk>/", payments.PaymentDetailView.as_view(), name="payment_detail"),
    path("payments/<int:payment_pk>/transfer.xlsx", payments.PaymentTransferView.as_view(), name="payment_transfer"),
    path(
        "payments/<int:payment_pk>/approval-form.pdf",
        payments.PaymentApprovalFormView.as_view(),
        name="payment_approval_form",
    ),
    path("batches/<int:batch_pk>/payment/", payments.BatchPaymentView.as_view(), name="batch_payment"),
    path("settings/", settings.SettingsView.as_view(), name="settings"),
    path("bank/", bank.BankListView.as_view(), name="bank_list"),
    path("bank/<int:statement_pk>/", bank.BankDetailView.as_view(), name="bank_detail"),
    path("statement/", statements.StatementView.as_view(), name="statement"),
    path("statement.xlsx", statements.StatementXlsxView.as_view(), name="statement_xlsx"),
    path("statement.pdf", statements.StatementPdfView.as_view(), name="statement_pdf"),
    path("budget/", budgets.BudgetView.as_view(), name="budget"),
    path("receipts/", receipts.ReceiptListView.as_view(), name="receipt_list"),
    path("receipts/<int:receipt_pk>/", receipts.ReceiptDetailView.as_view(), name="receipt_detail"),
    path("receipts/<int:receipt_pk>/receipt.pdf", receipts.ReceiptPdfView.as_view(), name="receipt_pdf"),
    path("solvency/", solvency.SolvencyView.as_view(), name="solvency"),
    path("publication/", fund_statements.FundStatementListView.as_view(), name="fund_statement_list"),
    path(
        "publication/<int:fund_statement_pk>/",
        fund_statements.FundStatementDetailView.as_view(),
        name="fund_statement_detail",
    ),
    path(
        "publication/<int:fund_statement_pk>/statement.pdf",
        fund_statements.FundStatementPdfView.as_view(),
        name="fund_statement_pdf",
    ),
    path("recoveries/", recoveries.RecoveryListView.as_view(), name="recovery_list"),
    path("recoveries/<int:recovery_pk>/", recoveries.RecoveryDetailView.as_view(), name="recovery_detail"),
]
