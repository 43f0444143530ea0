"""Enable the health, economic and family rules on existing installs, now that their figures
exist (earlywarning.indicators: nutrition, poverty, home_visit, sdq).

Only the install's own default rows that are still disabled are changed; a school's or an
area's copy of a rule is theirs and stays as they left it. Like an edit through
earlywarning.services.rules.risk_rule_update, each change bumps the rule's version, so the rule's
history (pghistory) shows the new version."""

from django.db import migrations

CARE_RULES = ("thin", "short", "obese", "poverty_eligible", "home_visit_risk", "sdq_risk", "sdq_problem")


def enable(apps, schema_editor):
    RiskRule = apps.get_model("earlywarning", "RiskRule")
    for rule in RiskRule.objects.filter(school__isnull=True, area__isnull=True, key__in=CARE_RULES, enabled=False):
        rule.enabled = True
        rule.version += 1
        rule.save(update_fields=["enabled", "version", "updated_at"])


def disable(apps, schema_editor):
    RiskRule = apps.get_model("earlywarning", "RiskRule")
    for rule in RiskRule.objects.filter(school__isnull=True, area__isnull=True, key__in=CARE_RULES, enabled=True):
        rule.enabled = False
        rule.version += 1
        rule.save(update_fields=["enabled", "version", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0004_merge_0003_alerts_and_delivery_0003_interventions")]

    operations = [migrations.RunPython(enable, disable)]
