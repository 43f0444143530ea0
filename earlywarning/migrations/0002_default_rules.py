"""The install's default risk rules (earlywarning.defaults): a school edits its own copies."""

from django.db import migrations


def load(apps, schema_editor):
    from earlywarning.defaults import DEFAULT_RULES

    RiskRule = apps.get_model("earlywarning", "RiskRule")
    for rule in DEFAULT_RULES:
        RiskRule.objects.get_or_create(
            school=None,
            area=None,
            key=rule.key,
            defaults={
                "indicator": rule.indicator,
                "comparison": rule.comparison,
                "threshold": rule.threshold,
                "severity": rule.severity,
                "dimension": rule.dimension,
                "template": rule.template,
                "enabled": rule.enabled,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0001_risk_rules_and_status")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
