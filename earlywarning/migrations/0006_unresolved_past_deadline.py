"""The `unresolved` figure now counts only the ร/มส results still standing after their deadline
(the end of the next semester, plus the school's grace days: earlywarning.figures), and the
reason names the courses. The install's default row, and the copies of it whose wording is still
the shipped one (a school or an area edits the threshold, never the wording), get the new
wording; each change bumps the rule's version, so the history (pghistory) shows it."""

from django.db import migrations

OLD = "มีผลการเรียน ร/มส ค้างแก้ไข {unresolved} วิชา"
NEW = "ติด ร/มส เกินกำหนดแก้ {unresolved} รายวิชา ({unresolved_courses})"


def _reword(apps, before: str, after: str) -> None:
    RiskRule = apps.get_model("earlywarning", "RiskRule")
    for rule in RiskRule.objects.filter(key="unresolved", indicator="unresolved", template=before):
        rule.template = after
        rule.version += 1
        rule.save(update_fields=["template", "version", "updated_at"])


def forward(apps, schema_editor):
    _reword(apps, OLD, NEW)


def backward(apps, schema_editor):
    _reword(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("earlywarning", "0005_enable_care_rules")]

    operations = [migrations.RunPython(forward, backward)]
