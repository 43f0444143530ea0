"""National grade levels (อ.1–3, ป.1–6, ม.1–6): reference data every school shares."""

from django.db import migrations

LEVELS = [
    ("K1", "อ.1", "อนุบาลปีที่ 1", "kindergarten", 1),
    ("K2", "อ.2", "อนุบาลปีที่ 2", "kindergarten", 2),
    ("K3", "อ.3", "อนุบาลปีที่ 3", "kindergarten", 3),
    *[(f"P{n}", f"ป.{n}", f"ประถมศึกษาปีที่ {n}", "primary", n) for n in range(1, 7)],
    *[(f"M{n}", f"ม.{n}", f"มัธยมศึกษาปีที่ {n}", "lower_secondary", n) for n in range(1, 4)],
    *[(f"M{n}", f"ม.{n}", f"มัธยมศึกษาปีที่ {n}", "upper_secondary", n - 3) for n in range(4, 7)],
]


def load(apps, schema_editor):
    GradeLevel = apps.get_model("students", "GradeLevel")
    for order, (code, short_name, name, stage, year_in_stage) in enumerate(LEVELS, start=1):
        GradeLevel.objects.update_or_create(
            code=code,
            defaults={
                "short_name": short_name,
                "name": name,
                "stage": stage,
                "order": order,
                "year_in_stage": year_in_stage,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("students", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
