"""Who sees the early warning.

A student's flags (status, reasons, history) are seen by the homeroom teachers of the student's
classroom this year, and by the school-wide staff of the student's school (principal, registrar,
counsellor, school admin), and by a system admin. Nobody else: not a subject teacher, not an
officer (who sees counts per school only: `summary_school_ids`), not a parent (their alerts
are a later feature). Rules are read by the school-wide staff and the officers overseeing the
school (they are transparent, and hold no one's data) and edited by its admin or registrar; an
area's rows by the area's district officers (see "An area's rules" below).

Interventions (what the school did about a flag) are care records: read and recorded by the
people who care for the child, as the home visits are (students.access care rules): this year's
homeroom teachers of the child's classroom, the school's counsellors and principal, and a system
admin. The principal's follow-up list (flags left without action) is theirs school-wide; the
number of days it allows is set by the school's admin, registrar or principal.

The reasons of a flag that quote a care record (the poverty screen, a home visit, an SDQ form:
rules.CARE_INDICATORS) are shown only to those who may read the child's care records; the
registrar or a school admin sees the flag with one neutral line instead (`hide_care_reasons`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from qinfo.access import get_visible_or_404
from schools.access.organisation import SCHOOL_MANAGER_ROLES, SCHOOL_WIDE_ROLES, Role, scope_for
from schools.models import EducationArea, School
from students.access import (
    care_record_filter,
    care_school_ids,
    care_students_visible_to,
    homeroom_classrooms,
    homeroom_student_ids,
)
from students.models import Classroom, Guardian, Student

from .models import Alert, Delivery, Intervention, RiskStatus


def risk_school_ids(user) -> frozenset[int] | None:
    """Schools whose every flag the user sees (None: all, for a system admin)."""
    if not user.is_authenticated:
        return frozenset()
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*SCHOOL_WIDE_ROLES)


def risk_statuses_visible_to(user) -> QuerySet[RiskStatus]:
    queryset = RiskStatus.objects.all()
    schools = risk_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(student_id__in=homeroom_student_ids(user)))


def risk_students_visible_to(user) -> QuerySet[Student]:
    queryset = Student.objects.select_related("school")
    schools = risk_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(pk__in=homeroom_student_ids(user)))


def access_student_risk(user, code) -> Student:
    return get_visible_or_404(risk_students_visible_to(user), code=code)


def risk_classrooms_visible_to(user) -> QuerySet[Classroom]:
    queryset = Classroom.objects.select_related("grade_level", "academic_year", "school")
    schools = risk_school_ids(user)
    if schools is None:
        return queryset
    return queryset.filter(Q(school_id__in=schools) | Q(pk__in=homeroom_classrooms(user).values("pk")))


def access_classroom_risk(user, code) -> Classroom:
    return get_visible_or_404(risk_classrooms_visible_to(user), code=code)


def access_school_risk(user, code) -> School:
    """A school whose whole list the user reads (school-wide staff, admin)."""
    schools = risk_school_ids(user)
    queryset = School.objects.select_related("area")
    if schools is not None:
        queryset = queryset.filter(pk__in=schools)
    return get_visible_or_404(queryset, code=code)


def risk_school_for(user, code: str | None) -> School:
    """The school a school-wide list works on: the one named, else the user's first."""
    if code:
        return access_school_risk(user, code)
    schools = risk_school_ids(user)
    queryset = School.objects.order_by("name")
    school = (queryset if schools is None else queryset.filter(pk__in=schools)).first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school


def summary_school_ids(user) -> frozenset[int] | None:
    """Schools whose counts the user sees: school-wide staff and the officers overseeing them."""
    if not user.is_authenticated:
        return frozenset()
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*SCHOOL_WIDE_ROLES) | scope.overseen_school_ids


def risk_rule_schools(user, *, write: bool = False) -> QuerySet[School]:
    queryset = School.objects.select_related("area")
    if not user.is_authenticated:
        return queryset.none()
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    ids = scope.school_ids_with(*SCHOOL_MANAGER_ROLES) if write else summary_school_ids(user)
    return queryset.filter(pk__in=ids)


def access_rule_school(user, code, *, write: bool = False) -> School:
    return get_visible_or_404(risk_rule_schools(user, write=write), code=code)


def rule_school_for(user, code: str | None, *, write: bool = False) -> School:
    """The school a rules page works on: the one named, else the user's first."""
    if code:
        return access_rule_school(user, code, write=write)
    school = risk_rule_schools(user, write=write).order_by("name").first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school


# --- An area's rules ---------------------------------------------------------------------------
# An area's rows apply to the schools whose area it is (School.area); a school's own row still
# overrides them. They are read and edited by the area's district officers (the one role held in
# an area: StaffMembership's area memberships are district officers only; an officer of an area
# holds its sub-areas too, as for every read) and by a system admin. A grouping (a province, an
# innovation area) is no school's area: it has no rules. School staff edit their school's copy,
# never the area's: every other user gets a 404.


def risk_rule_areas(user) -> QuerySet[EducationArea]:
    queryset = EducationArea.objects.filter(is_grouping=False)
    if not user.is_authenticated:
        return queryset.none()
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    return queryset.filter(pk__in=scope.area_ids)


def access_rule_area(user, code) -> EducationArea:
    return get_visible_or_404(risk_rule_areas(user), code=code)


# --- Reasons from care records ----------------------------------------------------------------

CARE_REASON_HIDDEN = (
    "มีเหตุผลจากข้อมูลการดูแลนักเรียน (การเยี่ยมบ้าน การคัดกรองนักเรียนยากจน SDQ หรือภาวะโภชนาการ) "
    "ซึ่งเห็นได้เฉพาะครูประจำชั้น ครูแนะแนว และผู้บริหารโรงเรียน"
)
_SEVERITY_RANK = {"at_risk": 1, "problem": 2}


def care_reader(user) -> Callable[[int, int], bool]:
    """(student id, school id) -> whether the user reads that child's care records
    (students.access care rules), decided without a query per child."""
    if not user.is_authenticated:
        return lambda _student, _school: False
    schools = care_school_ids(user)
    if schools is None:
        return lambda _student, _school: True
    homeroom = homeroom_student_ids(user)
    return lambda student_id, school_id: school_id in schools or student_id in homeroom


def shown_reasons(reasons: list[dict], *, reads_care: bool) -> list[dict]:
    """The reasons as the reader may see them: the care ones folded into one neutral line."""
    hidden = [r for r in reasons if r.get("care")]
    if reads_care or not hidden:
        return reasons
    worst = max((r.get("severity", "at_risk") for r in hidden), key=lambda s: _SEVERITY_RANK.get(s, 0))
    kept = [r for r in reasons if not r.get("care")]
    return [*kept, {"rule": "care", "severity": worst, "text": CARE_REASON_HIDDEN, "value": "–", "care": True}]


def hide_care_reasons(user, rows: Iterable):
    """Rows with `student_id`, `school_id` and `reasons` (flags, their history, alerts), their
    care reasons hidden in memory (never saved) where the user may not read care records."""
    rows = list(rows)
    reads = care_reader(user)
    for row in rows:
        if not reads(row.student_id, row.school_id):
            row.reasons = shown_reasons(row.reasons, reads_care=False)
    return rows


# --- Interventions ------------------------------------------------------------------------------


def intervention_students_visible_to(user) -> QuerySet[Student]:
    """Students whose interventions the user reads and records."""
    return care_students_visible_to(user)


def access_intervention_student(user, code) -> Student:
    return get_visible_or_404(intervention_students_visible_to(user), code=code)


def may_record_interventions(user, student: Student) -> bool:
    return intervention_students_visible_to(user).filter(pk=student.pk).exists()


def interventions_visible_to(user) -> QuerySet[Intervention]:
    queryset = Intervention.objects.select_related("student", "school", "owner", "closed_by")
    condition = care_record_filter(user)
    return queryset if condition is None else queryset.filter(condition)


def access_intervention(user, code) -> Intervention:
    """One intervention the user may read and change (404 otherwise)."""
    return get_visible_or_404(interventions_visible_to(user), code=code)


def follow_up_schools(user) -> QuerySet[School]:
    """Schools whose follow-up list (every flag and whether it was acted on) the user reads."""
    queryset = School.objects.select_related("area")
    if not user.is_authenticated:
        return queryset.none()
    ids = care_school_ids(user)
    return queryset if ids is None else queryset.filter(pk__in=ids)


def follow_up_school_for(user, code: str | None) -> School:
    if code:
        return get_visible_or_404(follow_up_schools(user), code=code)
    school = follow_up_schools(user).order_by("name").first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school


def follow_up_policy_schools(user) -> QuerySet[School]:
    """Schools whose follow-up days the user may set: its admin, registrar or principal."""
    queryset = School.objects.select_related("area")
    if not user.is_authenticated:
        return queryset.none()
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    return queryset.filter(pk__in=scope.school_ids_with(*SCHOOL_MANAGER_ROLES, Role.PRINCIPAL))


# --- Alerts --------------------------------------------------------------------------------------
# An alert is its recipient's alone: nobody else reads it, not the admin. A parent's alert about a
# child stays readable only while the guardian link is active (an unlinked parent no longer reads
# about the child). Deliveries (what went out, what failed) are seen and retried by the school's
# admin or registrar, and by a system admin.


def alerts_visible_to(user) -> QuerySet[Alert]:
    if not user.is_authenticated:
        return Alert.objects.none()
    linked = Guardian.objects.filter(user=user, activated_at__isnull=False).values("student_id")
    return Alert.objects.filter(recipient=user).filter(Q(audience=Alert.Audience.STAFF) | Q(student_id__in=linked))


def access_alert(user, code) -> Alert:
    return get_visible_or_404(alerts_visible_to(user).select_related("student", "school"), code=code)


def delivery_schools(user) -> QuerySet[School]:
    queryset = School.objects.select_related("area").order_by("name")
    if not user.is_authenticated:
        return queryset.none()
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    return queryset.filter(pk__in=scope.school_ids_with(*SCHOOL_MANAGER_ROLES))


def delivery_school_for(user, code: str | None) -> School:
    """The school whose deliveries and channels the user manages: the one named, else the first."""
    schools = delivery_schools(user)
    school = get_visible_or_404(schools, code=code) if code else schools.first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school


def deliveries_visible_to(user) -> QuerySet[Delivery]:
    return Delivery.objects.filter(school__in=delivery_schools(user))


def access_delivery(user, code) -> Delivery:
    return get_visible_or_404(deliveries_visible_to(user), code=code)
