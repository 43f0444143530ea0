"""Year-end promotion (DOMAIN.md §3): propose promote / repeat / graduate per student, let the
registrar review and confirm, then create next year's enrolments and classrooms.

Every step is idempotent: proposing again refreshes only undecided rows, applying again
changes nothing for students already applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qinfo import hooks
from qinfo.audit import audited
from schools.models import AcademicYear, School, User
from schools.services.organisation import academic_year_create
from students.models import Classroom, Enrolment, GradeLevel, StatusChange, Student

from .models import PromotionDecision

Decision = PromotionDecision.Decision
# The last grade of each stage; a school whose top grade is one of these graduates it.
STAGE_ENDS = {"K3", "P6", "M3", "M6"}


def school_levels(school: School) -> list[GradeLevel]:
    """The grade levels a school teaches, from its classrooms."""
    return list(GradeLevel.objects.filter(classroom__school=school).distinct().order_by("order"))


def next_level(level: GradeLevel) -> GradeLevel | None:
    return GradeLevel.objects.filter(order=level.order + 1).first()


def _proposal(level: GradeLevel, top_level: GradeLevel | None) -> tuple[str, str]:
    """What the system proposes when it has no results to judge by."""
    if top_level is not None and level.pk == top_level.pk:
        return Decision.GRADUATE, f"ชั้นสูงสุดของโรงเรียน ({level}) — จบการศึกษา"
    if level.code in STAGE_ENDS:
        return Decision.PROMOTE, f"จบช่วงชั้น {level} และเรียนต่อชั้นถัดไปในโรงเรียน"
    return Decision.PROMOTE, "ยังไม่มีผลการเรียนให้ตัดสิน — เสนอเลื่อนชั้น โปรดตรวจสอบ"


# Later capabilities (grading) register a judge that proposes from results:
# judge(student_ids, academic_year) -> {student_id: (decision, reason)}
_judges = []


def register_judge(judge):
    _judges.append(judge)
    return judge


@transaction.atomic
def promotion_propose(*, school: School, academic_year: AcademicYear, grade_level: GradeLevel, by: User | None) -> int:
    if academic_year.school_id != school.pk:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนนี้"})
    students = list(
        Student.objects.filter(
            enrolments__school=school,
            enrolments__academic_year=academic_year,
            enrolments__grade_level=grade_level,
            status=Student.Status.STUDYING,
        ).values_list("pk", flat=True)
    )
    levels = school_levels(school)
    top = levels[-1] if levels else None
    proposals = {student_id: _proposal(grade_level, top) for student_id in students}
    for judge in _judges:
        proposals.update(judge(students, academic_year))
    existing = {
        d.student_id: d
        for d in PromotionDecision.objects.select_for_update().filter(
            academic_year=academic_year, student_id__in=students
        )
    }
    with audited(by, "เสนอผลการเลื่อนชั้น"):
        for student_id, (proposed, reason) in proposals.items():
            decision = existing.get(student_id)
            if decision is None:
                PromotionDecision.objects.create(
                    school=school,
                    academic_year=academic_year,
                    student_id=student_id,
                    proposed=proposed,
                    proposal_reason=reason,
                )
            elif not decision.decision:
                decision.proposed, decision.proposal_reason = proposed, reason
                decision.save(update_fields=["proposed", "proposal_reason"])
    return len(proposals)


@transaction.atomic
def promotion_confirm(*, decisions: dict[int, str], school: School, academic_year: AcademicYear, by: User) -> int:
    """Record the registrar's decisions ({decision id: promote|repeat|graduate})."""
    valid = set(Decision.values)
    rows = {
        d.pk: d
        for d in PromotionDecision.objects.select_for_update().filter(
            pk__in=list(decisions), school=school, academic_year=academic_year
        )
    }
    now = timezone.now()
    changed = 0
    with audited(by, "ยืนยันผลการเลื่อนชั้น"):
        for pk, value in decisions.items():
            row = rows.get(pk)
            if row is None or value not in valid:
                raise ValidationError({"decisions": "มีรายการที่ไม่ถูกต้อง กรุณาโหลดหน้าใหม่"})
            if row.applied_at is not None:
                continue  # already carried out; a change now needs a status change instead
            if row.decision != value:
                row.decision, row.decided_by, row.decided_at = value, by, now
                row.save(update_fields=["decision", "decided_by", "decided_at"])
                changed += 1
    return changed


@dataclass
class ApplyResult:
    promoted: int = 0
    repeated: int = 0
    graduated: int = 0
    classrooms_created: int = 0
    skipped_undecided: int = 0


def _next_year(academic_year: AcademicYear, by: User) -> AcademicYear:
    following = AcademicYear.objects.filter(school_id=academic_year.school_id, year=academic_year.year + 1).first()
    return following or academic_year_create(school=academic_year.school, year=academic_year.year + 1, by=by)


@transaction.atomic
def promotion_apply(*, school: School, academic_year: AcademicYear, grade_level: GradeLevel, by: User) -> ApplyResult:
    rows = list(
        PromotionDecision.objects.select_for_update(of=("self",))
        .filter(
            school=school,
            academic_year=academic_year,
            applied_at__isnull=True,
            student_id__in=Enrolment.objects.filter(academic_year=academic_year, grade_level=grade_level).values(
                "student_id"
            ),
        )
        .select_related("student")
        .order_by("student__sex", "student__first_name")
    )
    result = ApplyResult(skipped_undecided=sum(1 for row in rows if not row.decision))
    rows = [row for row in rows if row.decision]
    if not rows:
        return result
    following = _next_year(academic_year, by)
    current = {
        e.student_id: e
        for e in Enrolment.objects.filter(
            academic_year=academic_year, student__in=[r.student for r in rows]
        ).select_related("classroom")
    }
    upper = next_level(grade_level)
    classrooms: dict[tuple[int, int], Classroom] = {
        (c.grade_level_id, c.room): c for c in Classroom.objects.filter(school=school, academic_year=following)
    }
    numbers: dict[int, int] = {}
    now = timezone.now()
    with audited(by, f"เลื่อนชั้นสิ้นปีการศึกษา {academic_year.year}"):
        for row in rows:
            student = row.student
            if row.decision == Decision.GRADUATE:
                StatusChange.objects.create(
                    school=school,
                    student=student,
                    kind=StatusChange.Kind.GRADUATION,
                    date=academic_year.end_date,
                    reason=f"จบการศึกษาชั้น {grade_level}",
                    last_grade=grade_level.short_name,
                    recorded_by=by,
                )
                student.status = Student.Status.GRADUATED
                student.save(update_fields=["status", "updated_at"])
                result.graduated += 1
            else:
                target = upper if row.decision == Decision.PROMOTE else grade_level
                if target is None:
                    raise ValidationError({"decisions": f"{student.full_name}: ไม่มีชั้นถัดจาก {grade_level} ให้เลื่อน"})
                enrolment = current.get(student.pk)
                room = enrolment.classroom.room if enrolment and enrolment.classroom else 1
                classroom = classrooms.get((target.pk, room))
                if classroom is None:
                    capacity = enrolment.classroom.capacity if enrolment and enrolment.classroom else 40
                    classroom = Classroom.objects.create(
                        school=school, academic_year=following, grade_level=target, room=room, capacity=capacity
                    )
                    classrooms[(target.pk, room)] = classroom
                    result.classrooms_created += 1
                if classroom.pk not in numbers:
                    numbers[classroom.pk] = Enrolment.objects.filter(classroom=classroom).count()
                _, created = Enrolment.objects.get_or_create(
                    school=school,
                    student=student,
                    academic_year=following,
                    defaults={"grade_level": target, "classroom": classroom, "number": numbers[classroom.pk] + 1},
                )
                if created:
                    numbers[classroom.pk] += 1
                if row.decision == Decision.PROMOTE:
                    result.promoted += 1
                else:
                    result.repeated += 1
            row.applied_at = now
            row.save(update_fields=["applied_at"])
    # Graduates leave the roll: their risk flags clear at once (earlywarning).
    hooks.notify(hooks.STUDENTS_CHANGED, [row.student_id for row in rows if row.decision == Decision.GRADUATE])
    return result
