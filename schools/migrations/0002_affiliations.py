"""Affiliations (สังกัด) with their Ministry codes (DOMAIN.md §5)."""

from django.db import migrations

AFFILIATIONS = [
    ("10", "สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน", "สพฐ."),
    ("11", "สำนักงานคณะกรรมการส่งเสริมการศึกษาเอกชน", "สช."),
    ("12", "สำนักงานส่งเสริมการศึกษานอกระบบและการศึกษาตามอัธยาศัย", "กศน."),
    ("30", "กรมส่งเสริมการปกครองท้องถิ่น", "อปท."),
    ("31", "กรุงเทพมหานคร", "กทม."),
    # The code of ตชด. is not confirmed (DOMAIN.md §5 [U]); an admin can correct it.
    ("40", "กองบัญชาการตำรวจตระเวนชายแดน", "ตชด."),
]


def load(apps, schema_editor):
    Affiliation = apps.get_model("schools", "Affiliation")
    for code, name, short_name in AFFILIATIONS:
        Affiliation.objects.update_or_create(code=code, defaults={"name": name, "short_name": short_name})


class Migration(migrations.Migration):
    dependencies = [("schools", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
