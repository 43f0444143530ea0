"""The chronic-absence share is now over every school day so far (figure `school_days`), not
over the days with a mark (`recorded_days`): the install's default rule says so in its reason.

Only the install's own default row that still has the old wording changes; a school's or an
area's copy is theirs (the figure `recorded_days` is still there for them). Like an edit through
earlywarning.services.rules.risk_rule_update, the change bumps the rule's version."""

from django.db import migrations

OLD = "ขาดเรียน {missed_days} จาก {recorded_days} วัน ({missed_percent}%)"
NEW = "ขาดเรียน {missed_days} จาก {school_days} วันเรียน ({missed_percent}%)"


def _swap(apps, before, after):
    RiskRule = apps.get_model("earlywarning", "RiskRule")
    for rule in RiskRule.objects.filter(school__isnull=True, area__isnull=True, key="chronic_absence", template=before):
        rule.template = after
        rule.version += 1
        rule.save(update_fields=["template", "version", "updated_at"])


def forward(apps, schema_editor):
    _swap(apps, OLD, NEW)


def backward(apps, schema_editor):
    _swap(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0005_enable_care_rules")]

    operations = [migrations.RunPython(forward, backward)]
