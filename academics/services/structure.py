"""Every write to the academic structure: subjects, study plans, classrooms' plans,
placement of students, course sections and registrations."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from academics import grading, subject_codes
from academics.models import (
    MAX_CREDITS,
    MAX_HOURS,
    ClassroomPlan,
    CourseSection,
    LearningArea,
    Registration,
    SectionTeacher,
    StudyPlan,
    StudyPlanItem,
    Subject,
)
from academics.policy import policy_for
from qinfo.audit import audited
from qinfo.text import control_character_message, has_control_characters
from schools.models import AcademicYear, School, StaffMembership, Term, User
from students import importing
from students.models import Classroom, Enrolment, GradeLevel, Student

Role = StaffMembership.Role
STAGE_OF_GRADE = {
    GradeLevel.Stage.PRIMARY: 1,
    GradeLevel.Stage.LOWER_SECONDARY: 2,
    GradeLevel.Stage.UPPER_SECONDARY: 3,
}


# --- Subjects --------------------------------------------------------------------------------


def _decimal(value, field: str, label: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        raise ValidationError({field: f"{label} “{value}” ต้องเป็นตัวเลข"}) from None
    if not number.is_finite():
        raise ValidationError({field: f"{label} “{value}” ต้องเป็นตัวเลข"})
    if number < 0:
        raise ValidationError({field: f"{label}ต้องไม่ติดลบ"})
    return number


def _subject_fields(
    *, subject_code: str, name: str, credits, hours, kind: str | None, activity: str, stage: int | None
) -> dict:
    credits_value = _decimal(credits, "credits", "หน่วยกิต")
    if credits_value * 2 != int(credits_value * 2):
        raise ValidationError({"credits": "หน่วยกิตต้องเป็นจำนวนเต็มหรือครึ่ง เช่น 0.5 1.0 1.5"})
    if credits_value > MAX_CREDITS:
        raise ValidationError({"credits": f"หน่วยกิตต้องไม่เกิน {MAX_CREDITS}"})
    hours_value = int(_decimal(hours, "hours", "เวลาเรียน"))
    if hours_value > MAX_HOURS:
        raise ValidationError({"hours": f"เวลาเรียนต้องไม่เกิน {MAX_HOURS:,} ชั่วโมง"})
    if not name or not name.strip():
        raise ValidationError({"name": "กรุณากรอกชื่อรายวิชา"})
    if len(name.strip()) > Subject._meta.get_field("name").max_length:
        raise ValidationError({"name": f"ชื่อรายวิชายาวเกิน {Subject._meta.get_field('name').max_length} ตัวอักษร"})
    if has_control_characters(name):
        raise ValidationError({"name": control_character_message("ชื่อรายวิชา")})
    if kind == Subject.Kind.ACTIVITY:
        if not activity:
            raise ValidationError({"activity": "กรุณาเลือกประเภทกิจกรรม"})
        if stage not in (1, 2, 3):
            raise ValidationError({"stage": "กรุณาเลือกระดับของกิจกรรม"})
        return {
            "subject_code": subject_codes.normalize(subject_code) or subject_code.strip(),
            "name": name.strip(),
            "learning_area": None,
            "kind": Subject.Kind.ACTIVITY,
            "activity": activity,
            "stage": stage,
            "year_in_stage": 0,
            "credits": Decimal("0"),
            "hours": hours_value,
        }
    try:
        parsed = subject_codes.parse(subject_code)
    except subject_codes.SubjectCodeError as error:
        raise ValidationError({"subject_code": str(error)}) from None
    area = LearningArea.objects.filter(letter=parsed.letter).first()
    if area is None:
        raise ValidationError({"subject_code": f"ไม่รู้จักกลุ่มสาระของอักษร “{parsed.letter}” (ผู้ดูแลระบบเพิ่มได้)"})
    if parsed.level == 1 and credits_value:
        raise ValidationError({"credits": "วิชาระดับประถมศึกษาไม่คิดหน่วยกิต ให้กรอกเวลาเรียน (ชั่วโมง/ปี) แทน"})
    if parsed.level > 1 and not credits_value:
        raise ValidationError({"credits": "วิชาระดับมัธยมศึกษาต้องมีหน่วยกิต (1 หน่วยกิต = 40 ชั่วโมงต่อภาค)"})
    if parsed.level == 1 and not hours_value:
        raise ValidationError({"hours": "วิชาระดับประถมศึกษาต้องมีเวลาเรียน (ชั่วโมงต่อปี)"})
    if parsed.level > 1 and not hours_value:
        hours_value = int(credits_value * subject_codes.HOURS_PER_CREDIT)
    return {
        "subject_code": subject_codes.normalize(subject_code),
        "name": name.strip(),
        "learning_area": area,
        "kind": Subject.Kind.BASIC if parsed.is_basic else Subject.Kind.ADDITIONAL,
        "activity": "",
        "stage": parsed.level,
        "year_in_stage": parsed.year,
        "credits": credits_value,
        "hours": hours_value,
    }


@transaction.atomic
def subject_create(
    *,
    school: School,
    subject_code: str,
    name: str,
    credits=0,
    hours=0,
    kind: str | None = None,
    activity: str = "",
    stage: int | None = None,
    name_en: str = "",
    periods_per_week: int = 0,
    by: User | None,
) -> Subject:
    fields = _subject_fields(
        subject_code=subject_code, name=name, credits=credits, hours=hours, kind=kind, activity=activity, stage=stage
    )
    if Subject.objects.filter(school=school, subject_code=fields["subject_code"]).exists():
        raise ValidationError({"subject_code": f"รหัสวิชา {fields['subject_code']} มีอยู่แล้วในโรงเรียนนี้"})
    subject = Subject(school=school, name_en=name_en, periods_per_week=periods_per_week or 0, **fields)
    subject.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by):
        subject.save()
    return subject


@transaction.atomic
def subject_update(*, subject: Subject, data: dict, by: User, reason: str = "") -> Subject:
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    fields = _subject_fields(
        subject_code=data.get("subject_code", subject.subject_code),
        name=data.get("name", subject.name),
        credits=data.get("credits", subject.credits),
        hours=data.get("hours", subject.hours),
        kind=data.get("kind", subject.kind),
        activity=data.get("activity", subject.activity),
        stage=data.get("stage", subject.stage),
    )
    if (
        fields["subject_code"] != subject.subject_code
        and Subject.objects.filter(school=subject.school, subject_code=fields["subject_code"]).exists()
    ):
        raise ValidationError({"subject_code": f"รหัสวิชา {fields['subject_code']} มีอยู่แล้วในโรงเรียนนี้"})
    for field, value in {**fields, "name_en": data.get("name_en", subject.name_en)}.items():
        setattr(subject, field, value)
    subject.periods_per_week = data.get("periods_per_week", subject.periods_per_week) or 0
    subject.full_clean(validate_unique=False, validate_constraints=False)
    with audited(by, reason):
        subject.save()
    return subject


@dataclass
class RowError:
    row: int
    field: str
    message: str


SUBJECT_COLUMNS = {
    "subject_code": ("รหัสวิชา", "รหัส"),
    "name": ("ชื่อวิชา", "ชื่อรายวิชา", "รายวิชา"),
    "credits": ("หน่วยกิต", "นก."),
    "hours": ("ชั่วโมง", "เวลาเรียน", "ชม.", "ชั่วโมง/ปี", "ชั่วโมงต่อปี"),
    "name_en": ("ชื่อภาษาอังกฤษ", "ชื่อวิชาภาษาอังกฤษ"),
}


MAX_SUBJECT_ROWS = 2_000
# A school's subject list is a few hundred rows: it is read in the request, so the file may be far
# smaller than a student list, which the worker reads.
MAX_SUBJECT_FILE_BYTES = 1024 * 1024
MAX_SUBJECT_UNPACKED_BYTES = 8 * 1024 * 1024
TOO_BIG_SUBJECT_FILE = f"ไฟล์ใหญ่เกิน {MAX_SUBJECT_FILE_BYTES // (1024 * 1024)} MB (รายวิชาของโรงเรียนมักไม่กี่ร้อยแถว)"


def read_subject_rows(uploaded_file) -> list[tuple[int, dict]]:
    """Rows of an .xlsx subject list as (spreadsheet row number, {field: value})."""
    from openpyxl import load_workbook

    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_SUBJECT_FILE_BYTES:
        raise ValidationError({"file": TOO_BIG_SUBJECT_FILE})
    data = uploaded_file.read(MAX_SUBJECT_FILE_BYTES + 1)
    if len(data) > MAX_SUBJECT_FILE_BYTES:
        raise ValidationError({"file": TOO_BIG_SUBJECT_FILE})
    if not data.startswith(b"PK\x03\x04"):
        raise ValidationError({"file": "อ่านไฟล์ไม่ได้ กรุณาใช้ไฟล์ Excel (.xlsx)"})
    try:
        importing.check_xlsx_archive(data, max_unpacked=MAX_SUBJECT_UNPACKED_BYTES)
    except importing.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ValidationError({"file": "อ่านไฟล์ไม่ได้ กรุณาใช้ไฟล์ Excel (.xlsx)"}) from None
    sheet = workbook.active
    rows = sheet.iter_rows(max_col=importing.MAX_COLUMNS, values_only=True)
    header = next(rows, None)
    if not header:
        raise ValidationError({"file": "ไฟล์ว่าง ไม่มีหัวตาราง"})
    names = [str(cell or "").strip() for cell in header]
    columns: dict[str, int] = {}
    for field, aliases in SUBJECT_COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                columns[field] = index
                break
    missing = [SUBJECT_COLUMNS[f][0] for f in ("subject_code", "name") if f not in columns]
    if missing:
        raise ValidationError({"file": f"ไม่พบคอลัมน์ {', '.join(missing)} ในแถวแรกของไฟล์"})
    result = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_SUBJECT_ROWS:
            raise ValidationError({"file": f"ไฟล์มีเกิน {MAX_SUBJECT_ROWS:,} แถว (นับรวมแถวว่าง) กรุณาลบแถวว่างท้ายตาราง"})
        if not values or all(value in (None, "") for value in values):
            continue
        if any(len(str(value)) > importing.MAX_CELL_CHARS for value in values if value is not None):
            raise ValidationError({"file": f"แถวที่ {number} มีข้อความยาวเกิน {importing.MAX_CELL_CHARS:,} ตัวอักษร"})
        result.append(
            (number, {field: values[index] if index < len(values) else None for field, index in columns.items()})
        )
    if not result:
        raise ValidationError({"file": "ไฟล์มีแต่หัวตาราง ไม่มีรายวิชา"})
    return result


@transaction.atomic
def subjects_import(*, school: School, rows: list[tuple[int, dict]], by: User) -> tuple[int, int, list[RowError]]:
    """Create or update subjects from rows; all or nothing. Returns (created, updated, errors)."""
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    prepared = []
    existing = {s.subject_code: s for s in Subject.objects.filter(school=school)}
    for number, row in rows:
        code = subject_codes.normalize(str(row.get("subject_code") or ""))
        if code in seen:
            errors.append(RowError(number, "รหัสวิชา", f"รหัสวิชา {code} ซ้ำกับแถว {seen[code]}"))
            continue
        seen[code] = number
        try:
            fields = _subject_fields(
                subject_code=code,
                name=str(row.get("name") or ""),
                credits=row.get("credits"),
                hours=row.get("hours"),
                kind=None,
                activity="",
                stage=None,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                label = {"subject_code": "รหัสวิชา", "name": "ชื่อวิชา", "credits": "หน่วยกิต", "hours": "ชั่วโมง"}
                errors.extend(RowError(number, label.get(field, field), message) for message in messages)
            continue
        name_en = str(row.get("name_en") or "").strip()
        if len(name_en) > Subject._meta.get_field("name_en").max_length or has_control_characters(name_en):
            errors.append(RowError(number, "ชื่อภาษาอังกฤษ", "ชื่อภาษาอังกฤษยาวเกิน 200 ตัวอักษรหรือมีอักขระควบคุม"))
            continue
        prepared.append((fields, name_en))
    if errors:
        return 0, 0, errors
    created = updated = 0
    with audited(by, "นำเข้ารายวิชาจากไฟล์"):
        for fields, name_en in prepared:
            subject = existing.get(fields["subject_code"])
            if subject is None:
                Subject.objects.create(school=school, name_en=name_en, **fields)
                created += 1
            else:
                for field, value in fields.items():
                    setattr(subject, field, value)
                if name_en:
                    subject.name_en = name_en
                subject.save()
                updated += 1
    return created, updated, []


# --- Study plans -------------------------------------------------------------------------------


@transaction.atomic
def study_plan_create(*, school: School, name: str, description: str = "", by: User | None) -> StudyPlan:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "กรุณากรอกชื่อแผนการเรียน"})
    if StudyPlan.objects.filter(school=school, name=name).exists():
        raise ValidationError({"name": f"แผนการเรียน “{name}” มีอยู่แล้ว"})
    with audited(by):
        return StudyPlan.objects.create(school=school, name=name, description=description)


def _check_subject_fits(subject: Subject, grade_level: GradeLevel) -> None:
    stage = STAGE_OF_GRADE.get(grade_level.stage)
    if stage is None:
        raise ValidationError({"grade_level": "ชั้นอนุบาลไม่มีรายวิชาในแผนการเรียน"})
    if subject.stage != stage or subject.year_in_stage not in (0, grade_level.year_in_stage):
        raise ValidationError(
            {
                "subject": f"{subject.subject_code} เป็นวิชาของ{subject.get_stage_display()}"
                f"{'' if not subject.year_in_stage else f' ปีที่ {subject.year_in_stage}'} ใช้กับชั้น {grade_level} ไม่ได้"
            }
        )


@transaction.atomic
def study_plan_add_subject(
    *, study_plan: StudyPlan, grade_level: GradeLevel, term_number: int, subject: Subject, by: User | None
) -> StudyPlanItem:
    if subject.school_id != study_plan.school_id:
        raise ValidationError({"subject": "รายวิชาไม่ใช่ของโรงเรียนนี้"})
    whole_year = StudyPlanItem.WHOLE_YEAR
    if term_number not in (whole_year, 1, 2):
        raise ValidationError({"term_number": "ภาคเรียนต้องเป็น ทั้งปี, 1 หรือ 2"})
    _check_subject_fits(subject, grade_level)
    # Primary subjects are year courses (DOMAIN.md §2): hours per year, listed once for the year.
    primary = grade_level.stage == GradeLevel.Stage.PRIMARY
    if primary and term_number != whole_year:
        raise ValidationError({"term_number": "ชั้นประถมศึกษาเรียนเป็นรายวิชารายปี (ชั่วโมงต่อปี) กรุณาเลือกภาคเรียน “ทั้งปี”"})
    if not primary and term_number == whole_year:
        raise ValidationError({"term_number": "รายวิชาระดับมัธยมศึกษาคิดหน่วยกิตรายภาค กรุณาเลือกภาคเรียนที่ 1 หรือ 2"})
    if StudyPlanItem.objects.filter(
        study_plan=study_plan, grade_level=grade_level, term_number=term_number, subject=subject
    ).exists():
        where = "ทั้งปี" if term_number == whole_year else f"ภาค {term_number}"
        raise ValidationError({"subject": f"{subject.subject_code} อยู่ในแผน ชั้น {grade_level} {where} แล้ว"})
    with audited(by):
        return StudyPlanItem.objects.create(
            school_id=study_plan.school_id,
            study_plan=study_plan,
            grade_level=grade_level,
            term_number=term_number,
            subject=subject,
        )


@transaction.atomic
def study_plan_remove_item(*, item: StudyPlanItem, by: User) -> None:
    with audited(by):
        item.delete()


@transaction.atomic
def classroom_set_plan(*, classroom: Classroom, study_plan: StudyPlan | None, by: User) -> None:
    if study_plan is not None and study_plan.school_id != classroom.school_id:
        raise ValidationError({"study_plan": "แผนการเรียนไม่ใช่ของโรงเรียนนี้"})
    with audited(by):
        if study_plan is None:
            ClassroomPlan.objects.filter(classroom=classroom).delete()
        else:
            ClassroomPlan.objects.update_or_create(
                classroom=classroom, defaults={"study_plan": study_plan, "school_id": classroom.school_id}
            )


# --- Classrooms and placement --------------------------------------------------------------------


def _school_teachers(school_id: int, users: Iterable[User]) -> list[User]:
    users = list(users)
    allowed = set(
        StaffMembership.objects.filter(
            school_id=school_id, is_active=True, user__in=users, role__in=[Role.TEACHER, Role.HOMEROOM_TEACHER]
        ).values_list("user_id", flat=True)
    )
    outsiders = [user.display_name for user in users if user.pk not in allowed]
    if outsiders:
        raise ValidationError({"teachers": f"{', '.join(outsiders)} ไม่ใช่ครูของโรงเรียนนี้"})
    return users


@transaction.atomic
def classrooms_create(
    *, school: School, academic_year: AcademicYear, grade_level: GradeLevel, count: int, capacity: int = 40, by: User
) -> list[Classroom]:
    """Add `count` rooms after the existing ones of that grade (ม.1/4, ม.1/5, ...)."""
    if academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนนี้"})
    if not 1 <= count <= 30:
        raise ValidationError({"count": "จำนวนห้องต้องอยู่ระหว่าง 1–30"})
    if not 1 <= capacity <= 80:
        raise ValidationError({"capacity": "จำนวนที่รับได้ต้องอยู่ระหว่าง 1–80"})
    last = (
        Classroom.objects.select_for_update(of=("self",))
        .filter(school=school, academic_year=academic_year, grade_level=grade_level)
        .aggregate(last=Max("room"))["last"]
        or 0
    )
    with audited(by):
        return Classroom.objects.bulk_create(
            Classroom(
                school=school, academic_year=academic_year, grade_level=grade_level, room=last + n, capacity=capacity
            )
            for n in range(1, count + 1)
        )


@transaction.atomic
def classroom_update(
    *, classroom: Classroom, homeroom_teachers: list[User], capacity: int, study_plan: StudyPlan | None, by: User
) -> Classroom:
    if len(homeroom_teachers) > 2:
        raise ValidationError({"homeroom_teachers": "ครูประจำชั้นได้ไม่เกิน 2 คนต่อห้อง"})
    _school_teachers(classroom.school_id, homeroom_teachers)
    enrolled = classroom.enrolments.count()
    if capacity < enrolled:
        raise ValidationError({"capacity": f"ห้องนี้มีนักเรียนแล้ว {enrolled} คน จำนวนที่รับได้ต้องไม่น้อยกว่านั้น"})
    with audited(by):
        classroom.capacity = capacity
        classroom.save(update_fields=["capacity"])
        classroom.homeroom_teachers.set(homeroom_teachers)
        # A homeroom teacher needs the role to see the homeroom pages.
        for teacher in homeroom_teachers:
            StaffMembership.objects.get_or_create(
                user=teacher, school_id=classroom.school_id, area=None, role=Role.HOMEROOM_TEACHER
            )
    classroom_set_plan(classroom=classroom, study_plan=study_plan, by=by)
    return classroom


def _next_number(classroom: Classroom) -> int:
    return (classroom.enrolments.aggregate(last=Max("number"))["last"] or 0) + 1


@transaction.atomic
def students_place(*, classroom: Classroom, students: list[Student], by: User) -> int:
    """Put students into a classroom for its year: their enrolment of that year gets the
    classroom (one is created if missing) and the next class numbers. Returns how many."""
    classroom = Classroom.objects.select_for_update(of=("self",)).select_related("grade_level").get(pk=classroom.pk)
    students = list(students)
    if any(student.school_id != classroom.school_id for student in students):
        raise ValidationError({"students": "มีนักเรียนที่ไม่ได้อยู่ในโรงเรียนนี้"})
    enrolments = {
        e.student_id: e
        for e in Enrolment.objects.select_for_update(of=("self",))
        .order_by()
        .filter(school_id=classroom.school_id, academic_year_id=classroom.academic_year_id, student__in=students)
    }
    wrong_grade = [
        s.full_name
        for s in students
        if s.pk in enrolments and enrolments[s.pk].grade_level_id != classroom.grade_level_id
    ]
    if wrong_grade:
        raise ValidationError({"students": f"{', '.join(wrong_grade)} ลงทะเบียนชั้นอื่นในปีนี้ ไม่ใช่ {classroom.grade_level}"})
    incoming = [s for s in students if enrolments.get(s.pk) is None or enrolments[s.pk].classroom_id != classroom.pk]
    if classroom.enrolments.count() + len(incoming) > classroom.capacity:
        raise ValidationError(
            {
                "students": f"ห้อง {classroom.name} รับได้ {classroom.capacity} คน มีอยู่แล้ว "
                f"{classroom.enrolments.count()} คน ไม่พอสำหรับอีก {len(incoming)} คน"
            }
        )
    number = _next_number(classroom)
    # Thai class lists: boys first, then girls, each by first name.
    incoming.sort(key=lambda s: (s.sex != Student.Sex.MALE, s.first_name, s.last_name))
    with audited(by, f"จัดเข้าห้อง {classroom.name}"):
        for student in incoming:
            enrolment = enrolments.get(student.pk)
            if enrolment is None:
                Enrolment.objects.create(
                    school_id=classroom.school_id,
                    student=student,
                    academic_year_id=classroom.academic_year_id,
                    grade_level=classroom.grade_level,
                    classroom=classroom,
                    number=number,
                )
            else:
                enrolment.classroom = classroom
                enrolment.number = number
                enrolment.save(update_fields=["classroom", "number"])
            number += 1
    for section in CourseSection.objects.filter(classroom=classroom):
        registrations_sync(section=section, by=by)
    return len(incoming)


@transaction.atomic
def student_move(*, enrolment: Enrolment, to_classroom: Classroom, by: User, reason: str) -> Enrolment:
    """Move a student to another classroom of the same year and grade; their classroom
    registrations follow them."""
    enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("classroom").get(pk=enrolment.pk)
    if not reason.strip():
        raise ValidationError({"reason": "กรุณาระบุเหตุผลการย้ายห้อง"})
    if to_classroom.academic_year_id != enrolment.academic_year_id or to_classroom.school_id != enrolment.school_id:
        raise ValidationError({"to_classroom": "ย้ายได้เฉพาะห้องในปีการศึกษาเดียวกันของโรงเรียนเดียวกัน"})
    if to_classroom.grade_level_id != enrolment.grade_level_id:
        raise ValidationError({"to_classroom": "ย้ายได้เฉพาะห้องในชั้นเดียวกัน (เปลี่ยนชั้นต้องทำผ่านการเลื่อนชั้น)"})
    if to_classroom.pk == enrolment.classroom_id:
        raise ValidationError({"to_classroom": "นักเรียนอยู่ในห้องนี้แล้ว"})
    if to_classroom.enrolments.count() >= to_classroom.capacity:
        raise ValidationError({"to_classroom": f"ห้อง {to_classroom.name} เต็มแล้ว ({to_classroom.capacity} คน)"})
    old_classroom = enrolment.classroom
    with audited(by, reason):
        enrolment.classroom = to_classroom
        enrolment.number = _next_number(to_classroom)
        enrolment.save(update_fields=["classroom", "number"])
        if old_classroom is not None:
            Registration.objects.filter(
                student_id=enrolment.student_id,
                section__classroom=old_classroom,
                source=Registration.Source.CLASSROOM,
            ).delete()
    for section in CourseSection.objects.filter(classroom=to_classroom):
        registrations_sync(section=section, by=by)
    return enrolment


# --- Course sections ----------------------------------------------------------------------------


@dataclass
class GenerationResult:
    created: int
    existing: int
    registered: int
    classrooms_without_plan: list[str]


def _first_term(term: Term) -> Term:
    """The term a year course hangs on: the first term of the year."""
    return Term.objects.filter(academic_year_id=term.academic_year_id).order_by("number").first() or term


@transaction.atomic
def sections_generate(*, term: Term, by: User) -> GenerationResult:
    """Create the sections every classroom of the term's year needs from its study plan and
    register the classroom's students. Running it again creates nothing new.

    A whole-year item (a primary year course) becomes one section for the year, on the year's
    first term (`spans_year`); in a school whose policy decides primary results per term it
    becomes this term's section with this term's share of the subject's hours instead."""
    per_term = policy_for(term.school).primary_per_term
    first_term = _first_term(term)
    terms_in_year = list(
        Term.objects.filter(academic_year_id=term.academic_year_id).order_by("number").values_list("pk", flat=True)
    )
    classrooms = list(
        Classroom.objects.filter(school_id=term.school_id, academic_year_id=term.academic_year_id)
        .select_related("grade_level", "plan")
        .order_by("grade_level__order", "room")
    )
    plan_ids = {c.plan.study_plan_id for c in classrooms if hasattr(c, "plan")}
    items: dict[tuple[int, int], list[int]] = {}
    year_items: dict[tuple[int, int], list[Subject]] = {}
    for item in StudyPlanItem.objects.filter(
        study_plan_id__in=plan_ids, term_number__in=[term.number, StudyPlanItem.WHOLE_YEAR]
    ).select_related("subject"):
        if item.is_whole_year:
            year_items.setdefault((item.study_plan_id, item.grade_level_id), []).append(item.subject)
        else:
            items.setdefault((item.study_plan_id, item.grade_level_id), []).append(item.subject_id)
    existing = set(
        CourseSection.objects.filter(term=term, classroom__isnull=False).values_list("classroom_id", "subject_id")
    )
    # A subject is never taught (and counted) twice in a year: a year course made from term 1
    # is not made again from term 2, nor next to a term's section of the same subject.
    in_year = list(
        CourseSection.objects.filter(term__academic_year_id=term.academic_year_id, classroom__isnull=False).values_list(
            "classroom_id", "subject_id", "spans_year"
        )
    )
    existing_in_year = {(classroom_id, subject_id) for classroom_id, subject_id, _ in in_year}
    year_courses = {(classroom_id, subject_id) for classroom_id, subject_id, spans in in_year if spans}
    share_index = terms_in_year.index(term.pk) if term.pk in terms_in_year else 0
    to_create = []
    without_plan = []
    for classroom in classrooms:
        if not hasattr(classroom, "plan"):
            without_plan.append(classroom.name)
            continue
        key = (classroom.plan.study_plan_id, classroom.grade_level_id)
        to_create.extend(
            CourseSection(school_id=term.school_id, term=term, subject_id=subject_id, classroom=classroom)
            for subject_id in items.get(key, [])
            if (classroom.pk, subject_id) not in existing
        )
        for subject in year_items.get(key, []):
            if per_term:
                if (classroom.pk, subject.pk) in existing or (classroom.pk, subject.pk) in year_courses:
                    continue
                share = grading.hour_shares(subject.hours, len(terms_in_year) or 1)[share_index]
                to_create.append(
                    CourseSection(
                        school_id=term.school_id, term=term, subject=subject, classroom=classroom, hours=share
                    )
                )
            elif (classroom.pk, subject.pk) not in existing_in_year:
                to_create.append(
                    CourseSection(
                        school_id=term.school_id, term=first_term, subject=subject, classroom=classroom, spans_year=True
                    )
                )
                existing_in_year.add((classroom.pk, subject.pk))
    with audited(by, f"สร้างกลุ่มการเรียนภาคเรียนที่ {term.number}/{term.academic_year.year}"):
        CourseSection.objects.bulk_create(to_create)
        registered = _register_classroom_students(term)
    return GenerationResult(
        created=len(to_create),
        existing=len(existing | year_courses),
        registered=registered,
        classrooms_without_plan=without_plan,
    )


def _register_classroom_students(term: Term, section_ids: Iterable[int] | None = None) -> int:
    """Register every enrolled, studying student of each section's classroom (the term's
    sections and the year courses taught in it)."""
    sections = CourseSection.objects.in_term(term).filter(classroom__isnull=False)
    if section_ids is not None:
        sections = sections.filter(pk__in=list(section_ids))
    sections_of_classroom: dict[int, list[int]] = {}
    for section_id, classroom_id in sections.values_list("id", "classroom_id"):
        sections_of_classroom.setdefault(classroom_id, []).append(section_id)
    members = Enrolment.objects.filter(
        classroom_id__in=list(sections_of_classroom), student__status=Student.Status.STUDYING
    ).values_list("classroom_id", "student_id")
    existing = set(
        Registration.objects.filter(
            section_id__in=[i for ids in sections_of_classroom.values() for i in ids]
        ).values_list("section_id", "student_id")
    )
    new = [
        Registration(school_id=term.school_id, section_id=section_id, student_id=student_id)
        for classroom_id, student_id in members
        for section_id in sections_of_classroom[classroom_id]
        if (section_id, student_id) not in existing
    ]
    Registration.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def registrations_sync(*, section: CourseSection, by: User | None) -> int:
    """Bring a classroom section's registrations up to date with its classroom."""
    if section.classroom_id is None:
        return 0
    with audited(by):
        return _register_classroom_students(section.term, [section.pk])


@transaction.atomic
def section_create_group(
    *, term: Term, subject: Subject, group_name: str, capacity: int | None, by: User
) -> CourseSection:
    """A mixed group (an elective or a club) drawn from several classrooms."""
    if subject.school_id != term.school_id:
        raise ValidationError({"subject": "รายวิชาไม่ใช่ของโรงเรียนนี้"})
    group_name = (group_name or "").strip()
    if not group_name:
        raise ValidationError({"group_name": "กรุณาตั้งชื่อกลุ่ม เช่น “ชุมนุมดนตรีไทย” หรือ “กลุ่ม 1”"})
    if CourseSection.objects.filter(term=term, subject=subject, classroom__isnull=True, group_name=group_name).exists():
        raise ValidationError({"group_name": f"มีกลุ่ม “{group_name}” ของวิชานี้แล้ว"})
    with audited(by):
        return CourseSection.objects.create(
            school_id=term.school_id, term=term, subject=subject, group_name=group_name, capacity=capacity
        )


@transaction.atomic
def section_set_teachers(*, section: CourseSection, teachers: list[User], by: User) -> CourseSection:
    teachers = _school_teachers(section.school_id, teachers)
    with audited(by):
        SectionTeacher.objects.filter(section=section).exclude(teacher__in=teachers).delete()
        have = set(SectionTeacher.objects.filter(section=section).values_list("teacher_id", flat=True))
        SectionTeacher.objects.bulk_create(
            SectionTeacher(school_id=section.school_id, section=section, teacher=teacher, is_primary=index == 0)
            for index, teacher in enumerate(teachers)
            if teacher.pk not in have
        )
    return section


@transaction.atomic
def section_add_students(*, section: CourseSection, students: list[Student], by: User) -> int:
    """Register students in an elective/club group (or add extra students to a classroom section)."""
    section = CourseSection.objects.select_for_update().get(pk=section.pk)
    students = list(students)
    if any(student.school_id != section.school_id for student in students):
        raise ValidationError({"students": "มีนักเรียนที่ไม่ได้อยู่ในโรงเรียนนี้"})
    have = set(Registration.objects.filter(section=section).values_list("student_id", flat=True))
    new = [s for s in students if s.pk not in have]
    if section.capacity and len(have) + len(new) > section.capacity:
        raise ValidationError({"students": f"กลุ่มนี้รับได้ {section.capacity} คน มีแล้ว {len(have)} คน"})
    source = Registration.Source.ELECTIVE if section.classroom_id is None else Registration.Source.MANUAL
    with audited(by):
        Registration.objects.bulk_create(
            Registration(school_id=section.school_id, section=section, student=s, source=source) for s in new
        )
    return len(new)


@transaction.atomic
def section_remove_student(*, section: CourseSection, student: Student, by: User, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": "กรุณาระบุเหตุผล"})
    with audited(by, reason):
        Registration.objects.filter(section=section, student=student).delete()
