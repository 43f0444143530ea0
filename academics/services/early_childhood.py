"""Writes of the early-childhood evaluation: a school's standards, indicators and levels
(loaded from the national 2560 defaults), the levels a homeroom teacher gives a child per
indicator per term, and the days a child missed. Every write is an idempotent upsert on its
unique key, all or nothing, audited with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from academics import early_childhood as rules
from academics.locking import db_clock
from academics.models import (
    EarlyChildhoodAbsence,
    EarlyChildhoodAssessment,
    EarlyChildhoodIndicator,
    EarlyChildhoodLevel,
    EarlyChildhoodStandard,
)
from qinfo import thaidate
from qinfo.audit import audited
from schools.models import School, Term
from students.models import Classroom, Enrolment, GradeLevel, Student

KINDERGARTEN = GradeLevel.Stage.KINDERGARTEN
MAX_DAYS = 200  # a term has about 100 school days; more is a typing mistake


def is_kindergarten(classroom: Classroom) -> bool:
    return classroom.grade_level.stage == KINDERGARTEN


def require_kindergarten(classroom: Classroom) -> None:
    if not is_kindergarten(classroom):
        raise ValidationError(
            {"classroom": f"ห้อง {classroom.name} ไม่ใช่ชั้นอนุบาล จึงไม่ใช้การประเมินพัฒนาการตามหลักสูตรการศึกษาปฐมวัย"}
        )


def load_defaults(school_id: int, *, standard_model, indicator_model, level_model) -> bool:
    """Give a school the national 2560 standards, indicators and levels if it has none yet.
    Model classes come in so that the data migration can use its historical models."""
    created = False
    if not level_model.objects.filter(school_id=school_id).exists():
        level_model.objects.bulk_create(
            [level_model(school_id=school_id, value=v, label=label) for v, label in rules.DEFAULT_LEVELS.items()]
        )
        created = True
    if not standard_model.objects.filter(school_id=school_id).exists():
        for text in rules.NATIONAL_2560:
            standard = standard_model.objects.create(
                school_id=school_id, number=text.number, domain=text.domain, name=text.name
            )
            indicator_model.objects.bulk_create(
                [
                    indicator_model(school_id=school_id, standard=standard, number=code, order=order, name=name)
                    for order, (code, name) in enumerate(text.indicators, 1)
                ]
            )
        created = True
    return created


@transaction.atomic
def framework_ensure(*, school: School, by=None) -> bool:
    """The school's early-childhood framework exists (idempotent; True if it was created now)."""
    # One school at a time: two first visits at once must not load the defaults twice.
    School.objects.select_for_update().filter(pk=school.pk).first()
    with audited(by, "ตั้งค่ามาตรฐานและระดับการประเมินพัฒนาการตามหลักสูตรการศึกษาปฐมวัย 2560"):
        return load_defaults(
            school.pk,
            standard_model=EarlyChildhoodStandard,
            indicator_model=EarlyChildhoodIndicator,
            level_model=EarlyChildhoodLevel,
        )


@transaction.atomic
def level_labels_update(*, school: School, labels: Mapping[int, str], by) -> int:
    """Rename the school's levels ({value: label}); a blank or over-long label is refused."""
    levels = {level.value: level for level in EarlyChildhoodLevel.objects.select_for_update().filter(school=school)}
    errors, changed = [], []
    for value, raw in labels.items():
        level = levels.get(int(value))
        if level is None:
            errors.append(f"ไม่มีระดับ {value} ในโรงเรียนนี้")
            continue
        label = " ".join(str(raw or "").split())
        if not label:
            errors.append(f"ระดับ {value}: กรุณากรอกคำอธิบายระดับ")
        elif len(label) > 50:
            errors.append(f"ระดับ {value}: คำอธิบายยาวเกิน 50 ตัวอักษร")
        elif label != level.label:
            level.label = label
            changed.append(level)
    if errors:
        raise ValidationError({"labels": errors})
    if changed:
        with audited(by, "แก้ไขคำอธิบายระดับการประเมินพัฒนาการ"):
            for level in changed:
                level.full_clean()
                level.save(update_fields=["label"])
    return len(changed)


def parse_level(raw, allowed: Sequence[int]) -> int | None:
    """A level chosen or typed (Thai digits too); blank clears. ValueError when not allowed."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    text = thaidate.thai_digits_to_arabic(str(raw).strip())
    if text == "":
        return None
    if not text.isdigit() or int(text) not in allowed:
        raise ValueError(raw)
    return int(text)


@dataclass(frozen=True)
class Cell:
    student: Student
    indicator: EarlyChildhoodIndicator
    level: object  # raw: 3, "2", "๒", "" or None (clear)


def _check(classroom: Classroom, term: Term) -> None:
    require_kindergarten(classroom)
    if term.academic_year_id != classroom.academic_year_id:
        raise ValidationError({"term": f"ภาคเรียนนี้ไม่อยู่ในปีการศึกษาของห้อง {classroom.name}"})


def _levels_text(levels: Mapping[int, str]) -> str:
    return " ".join(f"{value} ({label})" for value, label in sorted(levels.items(), reverse=True))


@transaction.atomic
def assessments_save(*, classroom: Classroom, term: Term, cells: Sequence[Cell], by) -> int:
    """Save cells of the development grid: each an idempotent upsert on (child, term,
    indicator); a blank level clears the cell. All or nothing; returns how many changed."""
    _check(classroom, term)
    levels = dict(EarlyChildhoodLevel.objects.filter(school_id=classroom.school_id).values_list("value", "label"))
    enrolled = set(Enrolment.objects.filter(classroom=classroom).values_list("student_id", flat=True))
    errors: list[str] = []
    wanted: dict[tuple[int, int], int | None] = {}
    for cell in cells:
        if cell.indicator.school_id != classroom.school_id:
            errors.append("ตัวบ่งชี้ไม่ใช่ของโรงเรียนนี้")
            continue
        if cell.student.pk not in enrolled:
            errors.append(f"{cell.student.full_name} ไม่ได้อยู่ในห้อง {classroom.name}")
            continue
        try:
            level = parse_level(cell.level, list(levels))
        except ValueError:
            errors.append(
                f"{cell.student.full_name} · ตัวบ่งชี้ {cell.indicator.number}: “{cell.level}” ไม่ใช่ระดับที่ใช้ได้"
                f" ต้องเป็น {_levels_text(levels)}"
            )
            continue
        wanted[(cell.student.pk, cell.indicator.pk)] = level
    if errors:
        raise ValidationError({"level": errors})
    existing = {
        (a.student_id, a.indicator_id): a
        for a in EarlyChildhoodAssessment.objects.filter(
            term=term, student_id__in={key[0] for key in wanted}, indicator_id__in={key[1] for key in wanted}
        )
    }
    upserts, deletes = [], []
    for (student_id, indicator_id), level in wanted.items():
        current = existing.get((student_id, indicator_id))
        if level is None:
            if current is not None:
                deletes.append(current.pk)
        elif current is None or current.level != level:
            upserts.append(
                EarlyChildhoodAssessment(
                    school_id=classroom.school_id,
                    student_id=student_id,
                    term=term,
                    indicator_id=indicator_id,
                    level=level,
                    updated_by=by,
                )
            )
    if not upserts and not deletes:
        return 0
    with audited(by, f"ประเมินพัฒนาการ ห้อง {classroom.name} ภาคเรียนที่ {term.number}/{term.academic_year.year}"):
        # ON CONFLICT on the unique key: two tabs saving the same cell never make two rows.
        EarlyChildhoodAssessment.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["student", "term", "indicator"],
            update_fields=["level", "updated_by", "updated_at"],
        )
        EarlyChildhoodAssessment.objects.filter(pk__in=deletes).delete()
    return len(upserts) + len(deletes)


def child_lock(*, classroom: Classroom, student: Student) -> int:
    """Inside the caller's transaction: lock the child's enrolment in the classroom, so that one
    child's cell saves take turns and the summary each one answers with counts every save
    committed before it. Returns the database's clock (microseconds) once the lock is held: the
    page keeps the newest summary it was sent, whatever order the answers arrive in."""
    list(Enrolment.objects.select_for_update().filter(classroom=classroom, student=student).values_list("pk"))
    return db_clock()


def assessment_set(
    *, classroom: Classroom, term: Term, student: Student, indicator: EarlyChildhoodIndicator, level, by
) -> int:
    """One cell (the grid saves each cell as it is changed)."""
    return assessments_save(
        classroom=classroom, term=term, cells=[Cell(student=student, indicator=indicator, level=level)], by=by
    )


@transaction.atomic
def absence_set(*, classroom: Classroom, term: Term, student: Student, days, by) -> bool:
    """The days the child missed in the term (blank = 0). Returns whether it changed."""
    _check(classroom, term)
    if not Enrolment.objects.filter(classroom=classroom, student=student).exists():
        raise ValidationError({"student": f"{student.full_name} ไม่ได้อยู่ในห้อง {classroom.name}"})
    text = thaidate.thai_digits_to_arabic(str(days if days is not None else "").strip())
    if text == "":
        text = "0"
    if not text.isdigit() or int(text) > MAX_DAYS:
        raise ValidationError(
            {"days_absent": f"{student.full_name}: วันขาดเรียน “{days}” ต้องเป็นจำนวนเต็ม 0–{MAX_DAYS} วัน"}
        )
    value = int(text)
    current = EarlyChildhoodAbsence.objects.filter(student=student, term=term).first()
    if (current.days_absent if current else 0) == value:
        return False
    with audited(by, f"บันทึกวันขาดเรียน ห้อง {classroom.name} ภาคเรียนที่ {term.number}/{term.academic_year.year}"):
        EarlyChildhoodAbsence.objects.bulk_create(
            [
                EarlyChildhoodAbsence(
                    school_id=classroom.school_id, student=student, term=term, days_absent=value, updated_by=by
                )
            ],
            update_conflicts=True,
            unique_fields=["student", "term"],
            update_fields=["days_absent", "updated_by", "updated_at"],
        )
    return True
