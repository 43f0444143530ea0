"""Reads of the early-childhood evaluation: a school's framework, a classroom's grid for a term,
the classroom's summary (children per level per domain), one child's development over the
years, and the year's outcome per child for the promotion proposal.

A fixed number of queries whatever the number of children: levels are summarised in Python
(academics.early_childhood) from one query of assessments, never one query per child.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from academics import early_childhood as rules
from academics import grading
from academics.models import (
    EarlyChildhoodAbsence,
    EarlyChildhoodAssessment,
    EarlyChildhoodDomain,
    EarlyChildhoodIndicator,
    EarlyChildhoodLevel,
    EarlyChildhoodStandard,
)
from schools.models import AcademicYear, School, Term
from schools.selectors.organisation import school_days
from students.models import Classroom, Enrolment, GradeLevel, Student

# --- The framework ---------------------------------------------------------------------------------


@dataclass
class Domain:
    key: str
    label: str
    standards: list[EarlyChildhoodStandard]

    @property
    def indicators(self) -> list[EarlyChildhoodIndicator]:
        return [indicator for standard in self.standards for indicator in standard.indicator_list]


@dataclass
class Framework:
    standards: list[EarlyChildhoodStandard]
    levels: dict[int, str]  # value -> label, best first

    @property
    def domains(self) -> list[Domain]:
        return [
            Domain(key, label, [s for s in self.standards if s.domain == key])
            for key, label in EarlyChildhoodDomain.choices
        ]

    @property
    def indicators(self) -> list[EarlyChildhoodIndicator]:
        return [indicator for standard in self.standards for indicator in standard.indicator_list]

    @property
    def level_choices(self) -> list[tuple[int, str]]:
        return list(self.levels.items())

    @property
    def shape(self) -> list[tuple[int, str, list[str]]]:
        return [(s.number, s.domain, [i.number for i in s.indicator_list]) for s in self.standards]

    def label(self, level: int | None) -> str:
        return "" if level is None else self.levels.get(level, str(level))

    def summarise(self, levels: dict[str, int | None]) -> rules.Summary:
        return rules.summarise(self.shape, levels)


def framework_of(school: School | int) -> Framework:
    """The school's standards with their indicators, and its levels: three queries."""
    school_id = school if isinstance(school, int) else school.pk
    standards = list(
        EarlyChildhoodStandard.objects.filter(school_id=school_id)
        .order_by("number")
        .prefetch_related(
            Prefetch("indicators", queryset=EarlyChildhoodIndicator.objects.order_by("order"), to_attr="indicator_list")
        )
    )
    levels = dict(
        EarlyChildhoodLevel.objects.filter(school_id=school_id).order_by("-value").values_list("value", "label")
    )
    return Framework(standards=standards, levels=levels)


def is_kindergarten_level(level: GradeLevel | None) -> bool:
    return level is not None and level.stage == GradeLevel.Stage.KINDERGARTEN


# --- Attendance ---------------------------------------------------------------------------------------


def term_days(terms: list[Term], school_id: int, *, today: date | None = None) -> dict[int, int]:
    """School days of each term so far (the whole term once it has ended): two queries."""
    if not terms:
        return {}
    today = today or timezone.localdate()
    start = min(t.start_date for t in terms)
    end = min(max(t.end_date for t in terms), today)
    if end < start:
        return {t.pk: 0 for t in terms}
    days = school_days(school_id, start, end)
    return {t.pk: sum(1 for d in days if t.start_date <= d <= min(t.end_date, today)) for t in terms}


def attendance_percent(open_days: int, absent: int) -> Decimal | None:
    return grading.attendance_percent(max(open_days - absent, 0), open_days) if open_days else None


# --- A classroom's grid ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainLevel:
    key: str
    label: str
    level: int | None
    level_label: str


def domain_levels(summary: rules.Summary, labels: dict[int, str]) -> list[DomainLevel]:
    return [
        DomainLevel(key, label, summary.domains.get(key), labels.get(summary.domains.get(key), "") or "")
        for key, label in EarlyChildhoodDomain.choices
    ]


@dataclass
class GridRow:
    enrolment: Enrolment
    levels: dict[int, int | None]  # indicator pk -> level
    summary: rules.Summary
    days_absent: int
    labels: dict[int, str]

    @property
    def student(self) -> Student:
        return self.enrolment.student

    @property
    def domain_levels(self) -> list[DomainLevel]:
        return domain_levels(self.summary, self.labels)

    def domain_level(self, key: str) -> DomainLevel:
        return next(d for d in self.domain_levels if d.key == key)


@dataclass
class Grid:
    classroom: Classroom
    term: Term
    framework: Framework
    open_days: int
    rows: list[GridRow] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for row in self.rows if row.summary.complete)


def classroom_enrolments(classroom: Classroom, *, student_ids: Iterable[int] | None = None) -> list[Enrolment]:
    queryset = Enrolment.objects.filter(classroom=classroom).select_related("student")
    if student_ids is not None:
        queryset = queryset.filter(student_id__in=list(student_ids))
    return list(queryset.order_by("number", "student__student_number", "student__first_name"))


def classroom_grid(
    classroom: Classroom, term: Term, framework: Framework, *, student_ids: Iterable[int] | None = None
) -> Grid:
    """Every child of the classroom (or those asked for) with their levels for the term."""
    enrolments = classroom_enrolments(classroom, student_ids=student_ids)
    ids = [e.student_id for e in enrolments]
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for student_id, indicator_id, level in EarlyChildhoodAssessment.objects.filter(
        term=term, student_id__in=ids
    ).values_list("student_id", "indicator_id", "level"):
        found[student_id][indicator_id] = level
    absent = dict(
        EarlyChildhoodAbsence.objects.filter(term=term, student_id__in=ids).values_list("student_id", "days_absent")
    )
    indicators = framework.indicators
    grid = Grid(
        classroom=classroom,
        term=term,
        framework=framework,
        open_days=term_days([term], classroom.school_id).get(term.pk, 0),
    )
    for enrolment in enrolments:
        levels = {i.pk: found[enrolment.student_id].get(i.pk) for i in indicators}
        by_number = {i.number: levels[i.pk] for i in indicators}
        grid.rows.append(
            GridRow(
                enrolment=enrolment,
                levels=levels,
                summary=framework.summarise(by_number),
                days_absent=absent.get(enrolment.student_id, 0),
                labels=framework.levels,
            )
        )
    return grid


# --- Summaries --------------------------------------------------------------------------------------


@dataclass
class DomainCount:
    key: str
    label: str
    counts: list[tuple[int, str, int]]  # (level, label, children)
    missing: int


def domain_counts(framework: Framework, summaries: Iterable[rules.Summary]) -> list[DomainCount]:
    summaries = list(summaries)
    table = []
    for key, label in EarlyChildhoodDomain.choices:
        counter = Counter(s.domains.get(key) for s in summaries)
        table.append(
            DomainCount(
                key=key,
                label=label,
                counts=[(value, name, counter.get(value, 0)) for value, name in framework.levels.items()],
                missing=counter.get(None, 0),
            )
        )
    return table


@dataclass
class ChildYear:
    """One child's development over the terms of a year and the year's summary."""

    enrolment: Enrolment
    by_term: dict[int, rules.Summary]  # term pk -> summary
    year: rules.Summary
    days_absent: int
    open_days: int
    labels: dict[int, str]
    terms: list[Term]
    standards: list[EarlyChildhoodStandard]

    @property
    def student(self) -> Student:
        return self.enrolment.student

    @property
    def attendance(self) -> Decimal | None:
        return attendance_percent(self.open_days, self.days_absent)

    @property
    def standard_levels(self) -> list[tuple[EarlyChildhoodStandard, int | None, str]]:
        """Each standard with its year level and label."""
        return [
            (s, self.year.standards.get(s.number), self.labels.get(self.year.standards.get(s.number), ""))
            for s in self.standards
        ]

    @property
    def year_domains(self) -> list[DomainLevel]:
        return domain_levels(self.year, self.labels)

    @property
    def term_domains(self) -> list[tuple[Term, rules.Summary, list[DomainLevel]]]:
        return [(t, self.by_term[t.pk], domain_levels(self.by_term[t.pk], self.labels)) for t in self.terms]


def _year_of(framework: Framework, terms: list[Term], enrolments: list[Enrolment], school_id: int) -> list[ChildYear]:
    """Each child's term and year summaries: two queries plus the school days (two)."""
    ids = [e.student_id for e in enrolments]
    numbers = {i.pk: i.number for i in framework.indicators}
    levels: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for student_id, term_id, indicator_id, level in EarlyChildhoodAssessment.objects.filter(
        term__in=terms, student_id__in=ids
    ).values_list("student_id", "term_id", "indicator_id", "level"):
        if indicator_id in numbers:
            levels[student_id][term_id][numbers[indicator_id]] = level
    absent: dict[int, int] = defaultdict(int)
    for student_id, days in EarlyChildhoodAbsence.objects.filter(term__in=terms, student_id__in=ids).values_list(
        "student_id", "days_absent"
    ):
        absent[student_id] += days
    days_by_term = term_days(terms, school_id)
    open_days = sum(days_by_term.values())
    rows = []
    for enrolment in enrolments:
        per_term = levels[enrolment.student_id]
        by_term = {t.pk: framework.summarise(per_term.get(t.pk, {})) for t in terms}
        latest = {
            number: rules.latest_level([per_term.get(t.pk, {}).get(number) for t in terms])
            for number in numbers.values()
        }
        rows.append(
            ChildYear(
                enrolment=enrolment,
                by_term=by_term,
                year=framework.summarise(latest),
                days_absent=absent[enrolment.student_id],
                open_days=open_days,
                labels=framework.levels,
                terms=terms,
                standards=framework.standards,
            )
        )
    return rows


def classroom_summary(classroom: Classroom, framework: Framework) -> dict:
    """The classroom's year: each child's domain levels per term and for the year, and the
    number of children at each level in each domain (per term and for the year)."""
    terms = list(Term.objects.filter(academic_year_id=classroom.academic_year_id).order_by("number"))
    children = _year_of(framework, terms, classroom_enrolments(classroom), classroom.school_id)
    return {
        "terms": terms,
        "children": children,
        "term_counts": [(t, domain_counts(framework, [c.by_term[t.pk] for c in children])) for t in terms],
        "year_counts": domain_counts(framework, [c.year for c in children]),
    }


@dataclass
class ChildRecordYear:
    academic_year: AcademicYear
    classroom: Classroom | None
    terms: list[Term]
    child: ChildYear


def child_record(student: Student) -> dict:
    """A child's development in every kindergarten year of theirs (newest first)."""
    enrolments = list(
        Enrolment.objects.filter(student=student, grade_level__stage=GradeLevel.Stage.KINDERGARTEN)
        .select_related("student", "academic_year", "classroom__grade_level", "grade_level")
        .order_by("-academic_year__year")
    )
    frameworks: dict[int, Framework] = {}
    years = []
    for enrolment in enrolments:
        school_id = enrolment.school_id
        if school_id not in frameworks:
            frameworks[school_id] = framework_of(school_id)
        terms = list(Term.objects.filter(academic_year_id=enrolment.academic_year_id).order_by("number"))
        (child,) = _year_of(frameworks[school_id], terms, [enrolment], school_id)
        years.append(
            ChildRecordYear(
                academic_year=enrolment.academic_year, classroom=enrolment.classroom, terms=terms, child=child
            )
        )
    framework = frameworks.get(enrolments[0].school_id) if enrolments else None
    return {"years": years, "framework": framework}


def year_outcomes(student_ids: Iterable[int], academic_year: AcademicYear) -> dict[int, tuple[str, ChildYear]]:
    """For the promotion proposal: each kindergarten child's grade code and year summary."""
    enrolments = list(
        Enrolment.objects.filter(
            academic_year=academic_year,
            student_id__in=list(student_ids),
            grade_level__stage=GradeLevel.Stage.KINDERGARTEN,
        ).select_related("student", "grade_level")
    )
    if not enrolments:
        return {}
    framework = framework_of(academic_year.school_id)
    terms = list(Term.objects.filter(academic_year=academic_year).order_by("number"))
    children = _year_of(framework, terms, enrolments, academic_year.school_id)
    return {c.enrolment.student_id: (c.enrolment.grade_level.code, c) for c in children}
