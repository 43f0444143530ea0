"""The set-based GPA recompute (academics.gpa.recompute, one SQL statement) against the pure
rules of academics.grading (academics.gpa.compute, the oracle): on random approved results —
grades 0–4 in halves, ร, มส, activities ผ/มผ, secondary subjects with credits, primary year
courses weighted hours/40, results not yet approved, a student who moved school — the stored
records equal the oracle's field by field, and a recompute with nothing changed writes nothing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from academics import gpa, grading
from academics.models import CourseSection, GPARecord, Result, ResultStatus, Subject
from tests import factories as f

FIELDS = ("school_id", "scope", "term_id", "academic_year_id", "gpa", "attempted", "earned")
FIELDS += ("earned_basic", "earned_additional", "unresolved", "failed")
ONE_PLACE = Decimal("0.1")


def stored(value):
    """A figure as the column keeps it (attempted and earned have one decimal place)."""
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP) if isinstance(value, Decimal) else value


def oracle(student_ids) -> set[tuple]:
    rows = set()
    for record in gpa.compute(student_ids):
        figures = [getattr(record, field) for field in FIELDS]
        rows.add((record.student_id, *(figures[:4]), figures[4], *(stored(v) for v in figures[5:])))
    return rows


def in_database(student_ids) -> set[tuple]:
    return set(GPARecord.objects.filter(student_id__in=student_ids).values_list("student_id", *FIELDS))


@pytest.fixture
def place(db):
    """Two schools with two academic years of terms each, and a pool of subjects: secondary
    basic/additional with credits, activities, primary subjects with hours and no credits."""
    school_a, school_b = f.SchoolFactory(), f.SchoolFactory()
    terms = []
    for school in (school_a, school_b):
        for year in (2568, 2569):
            terms += list(f.make_year(school, year).terms.order_by("number"))
    subjects = {}
    for school in (school_a, school_b):
        pool = [
            f.make_subject(school, "ท21101", credits=Decimal("1.5")),
            f.make_subject(school, "ค21101", credits=Decimal("1.0")),
            f.make_subject(school, "ว21201", credits=Decimal("0.5")),  # additional
            f.make_subject(school, "ง21201", credits=Decimal("2.0")),  # additional
            f.make_subject(
                school, "ก1", "ลูกเสือ", kind=Subject.Kind.ACTIVITY, activity=Subject.Activity.SCOUTS, credits=0, hours=30
            ),
            f.make_subject(school, "ท11101", credits=0, hours=200),  # primary, per year
            f.make_subject(school, "ส11101", credits=0, hours=50),
            f.make_subject(school, "อ11201", credits=0, hours=40),
        ]
        subjects[school.pk] = pool
    students = [f.StudentFactory(school=school_a) for _ in range(3)]
    return {"schools": (school_a, school_b), "terms": terms, "subjects": subjects, "students": students}


RESULTS = st.sampled_from((*grading.ALL_RESULTS, ""))
ROW = st.tuples(
    st.integers(0, 2),  # student
    st.integers(0, 7),  # term (4 per school: 2 years × 2 terms)
    st.integers(0, 7),  # subject
    RESULTS,
    st.booleans(),  # approved
    st.sampled_from([None, 25, 100]),  # the section's own hours (a year course's per-term share)
    st.booleans(),  # spans the year (primary subjects only)
)


def build(place, rows) -> list[Result]:
    results = []
    for index, (student, term, subject, result, approved, hours, spans_year) in enumerate(rows):
        term = place["terms"][term]
        subject = place["subjects"][term.school_id][subject]
        primary = not subject.credits and subject.kind != Subject.Kind.ACTIVITY
        section = CourseSection.objects.create(
            school_id=term.school_id,
            term=term.academic_year.terms.get(number=1) if primary and spans_year else term,
            subject=subject,
            group_name=f"กลุ่ม {index}",
            spans_year=primary and spans_year,
            hours=hours if primary else None,
            result_status=ResultStatus.APPROVED if approved else ResultStatus.DRAFT,
        )
        results.append(
            Result.objects.create(
                school_id=term.school_id, section=section, student=place["students"][student], result=result
            )
        )
    return results


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=24), dropped=st.sets(st.integers(0, 23)))
# (4 + 3.5 + 3.5) / 3 = 3.666…: truncated to 3.66, never rounded to 3.67
@example(
    rows=[(0, 0, 1, "4", True, None, False), (0, 0, 1, "3.5", True, None, False)] * 1
    + [(0, 0, 1, "3.5", True, None, False)],
    dropped=set(),
)
# a primary year course of 50 hours (1.25) with a 200-hour one: (2 × 1.25 + 3 × 5) / 6.25 = 2.8
@example(
    rows=[(1, 0, 6, "2", True, None, True), (1, 1, 5, "3", True, None, True), (1, 1, 4, "มผ", True, None, False)],
    dropped={2},
)
def test_the_sql_recompute_stores_what_the_grading_rules_compute(place, rows, dropped):
    ids = [student.pk for student in place["students"]]
    with transaction.atomic():
        results = build(place, rows)
        gpa.recompute(ids)
        assert in_database(ids) == oracle(ids)
        # Results taken away (a section reopened, a result deleted): records change or go.
        Result.objects.filter(pk__in=[r.pk for i, r in enumerate(results) if i in dropped]).delete()
        gpa.recompute(ids)
        assert in_database(ids) == oracle(ids)
        assert gpa.recompute(ids) == 0
        transaction.set_rollback(True)


def xmins(student_ids) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, xmin::text, computed_at FROM {GPARecord._meta.db_table} WHERE student_id = ANY(%s)",  # noqa: S608
            [list(student_ids)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def test_a_recompute_with_nothing_changed_writes_no_row(place):
    ids = [student.pk for student in place["students"]]
    build(
        place,
        [
            (0, 0, 0, "3.5", True, None, False),
            (0, 1, 1, "0", True, None, False),
            (0, 0, 5, "4", True, None, True),
            (1, 2, 6, "ร", True, None, False),
            (1, 2, 4, "ผ", True, None, False),
            (2, 4, 2, "2.5", True, None, False),  # the other school: the student moved
        ],
    )
    assert gpa.recompute(ids) > 0
    before = xmins(ids)
    assert before
    assert gpa.recompute(ids) == 0
    assert gpa.recompute_all_gpa(place["schools"][0].pk) == 0
    assert gpa.recompute_all_gpa() == 0
    assert xmins(ids) == before
    assert in_database(ids) == oracle(ids)


def test_the_nightly_recompute_of_a_school_and_of_every_school_agree_with_the_rules(place):
    ids = [student.pk for student in place["students"]]
    results = build(
        place,
        [
            (0, 0, 0, "3.5", True, None, False),
            (0, 1, 7, "1.5", True, 25, True),
            (1, 3, 3, "มส", True, None, False),
            (2, 6, 1, "2", True, None, False),  # school B
            (2, 0, 1, "4", True, None, False),
        ],
    )
    assert gpa.recompute_all_gpa(place["schools"][0].pk) > 0
    assert in_database(ids) == oracle(ids)
    # A result reopened: the nightly run of the school removes the record it leaves empty.
    CourseSection.objects.filter(pk=results[2].section_id).update(result_status=ResultStatus.DRAFT)
    assert gpa.recompute_all_gpa(place["schools"][0].pk) == 3  # term, year, cumulative of student 1
    assert not GPARecord.objects.filter(student_id=ids[1]).exists()
    GPARecord.objects.all().delete()
    gpa.recompute_all_gpa()
    assert in_database(ids) == oracle(ids)
