"""Writes to the full student record (DMC profile): personal details, address, disadvantage
types, photo, guardians' occupations. The basic identity fields go through
`students.services.records.student_update`; `student_record_update` does both in one transaction."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from qinfo import thaidate
from qinfo.audit import audited
from qinfo.text import control_character_message, has_control_characters
from schools.models import User
from students.models import Guardian, Student
from students.services import records as services

PROFILE_TEXT_FIELDS = {
    "nationality": 50,
    "ethnicity": 50,
    "house_no": 30,
    "moo": 10,
    "street": 100,
    "subdistrict": 100,
    "district": 100,
    "province": 100,
    "phone": 30,
    "previous_school": 200,
    "previous_school_province": 100,
    "previous_grade": 10,
}
PROFILE_CHOICE_FIELDS = {"religion": Student.Religion, "blood_group": Student.BloodGroup}
PROFILE_FIELDS = (*PROFILE_TEXT_FIELDS, *PROFILE_CHOICE_FIELDS, "postcode", "entry_date", "disadvantages")

MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}
PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png"}
_POSTCODE = re.compile(r"^\d{5}$")


def check_photo(upload) -> str:
    """Refuse anything but a real JPG or PNG of at most 2 MB; return the extension to store."""
    name = getattr(upload, "name", "") or ""
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if upload.size > MAX_PHOTO_BYTES:
        size = upload.size / (1024 * 1024)
        raise ValidationError({"photo": f"ไฟล์รูปถ่ายมีขนาด {size:.1f} MB เกินกำหนด (ไม่เกิน 2 MB)"})
    if extension not in PHOTO_EXTENSIONS:
        raise ValidationError({"photo": "รูปถ่ายต้องเป็นไฟล์ JPG หรือ PNG เท่านั้น"})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError({"photo": "ไฟล์นี้ไม่ใช่รูปภาพ JPG หรือ PNG ที่เปิดได้ กรุณาเลือกไฟล์ใหม่"}) from None
    finally:
        upload.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ValidationError({"photo": "รูปถ่ายต้องเป็นไฟล์ JPG หรือ PNG เท่านั้น"})
    return PHOTO_FORMATS[kind]


def _clean_profile(student: Student, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, max_length in PROFILE_TEXT_FIELDS.items():
        if name in data:
            value = (data[name] or "").strip()
            label = Student._meta.get_field(name).verbose_name
            if has_control_characters(value):
                errors[name] = control_character_message(label)
            elif len(value) > max_length:
                errors[name] = f"{label}ยาวเกิน {max_length} ตัวอักษร"
            cleaned[name] = value
    for name, choices in PROFILE_CHOICE_FIELDS.items():
        if name in data:
            value = data[name] or ""
            if value and value not in choices.values:
                errors[name] = f"{Student._meta.get_field(name).verbose_name}ไม่ถูกต้อง"
            cleaned[name] = value
    if "postcode" in data:
        postcode = thaidate.thai_digits_to_arabic((data["postcode"] or "").strip())
        if postcode and not _POSTCODE.match(postcode):
            errors["postcode"] = "รหัสไปรษณีย์ต้องเป็นตัวเลข 5 หลัก"
        cleaned["postcode"] = postcode
    if "entry_date" in data:
        entry: date | None = data["entry_date"]
        if entry is not None and entry > timezone.localdate():
            errors["entry_date"] = "วันเข้าเรียนอยู่ในอนาคต กรุณาตรวจสอบปี พ.ศ."
        elif entry is not None and student.birth_date and entry < student.birth_date:
            errors["entry_date"] = "วันเข้าเรียนต้องไม่ก่อนวันเกิด กรุณาตรวจสอบปี พ.ศ."
        cleaned["entry_date"] = entry
    if "disadvantages" in data:
        values = list(dict.fromkeys(data["disadvantages"] or []))
        unknown = [value for value in values if value not in Student.Disadvantage.values]
        if unknown:
            errors["disadvantages"] = f"ไม่รู้จักประเภทความด้อยโอกาส: {', '.join(unknown)}"
        # Keep the census order so a change of tick order is not recorded as a change.
        cleaned["disadvantages"] = [value for value in Student.Disadvantage.values if value in values]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def student_profile_update(
    *,
    student: Student,
    data: dict[str, Any],
    photo=None,
    remove_photo: bool = False,
    guardian_occupations: dict[str, str] | None = None,
    by: User,
    reason: str,
) -> Student:
    """Change the DMC profile of a student. `guardian_occupations` maps guardian codes (as
    strings) of this student to their occupation. Every change carries the reason."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "กรุณาระบุเหตุผลการแก้ไข"})
    student = Student.objects.select_for_update().get(pk=student.pk)
    cleaned = _clean_profile(student, data)
    extension = check_photo(photo) if photo else None
    occupations = {code: (value or "").strip() for code, value in (guardian_occupations or {}).items()}
    for code, value in occupations.items():
        if has_control_characters(value):
            raise ValidationError({f"occupation_{code}": control_character_message("อาชีพ")})
        if len(value) > 100:
            raise ValidationError({f"occupation_{code}": "อาชีพยาวเกิน 100 ตัวอักษร"})

    changed = [name for name, value in cleaned.items() if getattr(student, name) != value]
    for name in changed:
        setattr(student, name, cleaned[name])
    old_photo = student.photo.name if student.photo else ""
    if extension:
        # A random name: the file is never guessable, and it is served only through the
        # access-checked photo view.
        student.photo.save(f"{uuid.uuid4().hex}{extension}", photo, save=False)
        changed.append("photo")
    elif remove_photo and old_photo:
        student.photo = ""
        changed.append("photo")

    with audited(by, reason.strip()):
        if changed:
            student.save(update_fields=[*changed, "updated_at"])
        if occupations:
            for guardian in Guardian.objects.select_for_update().filter(student=student, code__in=list(occupations)):
                value = occupations[str(guardian.code)]
                if guardian.occupation != value:
                    guardian.occupation = value
                    guardian.save(update_fields=["occupation"])
    if "photo" in changed and old_photo:
        storage = student.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))
    return student


@transaction.atomic
def student_record_update(
    *,
    student: Student,
    basic: dict[str, Any],
    profile: dict[str, Any],
    photo=None,
    remove_photo: bool = False,
    guardian_occupations: dict[str, str] | None = None,
    by: User,
    reason: str,
) -> Student:
    """The edit page saves identity and profile together: both or neither."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "กรุณาระบุเหตุผลการแก้ไข"})
    services.student_update(student=student, data=basic, by=by, reason=reason)
    return student_profile_update(
        student=student,
        data=profile,
        photo=photo,
        remove_photo=remove_photo,
        guardian_occupations=guardian_occupations,
        by=by,
        reason=reason,
    )
