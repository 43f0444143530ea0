"""The eight learning areas and the common foreign languages (DOMAIN.md §2)."""

from django.db import migrations

AREAS = [
    ("ท", "ภาษาไทย"),
    ("ค", "คณิตศาสตร์"),
    ("ว", "วิทยาศาสตร์และเทคโนโลยี"),
    ("ส", "สังคมศึกษา ศาสนาและวัฒนธรรม"),
    ("พ", "สุขศึกษาและพลศึกษา"),
    ("ศ", "ศิลปะ"),
    ("ง", "การงานอาชีพ"),
    ("อ", "ภาษาต่างประเทศ (ภาษาอังกฤษ)"),
    ("จ", "ภาษาต่างประเทศ (ภาษาจีน)"),
    ("ญ", "ภาษาต่างประเทศ (ภาษาญี่ปุ่น)"),
    # Independent-study codes (I20201 ...) are a convention [P]: a school may rename or drop it.
    ("I", "การศึกษาค้นคว้าด้วยตนเอง (IS)"),
]


def load(apps, schema_editor):
    LearningArea = apps.get_model("academics", "LearningArea")
    for order, (letter, name) in enumerate(AREAS, start=1):
        LearningArea.objects.update_or_create(letter=letter, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("academics", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
