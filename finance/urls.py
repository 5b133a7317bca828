from django.urls import path

from finance.views import (
    allocations,
    bank,
    books,
    budgets,
    deposits,
    income,
    payments,
    premiums,
    remittances,
    settings,
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
    path("allocations/", allocations.AllocationListView.as_view(), name="allocation_list"),
    path("allocations/<int:allocation_pk>/", allocations.AllocationDetailView.as_view(), name="allocation_detail"),
    path("deposits/", deposits.DepositListView.as_view(), name="deposit_list"),
    path("deposits/<int:deposit_pk>/", deposits.DepositDetailView.as_view(), name="deposit_detail"),
    path("income/", income.IncomeListView.as_view(), name="income_list"),
    path("settings/", settings.SettingsView.as_view(), name="settings"),
    path("bank/", bank.BankListView.as_view(), name="bank_list"),
    path("bank/<int:statement_pk>/", bank.BankDetailView.as_view(), name="bank_detail"),
    path("statement/", statements.StatementView.as_view(), name="statement"),
    path("statement.xlsx", statements.StatementXlsxView.as_view(), name="statement_xlsx"),
    path("statement.pdf", statements.StatementPdfView.as_view(), name="statement_pdf"),
    path("budget/", budgets.BudgetView.as_view(), name="budget"),
]
