"""Every write to a student's status: dated status changes (transfer in/out, leave, return,
dropout, death, graduation) and transfers between schools of the same install.

A student's current status is derived from the changes: the latest by date wins, so a change
entered late with an earlier date does not override a later one already recorded.

A transfer between two schools of the install keeps one student row: the row moves to the new
school, which records the transfer in (and, if the old school had not, the transfer out dated
the same day) and enrols the student in the same step. The old school keeps its enrolments and
status changes (they carry its school id) and reads them through students.access.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qinfo import hooks, thaidate
from qinfo.audit import audited
from qinfo.ratelimit import hit
from qinfo.text import control_character_message, has_control_characters
from schools.access.organisation import managed_school_ids
from schools.models import AcademicYear, School, User
from students import identity
from students.models import Classroom, Enrolment, GradeLevel, Guardian, StatusChange, Student, TransferRequest
from students.services import records as services

pdpa_log = logging.getLogger("qinfo.pdpa")

Kind = StatusChange.Kind
Status = Student.Status

# Kinds that name the other school; the form asks for it under this label.
OTHER_SCHOOL_LABEL = {Kind.TRANSFER_IN: "โรงเรียนต้นทาง", Kind.TRANSFER_OUT: "โรงเรียนปลายทาง"}
# Students in these statuses are still on the old school's roll when another school receives them.
ON_ROLL = (Status.STUDYING, Status.ON_LEAVE)


def latest_change(student: Student) -> StatusChange | None:
    return StatusChange.objects.filter(student=student).order_by("-date", "-created_at", "-id").first()


def derived_status(student: Student) -> str:
    """The status the student's changes imply; the stored one when there are none."""
    latest = latest_change(student)
    if latest is None:
        return student.status
    return StatusChange.RESULTING_STATUS[latest.kind]


def _apply_derived_status(student: Student) -> Student:
    status = derived_status(student)
    if student.status != status:
        student.status = status
        student.save(update_fields=["status", "updated_at"])
    return student


def _check_change(
    *, student: Student, kind: str, date_: date | None, reason_code: str, other_school: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = "กรุณาเลือกประเภทการเปลี่ยนสถานภาพ"
    if date_ is None:
        errors["date"] = "กรุณากรอกวันที่"
    else:
        today = timezone.localdate()
        if date_ > today and kind != Kind.GRADUATION:
            errors["date"] = f"วันที่ {thaidate.format_abbr(date_)} อยู่ในอนาคต กรุณาตรวจสอบปี พ.ศ."
        elif student.birth_date and date_ < student.birth_date:
            errors["date"] = "วันที่ต้องไม่ก่อนวันเกิดของนักเรียน กรุณาตรวจสอบปี พ.ศ."
    if kind == Kind.DROPOUT and not reason_code:
        errors["reason_code"] = "กรุณาเลือกสาเหตุการออกกลางคัน"
    elif reason_code and reason_code not in StatusChange.DropoutReason.values:
        errors["reason_code"] = "สาเหตุการออกกลางคันไม่ถูกต้อง"
    if kind in OTHER_SCHOOL_LABEL and not other_school:
        errors["other_school"] = f"กรุณาระบุ{OTHER_SCHOOL_LABEL[kind]}"
    if not errors and kind in Kind.values:
        latest = latest_change(student)
        if latest is not None and latest.kind == Kind.DEATH and kind != Kind.DEATH and date_ >= latest.date:
            errors["kind"] = f"นักเรียนเสียชีวิตแล้วเมื่อ {thaidate.format_abbr(latest.date)}"
    return errors


@transaction.atomic
def status_change_record(
    *,
    student: Student,
    kind: str,
    date: date | None,
    reason_code: str = "",
    reason: str = "",
    other_school: str = "",
    other_school_province: str = "",
    last_grade: str = "",
    by: User,
) -> StatusChange:
    """Record a status change at the student's school and derive the student's status."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    reason_code = (reason_code or "").strip() if kind == Kind.DROPOUT else ""
    other_school = (other_school or "").strip()
    errors = _check_change(student=student, kind=kind, date_=date, reason_code=reason_code, other_school=other_school)
    if (
        not errors
        and StatusChange.objects.filter(student=student, school_id=student.school_id, kind=kind, date=date).exists()
    ):
        # A double-submitted form must not record the same event twice.
        errors["date"] = f"บันทึก{Kind(kind).label}วันที่ {thaidate.format_abbr(date)} ไว้แล้ว"
    if errors:
        raise ValidationError(errors)
    change = StatusChange(
        school_id=student.school_id,
        student=student,
        kind=kind,
        date=date,
        reason_code=reason_code,
        reason=(reason or "").strip(),
        other_school=other_school,
        other_school_province=(other_school_province or "").strip(),
        last_grade=(last_grade or "").strip(),
        recorded_by=by,
    )
    change.full_clean(exclude=["school", "student", "recorded_by"], validate_constraints=False)
    with audited(by, f"{change.get_kind_display()} {thaidate.format_abbr(date)}"):
        change.save()
        _apply_derived_status(student)
    # A leave, a dropout, a transfer out…: the student's flags follow at once (earlywarning).
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])
    return change


# --- Transfers between schools of the install ----------------------------------------------


@dataclass(frozen=True)
class TransferCandidate:
    """What a lookup by ID may tell the receiving registrar about a child of another school:
    only enough to confirm it is the right child (a masked name) and which school holds the
    record. Birth date, status and grade stay with that school."""

    identifier: str
    student: Student | None
    where: str  # "other_school", "this_school" or "not_found"
    last_grade: str = ""

    @property
    def masked_name(self) -> str:
        return masked_name(self.student) if self.student is not None else ""

    @property
    def warning(self) -> str:
        if self.where != "other_school" or self.student is None:
            return ""
        return (
            f"กรุณาตรวจสอบกับ{self.student.school.name}ก่อนรับย้าย: เมื่อรับย้ายเข้า ระบบจะบันทึกการย้ายออกให้"
            "โรงเรียนเดิมโดยอัตโนมัติ หากโรงเรียนเดิมยังไม่ได้บันทึก"
        )


def masked_name(student: Student) -> str:
    """ด.ช. ธ**** แ****: the prefix and the first letter of each name."""

    def mask(word: str) -> str:
        return f"{word[:1]}****" if word else ""

    return f"{student.prefix}{mask(student.first_name)} {mask(student.last_name)}".strip()


def normalize_identifier(raw: str) -> tuple[str | None, str | None]:
    """(national_id, g_code) from what the registrar typed; a Thai error if it is malformed."""
    if not (raw or "").strip():
        raise ValidationError({"identifier": "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก หรือรหัส G"})
    return services.parse_identifier(raw)


def transfer_candidate(*, identifier: str, school: School) -> TransferCandidate:
    """Find a student of the install by exact ID for a school about to receive them.

    This is the one read across schools: it matches the full 13-digit ID or G-code only
    (never a prefix or a name), so it cannot be used to browse another school's students.
    """
    national_id, g_code = normalize_identifier(identifier)
    lookup = {"national_id": national_id} if national_id else {"g_code": g_code}
    student = Student.objects.select_related("school").filter(**lookup).first()
    value = national_id or g_code or ""
    if student is None:
        return TransferCandidate(identifier=value, student=None, where="not_found")
    if student.school_id == school.pk:
        return TransferCandidate(identifier=value, student=student, where="this_school")
    last = (
        Enrolment.objects.filter(student=student)
        .select_related("grade_level")
        .order_by("-academic_year__year", "-created_at")
        .first()
    )
    return TransferCandidate(
        identifier=value, student=student, where="other_school", last_grade=last.grade_level.short_name if last else ""
    )


# Looking a child up by ID is the one read across schools: a registrar may do it this many
# times an hour (pages and API together), and every lookup is logged.
TRANSFER_LOOKUP_LIMIT = 30
TRANSFER_LOOKUP_WINDOW = 60 * 60


def transfer_lookup_allowed(user) -> bool:
    return hit(f"transfer_lookup:{user.pk}", limit=TRANSFER_LOOKUP_LIMIT, window_seconds=TRANSFER_LOOKUP_WINDOW)


def transfer_lookup_refused_message() -> str:
    return f"ค้นหานักเรียนเพื่อรับย้ายได้ไม่เกิน {TRANSFER_LOOKUP_LIMIT} ครั้งต่อชั่วโมง กรุณาลองใหม่ภายหลัง"


def log_transfer_lookup(user, *, school: School, candidate: TransferCandidate, page: str) -> None:
    """Who looked which ID up for which school, and what they learnt (PDPA log)."""
    pdpa_log.info(
        "transfer_lookup page=%s user=%s user_id=%s school=%s identifier=%s result=%s student=%s holder_school_id=%s",
        page,
        getattr(user, "username", ""),
        getattr(user, "pk", None),
        school.code,
        identity.mask_national_id(candidate.identifier),
        candidate.where,
        candidate.student.code if candidate.student else "",
        candidate.student.school_id if candidate.student else "",
    )


def _check_placement(
    *, school: School, academic_year: AcademicYear, grade_level: GradeLevel | None, classroom: Classroom | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if academic_year.school_id != school.pk:
        errors["academic_year"] = "ปีการศึกษาไม่ใช่ของโรงเรียนนี้"
    if grade_level is None:
        errors["grade_level"] = "กรุณาเลือกชั้นที่รับเข้า"
    if classroom is not None:
        if classroom.school_id != school.pk or classroom.academic_year_id != academic_year.pk:
            errors["classroom"] = "ห้องเรียนไม่อยู่ในโรงเรียนหรือปีการศึกษาที่เลือก"
        elif grade_level is not None and classroom.grade_level_id != grade_level.pk:
            errors["classroom"] = f"ห้อง {classroom.name} ไม่ใช่ชั้น {grade_level.short_name}"
    return errors


def _enrol(
    *,
    student: Student,
    academic_year: AcademicYear,
    grade_level: GradeLevel,
    classroom: Classroom | None,
    number: int | None,
    by: User,
    reason: str,
) -> Enrolment:
    """Enrol at the student's (new) school; a student coming back within a year reuses that
    year's enrolment at this school instead of failing on the one-per-year rule."""
    existing = (
        Enrolment.objects.select_for_update()
        .filter(school_id=student.school_id, student=student, academic_year=academic_year)
        .order_by("pk")
        .first()
    )
    if existing is None:
        return services.enrolment_create(
            student=student,
            academic_year=academic_year,
            grade_level=grade_level,
            classroom=classroom,
            number=number,
            by=by,
            reason=reason,
        )
    if (
        classroom is not None
        and number is not None
        and Enrolment.objects.filter(classroom=classroom, number=number).exclude(pk=existing.pk).exists()
    ):
        raise ValidationError({"number": f"เลขที่ {number} ในห้อง {classroom.name} มีนักเรียนแล้ว"})
    existing.grade_level, existing.classroom, existing.number = grade_level, classroom, number
    with audited(by, reason):
        existing.save(update_fields=["grade_level", "classroom", "number"])
    return existing


@transaction.atomic
def transfer_receive(
    *,
    school: School,
    identifier: str,
    student_number: str,
    date: date | None,
    academic_year: AcademicYear,
    grade_level: GradeLevel | None,
    classroom: Classroom | None = None,
    number: int | None = None,
    last_grade: str = "",
    reason: str = "",
    by: User,
) -> Student:
    """Receive a student from another school of the install (รับย้ายเข้า), in one step:
    move the record, record the transfer (both ends), enrol at the new school."""
    national_id, g_code = normalize_identifier(identifier)
    lookup = {"national_id": national_id} if national_id else {"g_code": g_code}
    # Lock the student row: two schools receiving the same child, or a double-submitted form,
    # are serialised here, and the second sees where the first left the student.
    student = Student.objects.select_for_update().select_related("school").filter(**lookup).first()
    if student is None:
        raise ValidationError({"identifier": "ไม่พบนักเรียนเลขนี้ในระบบ ให้รับย้ายเข้าจากโรงเรียนนอกระบบแทน"})
    if student.school_id == school.pk:
        raise ValidationError({"identifier": f"{student.full_name} อยู่ในโรงเรียนนี้แล้ว (รับย้ายเข้าแล้ว)"})
    old_school = student.school
    student_number = (student_number or "").strip()
    errors = _check_placement(school=school, academic_year=academic_year, grade_level=grade_level, classroom=classroom)
    if not student_number:
        errors["student_number"] = "กรุณากรอกเลขประจำตัวนักเรียนของโรงเรียนนี้"
    elif Student.objects.filter(school=school, student_number=student_number).exists():
        errors["student_number"] = f"เลขประจำตัวนักเรียน {student_number} มีอยู่แล้วในโรงเรียนนี้"
    errors.update(
        _check_change(student=student, kind=Kind.TRANSFER_IN, date_=date, reason_code="", other_school=old_school.name)
    )
    latest = latest_change(student)
    if date is not None and latest is not None and date < latest.date:
        errors.setdefault(
            "date",
            f"วันที่รับย้ายต้องไม่ก่อน {thaidate.format_abbr(latest.date)} ซึ่งบันทึก{latest.get_kind_display()}ไว้แล้ว",
        )
    if errors:
        raise ValidationError(errors)

    previous = (
        Enrolment.objects.filter(student=student, school=old_school)
        .select_related("grade_level")
        .order_by("-academic_year__year", "-created_at")
        .first()
    )
    last_grade = (last_grade or "").strip() or (previous.grade_level.short_name if previous else "")
    why = (reason or "").strip()
    with audited(by, f"รับย้ายเข้าจาก{old_school.name} {thaidate.format_abbr(date)}"):
        if student.status in ON_ROLL and not (latest and latest.kind == Kind.TRANSFER_OUT):
            # The old school had not recorded the move: record it for them, the same day.
            StatusChange.objects.create(
                school=old_school,
                student=student,
                kind=Kind.TRANSFER_OUT,
                date=date,
                reason=f"บันทึกโดยอัตโนมัติเมื่อ{school.name}รับนักเรียนเข้าเรียนต่อ",
                other_school=school.name,
                other_school_province=school.province,
                last_grade=last_grade,
                recorded_by=by,
            )
        student.school = school
        student.student_number = student_number
        student.entry_date = date
        student.previous_school = old_school.name
        student.previous_school_province = old_school.province
        student.previous_grade = last_grade
        student.save(
            update_fields=[
                "school",
                "student_number",
                "entry_date",
                "previous_school",
                "previous_school_province",
                "previous_grade",
                "updated_at",
            ]
        )
        # Guardians are part of the current record: they follow the student to the new school.
        Guardian.objects.filter(student=student).update(school=school)
        StatusChange.objects.create(
            school=school,
            student=student,
            kind=Kind.TRANSFER_IN,
            date=date,
            reason=why,
            other_school=old_school.name,
            other_school_province=old_school.province,
            last_grade=last_grade,
            recorded_by=by,
        )
        _enrol(
            student=student,
            academic_year=academic_year,
            grade_level=grade_level,
            classroom=classroom,
            number=number,
            by=by,
            reason="รับย้ายเข้า",
        )
        _apply_derived_status(student)
    # The student moved school and any pending request is settled: the risk status follows.
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])
    return student


def _released_by_sending_school(student: Student) -> bool:
    """The sending school recorded the transfer out itself: its consent is on record."""
    latest = latest_change(student)
    return latest is not None and latest.kind == Kind.TRANSFER_OUT and latest.school_id == student.school_id


@transaction.atomic
def transfer_request(
    *,
    school: School,
    identifier: str,
    student_number: str,
    date: date | None,
    academic_year: AcademicYear,
    grade_level: GradeLevel | None,
    classroom: Classroom | None = None,
    number: int | None = None,
    last_grade: str = "",
    reason: str = "",
    by: User,
) -> TransferRequest:
    """Ask to receive a child of another school of the install (ขอรับย้ายเข้า).

    The record moves when the sending school releases the child. If that school already
    recorded the transfer out, its consent is on record and the move completes now."""
    national_id, g_code = normalize_identifier(identifier)
    lookup = {"national_id": national_id} if national_id else {"g_code": g_code}
    student = Student.objects.select_for_update().select_related("school").filter(**lookup).first()
    if student is None:
        raise ValidationError({"identifier": "ไม่พบนักเรียนเลขนี้ในระบบ ให้รับย้ายเข้าจากโรงเรียนนอกระบบแทน"})
    if student.school_id == school.pk:
        raise ValidationError({"identifier": f"{student.full_name} อยู่ในโรงเรียนนี้แล้ว (รับย้ายเข้าแล้ว)"})
    pending = TransferRequest.objects.filter(student=student, status=TransferRequest.Status.PENDING).first()
    if pending is not None:
        raise ValidationError({"identifier": f"มีคำขอรับย้ายนักเรียนคนนี้ที่รอ{pending.from_school.name}อนุมัติอยู่แล้ว"})
    fields = {
        "student_number": (student_number or "").strip(),
        "date": date,
        "academic_year": academic_year,
        "grade_level": grade_level,
        "classroom": classroom,
        "number": number,
        "last_grade": (last_grade or "").strip(),
        "reason": (reason or "").strip(),
    }
    if _released_by_sending_school(student):
        from_school = student.school
        moved = transfer_receive(school=school, identifier=identifier, by=by, **fields)
        with audited(by, "รับย้ายเข้า (โรงเรียนเดิมบันทึกย้ายออกแล้ว)"):
            return TransferRequest.objects.create(
                school=school,
                from_school=from_school,
                student=moved,
                status=TransferRequest.Status.COMPLETED,
                requested_by=by,
                decided_at=timezone.now(),
                **fields,
            )
    errors = _check_placement(school=school, academic_year=academic_year, grade_level=grade_level, classroom=classroom)
    if not fields["student_number"]:
        errors["student_number"] = "กรุณากรอกเลขประจำตัวนักเรียนของโรงเรียนนี้"
    elif Student.objects.filter(school=school, student_number=fields["student_number"]).exists():
        errors["student_number"] = f"เลขประจำตัวนักเรียน {fields['student_number']} มีอยู่แล้วในโรงเรียนนี้"
    if date is None:
        errors["date"] = "กรุณาระบุวันที่รับย้ายเข้า"
    if errors:
        raise ValidationError(errors)
    with audited(by, f"ขอรับย้ายจาก{student.school.name}"):
        asked = TransferRequest.objects.create(
            school=school, from_school=student.school, student=student, requested_by=by, **fields
        )
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # the transfer-out-pending flag (earlywarning)
    return asked


def may_see_transfer_student(user, request: TransferRequest) -> bool:
    """The sending school knows its child; the requesting school only once the record moved."""
    managed = managed_school_ids(user)
    if managed is None or request.from_school_id in managed:
        return True
    return request.status == TransferRequest.Status.COMPLETED and request.school_id in managed


def _lock_pending(request: TransferRequest) -> TransferRequest:
    locked = (
        TransferRequest.objects.select_for_update()
        .select_related("student", "school", "from_school")
        .get(pk=request.pk)
    )
    if locked.status != TransferRequest.Status.PENDING:
        raise ValidationError({"status": f"คำขอนี้{locked.get_status_display()}แล้ว"})
    return locked


@transaction.atomic
def transfer_release(*, request: TransferRequest, by: User) -> TransferRequest:
    """The sending school agrees (อนุมัติให้ย้าย): the record moves to the requesting school,
    the transfer out is recorded here and the transfer in there, as when receiving directly."""
    request = _lock_pending(request)
    student = request.student
    transfer_receive(
        school=request.school,
        identifier=student.national_id or student.g_code or "",
        student_number=request.student_number,
        date=request.date,
        academic_year=request.academic_year,
        grade_level=request.grade_level,
        classroom=request.classroom,
        number=request.number,
        last_grade=request.last_grade,
        reason=request.reason,
        by=by,
    )
    request.status = TransferRequest.Status.COMPLETED
    request.decided_by = by
    request.decided_at = timezone.now()
    with audited(by, f"{request.from_school.name}อนุมัติให้ย้าย"):
        request.save(update_fields=["status", "decided_by", "decided_at"])
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # no longer pending (transfer_receive told it too)
    return request


@transaction.atomic
def transfer_refuse(*, request: TransferRequest, reason: str, by: User) -> TransferRequest:
    """The sending school does not agree; the requesting school sees why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"refusal_reason": "กรุณาระบุเหตุผลที่ไม่อนุมัติให้ย้าย"})
    request = _lock_pending(request)
    request.status = TransferRequest.Status.REFUSED
    request.refusal_reason = reason[:300]
    request.decided_by = by
    request.decided_at = timezone.now()
    with audited(by, f"ไม่อนุมัติให้ย้าย: {reason}"):
        request.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    hooks.notify(hooks.STUDENTS_CHANGED, [request.student_id])  # the transfer-out-pending flag clears
    return request


@transaction.atomic
def transfer_in_from_outside(
    *,
    school: School,
    identifier: str | None,
    student_fields: dict[str, Any],
    previous_school: str,
    previous_school_province: str = "",
    previous_grade: str = "",
    date: date | None,
    academic_year: AcademicYear,
    grade_level: GradeLevel | None,
    classroom: Classroom | None = None,
    number: int | None = None,
    reason: str = "",
    by: User,
) -> Student:
    """A student coming from a school outside the install: a new record with the previous
    school filled in, a transfer-in change and the enrolment, all or nothing."""
    errors = _check_placement(school=school, academic_year=academic_year, grade_level=grade_level, classroom=classroom)
    previous_school = (previous_school or "").strip()
    if not previous_school:
        errors["previous_school"] = "กรุณาระบุโรงเรียนเดิม"
    for name, label, value in (
        ("previous_school", "ชื่อโรงเรียนเดิม", previous_school),
        ("previous_school_province", "จังหวัดของโรงเรียนเดิม", previous_school_province or ""),
        ("previous_grade", "ชั้นเรียนสุดท้าย", previous_grade or ""),
        ("reason", "เหตุผล", reason or ""),
    ):
        if has_control_characters(value):
            errors[name] = control_character_message(label)
    if date is None:
        errors["date"] = "กรุณากรอกวันที่รับย้ายเข้า"
    elif date > timezone.localdate():
        errors["date"] = f"วันที่ {thaidate.format_abbr(date)} อยู่ในอนาคต กรุณาตรวจสอบปี พ.ศ."
    if identifier:
        national_id, g_code = normalize_identifier(identifier)
        lookup = {"national_id": national_id} if national_id else {"g_code": g_code}
        if Student.objects.filter(**lookup).exists():
            errors["identifier"] = "เลขนี้มีอยู่แล้วในระบบ ให้ใช้การรับย้ายจากโรงเรียนในระบบ"
    if errors:
        raise ValidationError(errors)
    student = services.student_create(
        school=school, identifier=identifier, by=by, reason="รับย้ายเข้าจากโรงเรียนนอกระบบ", **student_fields
    )
    previous_grade = (previous_grade or "").strip()
    student.entry_date = date
    student.previous_school = previous_school
    student.previous_school_province = (previous_school_province or "").strip()
    student.previous_grade = previous_grade
    with audited(by, f"รับย้ายเข้าจาก{previous_school} {thaidate.format_abbr(date)}"):
        student.save(
            update_fields=["entry_date", "previous_school", "previous_school_province", "previous_grade", "updated_at"]
        )
        StatusChange.objects.create(
            school=school,
            student=student,
            kind=Kind.TRANSFER_IN,
            date=date,
            reason=(reason or "").strip(),
            other_school=previous_school,
            other_school_province=student.previous_school_province,
            last_grade=previous_grade,
            recorded_by=by,
        )
        _enrol(
            student=student,
            academic_year=academic_year,
            grade_level=grade_level,
            classroom=classroom,
            number=number,
            by=by,
            reason="รับย้ายเข้า",
        )
        _apply_derived_status(student)
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # a new student of the school's population
    return student


def identifier_display(student: Student) -> str:
    return identity.format_national_id(student.national_id) if student.national_id else (student.g_code or "")
