"""Income records (a union's contribution, a subsidy, interest) and the union levels' money
movements (owed, taken back, received, paid back) are postings of the books, written once as the
journal entries they point at: the database refuses UPDATE and DELETE of them as it does of the
entries, receipts, allocation signatures and repayments (finance_refuse_change, 0001). A mistake is
corrected by a new movement or entry."""

from django.db import migrations

SQL = """
CREATE TRIGGER finance_income_immutable BEFORE UPDATE OR DELETE ON finance_incomerecord
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();
CREATE TRIGGER finance_subsidy_movement_immutable BEFORE UPDATE OR DELETE ON finance_subsidymovement
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();
"""

REVERSE = """
DROP TRIGGER finance_income_immutable ON finance_incomerecord;
DROP TRIGGER finance_subsidy_movement_immutable ON finance_subsidymovement;
"""


class Migration(migrations.Migration):
    dependencies = [("finance", "0020_remittance_and_level_refund_overdraft_decision")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
