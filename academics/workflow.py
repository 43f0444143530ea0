"""The approval chain of a section's results and the changes to approved results.

teacher submits → head of learning area forwards → registrar checks → principal approves.
Any reviewer may return the results to the teacher with a comment. Approved results are
locked; afterwards a result changes only through a ResultChange (remedial exam, special exam,
resolving ร, re-study or a correction) that the registrar approves.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinfo import dirty
from qinfo.audit import audited
from schools.access.organisation import scope_for
from schools.models import StaffMembership, User

from . import grading
from .access import heads_area_of, teaches_section
from .locking import lock_section
from .models import (
    CourseSection,
    Registration,
    Result,
    ResultChange,
    ResultReview,
    ResultStatus,
    Subject,
)
from .policy import policy_for
from .results import recompute_results

Role = StaffMembership.Role
S = ResultStatus

# action -> (from statuses, to status, who may do it)
TRANSITIONS = {
    "submit": ((S.DRAFT,), S.SUBMITTED, "teacher"),
    "forward": ((S.SUBMITTED,), S.AREA_APPROVED, "area_head"),
    "check": ((S.SUBMITTED, S.AREA_APPROVED), S.REGISTRAR_APPROVED, "registrar"),
    "approve": ((S.REGISTRAR_APPROVED,), S.APPROVED, "principal"),
    "return": ((S.SUBMITTED, S.AREA_APPROVED, S.REGISTRAR_APPROVED), S.DRAFT, "reviewer"),
}
ACTION_LABELS = {
    "submit": "ส่งผลการเรียน",
    "forward": "ส่งต่องานทะเบียน-วัดผล",
    "check": "ตรวจแล้ว เสนอผู้อำนวยการ",
    "approve": "อนุมัติผลการเรียน",
    "return": "ส่งคืนครูผู้สอน",
}


def _roles_in(user, school_id: int) -> set[str]:
    scope = scope_for(user)
    if scope.is_admin:
        return {Role.ADMIN, Role.REGISTRAR, Role.PRINCIPAL}
    return set(scope.school_roles.get(school_id, frozenset()))


def is_area_head(user, section: CourseSection) -> bool:
    return heads_area_of(user, section)


TEACHING_ROLES = {Role.TEACHER, Role.HOMEROOM_TEACHER}
MANAGERS = {Role.ADMIN, Role.REGISTRAR}


def _registrar_in_line(section: CourseSection) -> bool:
    """Whether the school has a registrar who does not teach the section. When it has none, the
    principal checks the results in the registrar's place: the next reviewer in line."""
    teachers = section.section_teachers.values("teacher_id")
    return (
        StaffMembership.objects.filter(school_id=section.school_id, role=Role.REGISTRAR, is_active=True)
        .exclude(user_id__in=teachers)
        .exists()
    )


def can_act(user, section: CourseSection, action: str, *, as_role: str | None = None) -> bool:
    """Whether `user` may take `action` on the section's results now.

    Nobody reviews (forwards, checks, approves or returns) results of a section they teach,
    whatever other role they hold; the next reviewer in line does it (another head of the
    area or the registrar, who may check submitted results directly; the principal when every
    registrar teaches the section). `as_role`, the role chosen in the role switcher, limits the
    user to what that role does; None (API clients) means every role held."""
    sources, _, who = TRANSITIONS[action]
    if section.result_status not in sources:
        return False
    roles = _roles_in(user, section.school_id)
    if as_role is not None:
        roles = roles & ({Role.ADMIN, Role.REGISTRAR, Role.PRINCIPAL} if as_role == Role.ADMIN else {as_role})
    # Listed as a teacher of the section at all, whatever the state of their membership.
    teaches = section.section_teachers.filter(teacher=user).exists()
    if who == "teacher":
        own = teaches_section(user, section) and (as_role is None or as_role in TEACHING_ROLES)
        return own or bool(roles & MANAGERS)
    if teaches:
        return False
    head = (as_role is None or as_role == Role.AREA_HEAD) and is_area_head(user, section)
    principal = bool(roles & {Role.PRINCIPAL, Role.ADMIN})
    if who == "area_head":
        return head or bool(roles & MANAGERS)
    if who == "registrar":
        return bool(roles & MANAGERS) or (principal and not _registrar_in_line(section))
    if who == "principal":
        return principal
    # return: whoever would act next on it
    if section.result_status == S.SUBMITTED:
        return head or bool(roles & MANAGERS) or (principal and not _registrar_in_line(section))
    if section.result_status == S.AREA_APPROVED:
        return bool(roles & MANAGERS) or (principal and not _registrar_in_line(section))
    return bool(roles & {Role.PRINCIPAL, Role.ADMIN, Role.REGISTRAR})


def available_actions(user, section: CourseSection, *, as_role: str | None = None) -> list[tuple[str, str]]:
    return [
        (action, ACTION_LABELS[action]) for action in TRANSITIONS if can_act(user, section, action, as_role=as_role)
    ]


def _missing_results(section: CourseSection) -> int:
    registered = Registration.objects.filter(section=section).count()
    complete = Result.objects.filter(section=section).exclude(result="").count()
    return registered - complete


@transaction.atomic
def section_transition(
    *, section: CourseSection, action: str, by: User, comment: str = "", as_role: str | None = None
) -> CourseSection:
    if action not in TRANSITIONS:
        raise ValidationError({"action": "ไม่รู้จักคำสั่งนี้"})
    section = lock_section(section.pk)
    if not can_act(by, section, action, as_role=as_role):
        reviewing = action != "submit" and section.result_status in TRANSITIONS[action][0]
        if reviewing and section.section_teachers.filter(teacher=by).exists():
            raise ValidationError(
                {"action": f"ท่านเป็นครูผู้สอนกลุ่มการเรียนนี้ จึง{ACTION_LABELS[action]}ไม่ได้ ผู้พิจารณาลำดับถัดไปจะดำเนินการแทน"}
            )
        raise ValidationError(
            {"action": f"ไม่สามารถ{ACTION_LABELS[action]}ได้ในขั้นตอนนี้ (สถานะปัจจุบัน: {section.get_result_status_display()})"}
        )
    if action == "return" and not comment.strip():
        raise ValidationError({"comment": "กรุณาระบุเหตุผลที่ส่งคืน เพื่อให้ครูผู้สอนแก้ไขได้ตรงจุด"})
    if action == "submit":
        recompute_results(section, by=by)
        missing = _missing_results(section)
        if missing:
            raise ValidationError(
                {"action": f"ยังมีนักเรียน {missing} คนที่ผลการเรียนไม่ครบ (คะแนนยังกรอกไม่ครบทุกช่อง) กรุณากรอกให้ครบก่อนส่ง"}
            )
    _, target, _ = TRANSITIONS[action]
    with audited(by, comment or ACTION_LABELS[action]):
        ResultReview.objects.create(
            school_id=section.school_id,
            section=section,
            from_status=section.result_status,
            to_status=target,
            by=by,
            comment=comment.strip(),
        )
        section.result_status = target
        section.save(update_fields=["result_status"])
        if target == S.APPROVED:
            Result.objects.filter(section=section).update(original_result=F("result"))
    if target == S.APPROVED:
        from .gpa import GPA_SECTION

        dirty.mark(GPA_SECTION, section.pk)
        transaction.on_commit(lambda: _results_changed(section.pk))
    return section


def _results_changed(section_id: int) -> None:
    from .gpa import recompute_gpa_for_section

    recompute_gpa_for_section.delay(section_id)


# --- Changes to approved results ------------------------------------------------------------------

KIND_RULES = {
    ResultChange.Kind.REMEDIAL: ("0",),
    ResultChange.Kind.SPECIAL_EXAM: (grading.NOT_ELIGIBLE,),
    ResultChange.Kind.RESOLVE_INCOMPLETE: (grading.INCOMPLETE,),
    ResultChange.Kind.RESTUDY: ("0", grading.NOT_ELIGIBLE),
}


@transaction.atomic
def result_change_request(
    *,
    result: Result,
    kind: str,
    reason: str,
    by: User,
    new_total: Decimal | None = None,
    new_result: str | None = None,
) -> ResultChange:
    result = Result.objects.select_for_update().select_related("section__subject", "section__school").get(pk=result.pk)
    section = result.section
    if section.result_status != S.APPROVED:
        raise ValidationError({"kind": "แก้ไขผ่านคำร้องได้เฉพาะผลการเรียนที่อนุมัติแล้ว (ระหว่างภาคแก้ในตารางคะแนน)"})
    if not reason.strip():
        raise ValidationError({"reason": "กรุณาระบุเหตุผล"})
    if ResultChange.objects.filter(result=result, status=ResultChange.Status.PENDING).exists():
        raise ValidationError({"kind": "มีคำร้องของนักเรียนคนนี้ที่รออนุมัติอยู่แล้ว"})
    if kind not in ResultChange.Kind.values:
        raise ValidationError({"kind": "ไม่รู้จักประเภทการแก้ไข"})
    policy = policy_for(section.school)
    allowed_from = KIND_RULES.get(kind)
    if allowed_from and result.result not in allowed_from:
        label = ResultChange.Kind(kind).label
        allowed = " หรือ ".join(allowed_from)
        raise ValidationError({"kind": f"{label} ใช้ได้กับผล {allowed} เท่านั้น (ผลปัจจุบัน {result.result})"})
    attempt = 1
    try:
        if kind == ResultChange.Kind.REMEDIAL:
            attempt = (
                ResultChange.objects.filter(result=result, kind=kind, status=ResultChange.Status.APPROVED).count() + 1
            )
            computed = grading.remedial_result(original="0", new_total=new_total, attempt=attempt, policy=policy)
        elif kind == ResultChange.Kind.SPECIAL_EXAM:
            if new_total is None:
                raise grading.RemedyError("กรุณากรอกคะแนนสอบพิเศษ")
            computed = grading.special_exam_result(
                attendance=result.attendance_percent or Decimal("0"), new_total=new_total, policy=policy
            )
        elif kind in (ResultChange.Kind.RESOLVE_INCOMPLETE, ResultChange.Kind.RESTUDY):
            if new_total is None:
                raise grading.RemedyError("กรุณากรอกคะแนนใหม่")
            computed = grading.incomplete_result(new_total=new_total)
        else:
            if new_result not in grading.ALL_RESULTS:
                raise grading.RemedyError("กรุณาเลือกผลการเรียนที่ถูกต้อง")
            activity = section.subject.kind == Subject.Kind.ACTIVITY
            if activity != (new_result in (grading.ACTIVITY_PASS, grading.ACTIVITY_FAIL)):
                raise grading.RemedyError("กิจกรรมใช้ผล ผ/มผ ส่วนรายวิชาใช้ 0–4 ร มส")
            computed = new_result
    except grading.RemedyError as error:
        raise ValidationError({"new_total": str(error)}) from None
    except ValueError as error:
        raise ValidationError({"new_total": str(error)}) from None
    with audited(by, reason):
        return ResultChange.objects.create(
            school_id=result.school_id,
            result=result,
            kind=kind,
            attempt=attempt,
            new_total=new_total,
            old_result=result.result,
            new_result=computed,
            reason=reason.strip(),
            requested_by=by,
        )


@transaction.atomic
def result_change_decide(*, change: ResultChange, approve: bool, by: User, note: str = "") -> ResultChange:
    change = ResultChange.objects.select_for_update().select_related("result").get(pk=change.pk)
    if change.status != ResultChange.Status.PENDING:
        raise ValidationError({"status": "คำร้องนี้พิจารณาไปแล้ว"})
    if change.requested_by_id == by.pk and not scope_for(by).is_admin:
        raise ValidationError({"status": "ผู้ยื่นคำร้องอนุมัติคำร้องของตนเองไม่ได้"})
    if not approve and not note.strip():
        raise ValidationError({"note": "กรุณาระบุเหตุผลที่ไม่อนุมัติ"})
    result = Result.objects.select_for_update().get(pk=change.result_id)
    with audited(by, f"{'อนุมัติ' if approve else 'ไม่อนุมัติ'}คำร้อง: {change.reason}"):
        change.status = ResultChange.Status.APPROVED if approve else ResultChange.Status.REJECTED
        change.decided_by, change.decided_at, change.decision_note = by, timezone.now(), note.strip()
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if approve:
            if not result.original_result:
                result.original_result = result.result
            result.result = change.new_result
            if change.new_total is not None:
                result.total = change.new_total
            result.attempt = change.attempt if change.kind == ResultChange.Kind.REMEDIAL else result.attempt
            result.save(update_fields=["result", "total", "attempt", "original_result", "updated_at"])
    if approve:
        from .gpa import GPA_STUDENT

        student_id = result.student_id
        dirty.mark(GPA_STUDENT, student_id)
        transaction.on_commit(lambda: _student_changed(student_id))
    return change


def _student_changed(student_id: int) -> None:
    from .gpa import recompute_gpa_for_students

    recompute_gpa_for_students.delay([student_id])
