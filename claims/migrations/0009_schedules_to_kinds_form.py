"""Stored schedules to the current form (claims/benefits/upgrade.py): "cumulative" thresholds are
named per_period, and a schedule-wide waiting period moves onto its period, the one place it is
read from now. The payouts stay the same (tests/test_claims_kinds.py replays the examples)."""

from django.db import migrations

from claims.benefits.upgrade import upgrade


def forwards(apps, schema_editor):
    BenefitSchedule = apps.get_model("claims", "BenefitSchedule")
    Period = apps.get_model("enrollment", "Period")
    for schedule in BenefitSchedule.objects.all().iterator():
        rules, waiting = upgrade(schedule.rules)
        if rules != schedule.rules:
            BenefitSchedule.objects.filter(pk=schedule.pk).update(rules=rules)
        if waiting is not None:
            Period.objects.filter(pk=schedule.period_id).exclude(waiting_days=waiting).update(waiting_days=waiting)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0008_claim_kinds_and_other_payers"),
        ("enrollment", "0006_member_numbers_required"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
