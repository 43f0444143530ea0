"""Every write to students, enrolments, classrooms and guardians."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinfo import thaidate
from qinfo.audit import audited
from schools.models import AcademicYear, School, User
from students import identity
from students.models import Classroom, Enrolment, GradeLevel, Guardian, Student

STUDENT_EDITABLE_FIELDS = (
    "student_number",
    "prefix",
    "first_name",
    "last_name",
    "first_name_en",
    "last_name_en",
    "sex",
    "birth_date",
)


def parse_identifier(raw: str | None, *, field: str = "identifier") -> tuple[str | None, str | None]:
    """Split what the user typed into (national_id, g_code); both None when left empty."""
    if raw is None or not str(raw).strip():
        return None, None
    try:
        kind, value = identity.classify(str(raw))
    except identity.IdentifierError as error:
        raise ValidationError({field: str(error)}) from None
    return (value, None) if kind == identity.NATIONAL else (None, value)


def _check_birth_date(birth_date: date | None) -> None:
    if birth_date is None:
        return
    today = timezone.localdate()
    if birth_date > today:
        raise ValidationError({"birth_date": "วันเกิดอยู่ในอนาคต กรุณาตรวจสอบปี พ.ศ."})
    if thaidate.age_on(birth_date, today) > 30:
        raise ValidationError(
            {"birth_date": f"วันเกิด {thaidate.format_long(birth_date)} ทำให้อายุเกิน 30 ปี กรุณาตรวจสอบปี พ.ศ."}
        )


def _check_unique(
    *, school: School, student_number: str, national_id: str | None, g_code: str | None, exclude_pk: int | None
) -> None:
    others = Student.objects.exclude(pk=exclude_pk) if exclude_pk else Student.objects.all()
    errors: dict[str, str] = {}
    if others.filter(school=school, student_number=student_number).exists():
        errors["student_number"] = f"เลขประจำตัวนักเรียน {student_number} มีอยู่แล้วในโรงเรียนนี้"
    if national_id:
        holder = others.filter(national_id=national_id).values_list("school_id", flat=True).first()
        if holder is not None:
            where = "ในโรงเรียนนี้" if holder == school.pk else "ในโรงเรียนอื่นของระบบ (ต้องทำเรื่องรับย้าย)"
            errors["identifier"] = f"เลขประจำตัวประชาชน {identity.format_national_id(national_id)} มีอยู่แล้ว{where}"
    if g_code and others.filter(g_code=g_code).exists():
        errors["identifier"] = f"รหัส G {g_code} มีอยู่แล้วในระบบ"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def student_create(
    *,
    school: School,
    student_number: str,
    prefix: str,
    first_name: str,
    last_name: str,
    sex: str,
    identifier: str | None = None,
    birth_date: date | None = None,
    first_name_en: str = "",
    last_name_en: str = "",
    by: User | None,
    reason: str = "",
) -> Student:
    national_id, g_code = parse_identifier(identifier)
    student_number = (student_number or "").strip()
    _check_birth_date(birth_date)
    _check_unique(school=school, student_number=student_number, national_id=national_id, g_code=g_code, exclude_pk=None)
    student = Student(
        school=school,
        student_number=student_number,
        national_id=national_id,
        g_code=g_code,
        prefix=prefix,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        first_name_en=first_name_en.strip(),
        last_name_en=last_name_en.strip(),
        sex=sex,
        birth_date=birth_date,
    )
    student.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by, reason):
        try:
            with transaction.atomic():
                student.save()
        except IntegrityError:
            # Lost a race with another save of the same student: report it like the check above.
            _check_unique(
                school=school, student_number=student_number, national_id=national_id, g_code=g_code, exclude_pk=None
            )
            raise
    return student


@transaction.atomic
def student_update(*, student: Student, data: dict[str, Any], by: User, reason: str = "") -> Student:
    student = Student.objects.select_for_update().get(pk=student.pk)
    changed: list[str] = []
    if "identifier" in data:
        national_id, g_code = parse_identifier(data["identifier"])
        for field, value in (("national_id", national_id), ("g_code", g_code)):
            if getattr(student, field) != value:
                setattr(student, field, value)
                changed.append(field)
    for field in STUDENT_EDITABLE_FIELDS:
        if field in data:
            value = data[field].strip() if isinstance(data[field], str) else data[field]
            if getattr(student, field) != value:
                setattr(student, field, value)
                changed.append(field)
    if not changed:
        return student
    _check_birth_date(student.birth_date)
    _check_unique(
        school=student.school,
        student_number=student.student_number,
        national_id=student.national_id,
        g_code=student.g_code,
        exclude_pk=student.pk,
    )
    student.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by, reason):
        student.save(update_fields=[*changed, "updated_at"])
    return student


@transaction.atomic
def classroom_create(
    *,
    school: School,
    academic_year: AcademicYear,
    grade_level: GradeLevel,
    room: int,
    capacity: int = 40,
    homeroom_teachers: list[User] | None = None,
    by: User | None,
) -> Classroom:
    if academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนนี้"})
    if Classroom.objects.filter(
        school=school, academic_year=academic_year, grade_level=grade_level, room=room
    ).exists():
        raise ValidationError({"room": f"ห้อง {grade_level.short_name}/{room} มีอยู่แล้วในปีการศึกษา {academic_year.year}"})
    classroom = Classroom(
        school=school, academic_year=academic_year, grade_level=grade_level, room=room, capacity=capacity
    )
    classroom.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by):
        classroom.save()
        if homeroom_teachers:
            classroom.homeroom_teachers.set(homeroom_teachers)
    return classroom


@transaction.atomic
def enrolment_create(
    *,
    student: Student,
    academic_year: AcademicYear,
    grade_level: GradeLevel,
    classroom: Classroom | None = None,
    number: int | None = None,
    by: User | None,
    reason: str = "",
) -> Enrolment:
    school_id = student.school_id
    if academic_year.school_id != school_id:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนของนักเรียน"})
    if classroom is not None:
        if classroom.school_id != school_id or classroom.academic_year_id != academic_year.pk:
            raise ValidationError({"classroom": "ห้องเรียนไม่อยู่ในโรงเรียนหรือปีการศึกษาเดียวกัน"})
        if classroom.grade_level_id != grade_level.pk:
            raise ValidationError({"classroom": f"ห้อง {classroom.name} ไม่ใช่ชั้น {grade_level.short_name}"})
    if Enrolment.objects.filter(school_id=school_id, student=student, academic_year=academic_year).exists():
        raise ValidationError({"academic_year": f"{student.full_name} มีข้อมูลชั้นเรียนในปีการศึกษา {academic_year.year} แล้ว"})
    if (
        classroom is not None
        and number is not None
        and Enrolment.objects.filter(classroom=classroom, number=number).exists()
    ):
        raise ValidationError({"number": f"เลขที่ {number} ในห้อง {classroom.name} มีนักเรียนแล้ว"})
    enrolment = Enrolment(
        school_id=school_id,
        student=student,
        academic_year=academic_year,
        grade_level=grade_level,
        classroom=classroom,
        number=number,
    )
    with audited(by, reason):
        enrolment.save()
    return enrolment


@transaction.atomic
def student_register(
    *,
    school: School,
    academic_year: AcademicYear | None,
    grade_level: GradeLevel | None,
    classroom: Classroom | None = None,
    number: int | None = None,
    by: User | None,
    **student_fields: Any,
) -> Student:
    """Create a student and, when a grade level is given, enrol them — both or neither."""
    student = student_create(school=school, by=by, **student_fields)
    if grade_level is not None and academic_year is not None:
        enrolment_create(
            student=student,
            academic_year=academic_year,
            grade_level=grade_level,
            classroom=classroom,
            number=number,
            by=by,
        )
    return student


# --- Guardians and parent accounts -------------------------------------------------------

# Codes avoid look-alike characters (0/O, 1/I/L) because parents type them from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _hash_code(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalized.encode()).hexdigest()


def format_activation_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def guardian_create(
    *,
    student: Student,
    first_name: str,
    last_name: str,
    relationship: str,
    prefix: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by: User | None,
) -> Guardian:
    guardian = Guardian(
        school_id=student.school_id,
        student=student,
        prefix=prefix,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        relationship=relationship,
        phone=phone,
        email=email,
        is_primary=is_primary,
    )
    guardian.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by):
        guardian.save()
    return guardian


@transaction.atomic
def guardian_issue_code(*, guardian: Guardian, by: User | None) -> str:
    """Issue a fresh one-time code for a guardian (the previous one stops working).

    Returns the code in clear text, once; only its hash is kept.
    """
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    guardian.activation_code_hash = _hash_code(code)
    guardian.activation_code_expires_at = timezone.now() + timedelta(days=settings.GUARDIAN_CODE_VALID_DAYS)
    with audited(by, "ออกรหัสเปิดใช้งานผู้ปกครอง"):
        guardian.save(update_fields=["activation_code_hash", "activation_code_expires_at"])
    return format_activation_code(code)


def guardian_for_code(code: str) -> Guardian | None:
    """The guardian a still-valid, unused code belongs to, or None."""
    if not code or not code.strip():
        return None
    return (
        Guardian.objects.select_related("student", "school")
        .filter(
            activation_code_hash=_hash_code(code),
            activation_code_expires_at__gt=timezone.now(),
            activated_at__isnull=True,
        )
        .first()
    )


@transaction.atomic
def guardian_activate(*, code: str, user: User, student_birth_date: date | None) -> Guardian:
    """Link a parent's account to the student the one-time code was issued for.

    The child's birth date is asked as a second factor, so a code found on a lost slip of
    paper is not enough on its own.
    """
    guardian = guardian_for_code(code)
    if guardian is None:
        raise ValidationError({"code": "รหัสเปิดใช้งานไม่ถูกต้อง หมดอายุ หรือถูกใช้ไปแล้ว กรุณาติดต่อโรงเรียน"})
    guardian = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if guardian.student.birth_date and guardian.student.birth_date != student_birth_date:
        raise ValidationError({"student_birth_date": "วันเกิดของนักเรียนไม่ตรงกับข้อมูลของโรงเรียน"})
    if Guardian.objects.filter(student=guardian.student, user=user).exists():
        raise ValidationError({"code": "บัญชีนี้เชื่อมกับนักเรียนคนนี้อยู่แล้ว"})
    guardian.user = user
    guardian.activated_at = timezone.now()
    guardian.activation_code_hash = ""
    guardian.activation_code_expires_at = None
    with audited(user, "ผู้ปกครองเปิดใช้งานบัญชี"):
        guardian.save(update_fields=["user", "activated_at", "activation_code_hash", "activation_code_expires_at"])
    return guardian


def guardian_expire_codes(*, now=None) -> int:
    """Forget codes that are past their date (nightly)."""
    now = now or timezone.now()
    return Guardian.objects.filter(activation_code_expires_at__lt=now, activated_at__isnull=True).update(
        activation_code_hash="", activation_code_expires_at=None
    )
