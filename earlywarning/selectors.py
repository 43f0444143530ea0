"""Reads of the early warning for its pages and APIs: constant queries whatever the rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import timezone

from schools.models import School
from students.models import Enrolment

from .access import alerts_visible_to, deliveries_visible_to, risk_statuses_visible_to, summary_school_ids
from .models import Alert, Delivery, Dimension, Level, RiskStatus, RiskStatusChange


def _current_enrolments() -> Prefetch:
    today = timezone.localdate()
    return Prefetch(
        "student__enrolments",
        queryset=Enrolment.objects.filter(
            academic_year__start_date__lte=today, academic_year__end_date__gte=today
        ).select_related("classroom__grade_level", "grade_level"),
        to_attr="current_enrolments",
    )


def classroom_of(status: RiskStatus) -> str:
    """The student's classroom this year, from the prefetched enrolments."""
    for enrolment in getattr(status.student, "current_enrolments", []):
        if enrolment.school_id == status.school_id:
            return enrolment.classroom.name if enrolment.classroom else enrolment.grade_level.short_name
    return ""


def risk_list(
    *, user, school: School | None = None, classroom=None, dimension: str = "", status: str = ""
) -> QuerySet[RiskStatus]:
    """The flags the user sees, worst first, then by classroom and number: two queries."""
    queryset = risk_statuses_visible_to(user).select_related("student", "school")
    if school is not None:
        queryset = queryset.filter(school=school)
    if classroom is not None:
        queryset = queryset.filter(student__enrolments__classroom=classroom)
    if dimension:
        queryset = queryset.filter(dimension=dimension)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.prefetch_related(_current_enrolments()).order_by(
        "-status", "student__first_name", "student__last_name", "dimension"
    )


@dataclass
class StudentRisk:
    statuses: list[RiskStatus]
    changes: list[RiskStatusChange]

    @property
    def by_dimension(self) -> list[tuple[str, str, RiskStatus | None]]:
        """Every dimension that has data today, ปกติ where there is no flag."""
        flags = {s.dimension: s for s in self.statuses}
        shown = [Dimension.ACADEMIC, Dimension.ATTENDANCE, Dimension.STATUS]
        shown += [d for d in flags if d not in shown]
        return [(d, Dimension(d).label, flags.get(d)) for d in shown]


def student_risk(student) -> StudentRisk:
    return StudentRisk(
        statuses=list(RiskStatus.objects.filter(student=student).order_by("dimension")),
        changes=list(RiskStatusChange.objects.filter(student=student).order_by("-at", "-id")[:100]),
    )


@dataclass
class SchoolSummary:
    school: School
    counts: dict[tuple[str, str], int]

    def count(self, dimension: str, status: str) -> int:
        return self.counts.get((dimension, status), 0)

    @property
    def students(self) -> int:
        return self.counts.get(("*", "*"), 0)


def risk_summary(*, user) -> list[SchoolSummary]:
    """Counts per school, dimension and status (no names): two grouped queries."""
    ids = summary_school_ids(user)
    schools = School.objects.order_by("name")
    if ids is not None:
        schools = schools.filter(pk__in=ids)
    schools = list(schools)
    counts: dict[int, dict] = {s.pk: {} for s in schools}
    rows = (
        RiskStatus.objects.filter(school__in=schools)
        .values("school_id", "dimension", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["school_id"]][(row["dimension"], row["status"])] = row["n"]
    flagged = (
        RiskStatus.objects.filter(school__in=schools)
        .values("school_id")
        .annotate(n=Count("student_id", distinct=True))
        .order_by()
    )
    for row in flagged:
        counts[row["school_id"]][("*", "*")] = row["n"]
    return [SchoolSummary(school, counts[school.pk]) for school in schools]


LEVELS = [(Level.PROBLEM, Level.PROBLEM.label), (Level.AT_RISK, Level.AT_RISK.label)]


# --- Alerts --------------------------------------------------------------------------------------


def alert_list(*, user, unread_only: bool = False) -> QuerySet[Alert]:
    """The user's alerts, unread first, newest first within each: one query (with the student)."""
    queryset = alerts_visible_to(user).select_related("student")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return queryset.annotate(unread=unread).order_by("-unread", "-created_at", "-id")


def unread_alert_count(user) -> int:
    """The top bar's badge: one count on the partial index of unread alerts."""
    return alerts_visible_to(user).filter(read_at__isnull=True).count()


def parent_alerts_by_child(user, *, per_child: int = 5) -> dict[int, list[Alert]]:
    """The latest parent alerts of each linked child for the parent home: one query."""
    out: dict[int, list[Alert]] = {}
    recent = alerts_visible_to(user).filter(audience=Alert.Audience.PARENT).order_by("-created_at", "-id")[:200]
    for alert in recent:
        shown = out.setdefault(alert.student_id, [])
        if len(shown) < per_child:
            shown.append(alert)
    return out


def delivery_list(*, user, school: School, status: str = "") -> QuerySet[Delivery]:
    """A school's deliveries not yet sent (failed first, then waiting), with their alerts."""
    queryset = deliveries_visible_to(user).filter(school=school).exclude(status=Delivery.Status.SENT)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("alert__student", "alert__recipient").order_by("status", "next_attempt_at")
