"""Reads of the early warning for its pages and APIs: constant queries whatever the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from schools.models import School
from students.models import Enrolment, Student

from . import followup
from .access import (
    alerts_visible_to,
    deliveries_visible_to,
    hide_care_reasons,
    may_record_interventions,
    risk_statuses_visible_to,
    summary_school_ids,
)
from .models import Alert, Delivery, Dimension, Intervention, Level, RiskStatus, RiskStatusChange


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
        """Every dimension, ปกติ where there is no flag."""
        flags = {s.dimension: s for s in self.statuses}
        return [(d, label, flags.get(d)) for d, label in Dimension.choices]


def student_risk(student, *, user) -> StudentRisk:
    """The student's flags and their history, as `user` may read them (care reasons hidden from
    those who do not read the child's care records: access.hide_care_reasons)."""
    return StudentRisk(
        statuses=hide_care_reasons(user, RiskStatus.objects.filter(student=student).order_by("dimension")),
        changes=hide_care_reasons(user, RiskStatusChange.objects.filter(student=student).order_by("-at", "-id")[:100]),
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


# --- Interventions ------------------------------------------------------------------------------


@dataclass
class FlagInterventions:
    """One dimension of a student: the flag it has today (None: ปกติ now), what was done about it,
    and whether that was in time."""

    dimension: str
    label: str
    flag: RiskStatus | None
    interventions: list[Intervention]
    follow_up: followup.FollowUp | None
    errors: dict = field(default_factory=dict)  # the add form's errors, after a refused post
    posted: dict = field(default_factory=dict)  # and what was typed, to show again

    @property
    def open(self) -> list[Intervention]:
        return [i for i in self.interventions if i.is_open]


@dataclass
class InterventionPanel:
    """The context of templates/earlywarning/_interventions.html (include it with
    `{% include "earlywarning/_interventions.html" with panel=panel %}`)."""

    student: Student
    flags: list[FlagInterventions]
    allowed_days: int
    today: date
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(Intervention.Kind.choices))
    unplaced: dict = field(default_factory=dict)  # a refused form that is not on the page (a flag gone)

    def show_refused(self, key: str, errors, posted: dict) -> None:
        """Put a refused form's errors and values back beside it: key `new-<dimension>` for the
        add form of a flag, `close-<code>` for the close form of an intervention."""
        placed = False
        for row in self.flags:
            if key == f"new-{row.dimension}" and row.flag is not None:
                row.errors, row.posted, placed = dict(errors), posted, True
            for intervention in row.interventions:
                if key == f"close-{intervention.code}":
                    intervention.close_errors, intervention.close_posted = dict(errors), posted
                    placed = True
        if not placed:
            self.unplaced = dict(errors)

    @property
    def flagged(self) -> list[FlagInterventions]:
        return [row for row in self.flags if row.flag is not None]


def _follow_up(flag: RiskStatus, interventions: list[Intervention], *, today: date, allowed: int):
    return followup.follow_up(
        raised_on=timezone.localdate(flag.since),
        today=today,
        allowed_days=allowed,
        has_open=any(i.is_open for i in interventions),
        closed_since=any(i.closed_at is not None and i.closed_at >= flag.since for i in interventions),
    )


def intervention_panel(*, student: Student, user) -> InterventionPanel | None:
    """Every flag of the student with its interventions, for someone who may record them (None
    for anyone else, who sees the flags without them). Three queries whatever the rows."""
    if not may_record_interventions(user, student):
        return None
    today = timezone.localdate()
    allowed = followup.allowed_days(student.school.policy)
    statuses = {s.dimension: s for s in RiskStatus.objects.filter(student=student)}
    interventions: dict[str, list[Intervention]] = {}
    for row in Intervention.objects.filter(student=student).select_related("owner", "closed_by"):
        interventions.setdefault(row.dimension, []).append(row)
    order = list(Dimension.values)
    dimensions = sorted(set(statuses) | set(interventions), key=order.index)
    flags = [
        FlagInterventions(
            dimension=d,
            label=Dimension(d).label,
            flag=statuses.get(d),
            interventions=interventions.get(d, []),
            follow_up=_follow_up(statuses[d], interventions.get(d, []), today=today, allowed=allowed)
            if d in statuses
            else None,
        )
        for d in dimensions
    ]
    flags.sort(key=lambda row: row.flag is None)
    return InterventionPanel(student=student, flags=flags, allowed_days=allowed, today=today)


def student_interventions(*, student: Student) -> QuerySet[Intervention]:
    """A student's interventions, newest first (one query)."""
    return Intervention.objects.filter(student=student).select_related("owner", "closed_by", "student")


@dataclass
class FollowUpRow:
    flag: RiskStatus
    classroom: str
    owners: list
    follow_up: followup.FollowUp


FOLLOW_UP_ORDER = {followup.OVERDUE: 0, followup.WAITING: 1, followup.OPEN: 2, followup.CLOSED: 3}


def follow_up_list(*, school: School, state: str = "") -> list[FollowUpRow]:
    """Every flag of the school with whether it was acted on: overdue first (longest without
    action first), then waiting, in progress, handled. The owners are the homeroom teachers of
    the student's classroom this year. Four queries whatever the rows."""
    today = timezone.localdate()
    allowed = followup.allowed_days(school.policy)
    same_flag = {"student_id": OuterRef("student_id"), "dimension": OuterRef("dimension")}
    enrolments = Prefetch(
        "student__enrolments",
        queryset=Enrolment.objects.filter(
            school=school, academic_year__start_date__lte=today, academic_year__end_date__gte=today
        )
        .select_related("classroom__grade_level", "grade_level")
        .prefetch_related("classroom__homeroom_teachers"),
        to_attr="current_enrolments",
    )
    flags = (
        RiskStatus.objects.filter(school=school)
        .select_related("student")
        .annotate(
            has_open=Exists(Intervention.objects.filter(**same_flag, status=Intervention.State.OPEN)),
            closed_since=Exists(
                Intervention.objects.filter(
                    **same_flag, status=Intervention.State.CLOSED, closed_at__gte=OuterRef("since")
                )
            ),
        )
        .prefetch_related(enrolments)
        .order_by("since", "student__first_name", "student__last_name", "dimension")
    )
    rows = []
    for flag in flags:
        state_now = followup.follow_up(
            raised_on=timezone.localdate(flag.since),
            today=today,
            allowed_days=allowed,
            has_open=flag.has_open,
            closed_since=flag.closed_since,
        )
        if state and state_now.state != state:
            continue
        owners = [
            teacher
            for enrolment in flag.student.current_enrolments
            if enrolment.classroom is not None
            for teacher in enrolment.classroom.homeroom_teachers.all()
        ]
        rows.append(FollowUpRow(flag=flag, classroom=classroom_of(flag), owners=owners, follow_up=state_now))
    rows.sort(key=lambda row: (FOLLOW_UP_ORDER[row.follow_up.state], -row.follow_up.days))
    return rows


def follow_up_counts(rows: list[FollowUpRow]) -> dict[str, int]:
    counts = dict.fromkeys(FOLLOW_UP_ORDER, 0)
    for row in rows:
        counts[row.follow_up.state] += 1
    return counts


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
