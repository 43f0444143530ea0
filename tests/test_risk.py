"""The early warning's risk status: the set-based recompute against the pure rules (the oracle),
history rows, only changed rows written, demographics that change nothing, the incremental
recompute after an absence and after an approval (one of them in a real Celery worker), the
rules a school edits, and who sees what (pages and APIs, 404 for outsiders, constant queries).

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pghistory.models import Events

from academics import gpa, workflow
from academics.models import CourseSection, GPARecord, Result, ResultStatus
from earlywarning import figures as fig
from earlywarning import rules, tasks
from earlywarning.models import RiskRule, RiskStatus, RiskStatusChange
from earlywarning.services import rules as rule_services
from earlywarning.services import status as services
from qinfo import dirty
from schools.models import School, Term
from schools.selectors.organisation import school_days
from students.models import (
    DailyAttendance,
    HomeVisit,
    Measurement,
    MeasurementRound,
    PovertyScreening,
    SdqAssessment,
    Student,
    TransferRequest,
)
from students.services import attendance as attendance_services

from . import factories as f
from .conftest import wait_for

D = Decimal
TODAY = date(2026, 12, 2)
Status = DailyAttendance.Status


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def year_days(world) -> list[date]:
    """Every school day of school A's year up to and including today, oldest first."""
    return school_days(world.school_a, world.class_a.academic_year.start_date, TODAY)


def chronic_text(missed: int, days: int) -> str:
    shown = rules.format_figure(fig.missed_percent(missed, days), "missed_percent")
    return f"ขาดเรียน {missed} จาก {days} วันเรียน ({shown}%)"


def days_up_to_today(world, count: int) -> list[date]:
    days = school_days(world.school_a, TODAY - timedelta(days=count * 3), TODAY)
    return days[-count:]


def absent(world, student, days, status=Status.ABSENT):
    DailyAttendance.objects.bulk_create(
        DailyAttendance(school=world.school_a, classroom=world.class_a, student=student, date=day, status=status)
        for day in days
    )


def statuses() -> dict[tuple[int, str], tuple[str, list[str]]]:
    return {(s.student_id, s.dimension): (s.status, [r["text"] for r in s.reasons]) for s in RiskStatus.objects.all()}


# --- The oracle: the figures counted in Python from the rows, then the pure rules -----------------


def oracle_figures(student: Student) -> dict | None:
    enrolment = (
        student.enrolments.select_related("academic_year", "grade_level")
        .filter(school_id=student.school_id, academic_year__start_date__lte=TODAY, academic_year__end_date__gte=TODAY)
        .first()
    )
    if student.status != Student.Status.STUDYING or enrolment is None:
        return None
    year = enrolment.academic_year
    days = set(school_days(student.school_id, year.start_date, min(TODAY, year.end_date)))
    marks = [
        (m.date, m.status in DailyAttendance.MISSED)
        for m in DailyAttendance.objects.filter(student=student, school_id=student.school_id)
        if m.date in days
    ]
    missed = sum(1 for _d, is_missed in marks if is_missed)
    age, over = fig.years_over_age(student.birth_date, year.start_date, enrolment.grade_level.order)
    figures = {
        "year": year.year,
        "grade": enrolment.grade_level.short_name,
        "age": age,
        "years_over_age": over,
        "transfer_out_pending": TransferRequest.objects.filter(
            student=student, from_school_id=student.school_id, status="pending"
        ).count(),
        "gpax": None,
        "term_gpa": None,
        "term_label": None,
    }
    cumulative = GPARecord.objects.filter(student=student, scope="cumulative").first()
    figures["gpax"] = cumulative.gpa if cumulative else None
    term = (
        GPARecord.objects.filter(student=student, scope="term", gpa__isnull=False)
        .select_related("term__academic_year")
        .order_by("-term__start_date")
        .first()
    )
    if term:
        figures["term_gpa"] = term.gpa
        figures["term_label"] = f"{term.term.number}/{term.term.academic_year.year}"
    results = list(Result.objects.filter(student=student).select_related("section__subject", "section__term"))
    approved = [
        r for r in results if r.section.result_status == ResultStatus.APPROVED and r.section.subject.kind != "activity"
    ]
    in_year = [r for r in results if r.section.term.academic_year_id == year.pk]
    figures["zeros_in_year"] = sum(1 for r in approved if r.result == "0" and r in in_year)
    # ร/มส past the end of the term after theirs (at the section's school), plus the grace days.
    grace = fig.grace_days(student.school.policy.get(fig.GRACE_POLICY_KEY))
    overdue = []
    for r in sorted(approved, key=lambda r: (r.section.term.start_date, r.section.subject.subject_code, r.pk)):
        term = r.section.term
        following = sorted(
            (t for t in Term.objects.filter(school_id=term.school_id) if t.start_date > term.start_date),
            key=lambda t: t.start_date,
        )
        if r.result in ("ร", "มส") and following and following[0].end_date + timedelta(days=grace) < TODAY:
            overdue.append(f"{r.section.subject.subject_code} {r.result}")
    figures["unresolved"] = len(overdue)
    figures["unresolved_courses"] = ", ".join(overdue) or None
    figures["ms_courses"] = sum(1 for r in in_year if r.result == "มส")
    if marks:
        figures.update(
            recorded_days=len(marks),
            school_days=len(days),
            missed_days=missed,
            missed_percent=fig.missed_percent(missed, len(days)),
            absence_streak=fig.absence_streak(marks),
        )
    figures.update(care_figures(student, year))
    return figures


def care_figures(student: Student, year) -> dict:
    """Health, economic and family figures from the year's records at the student's school: the
    latest measurement, the screening, the latest home visit, the latest form of each informant."""
    scope = {"student": student, "school_id": student.school_id}
    out = {}
    measured = sorted(
        (m for m in Measurement.objects.filter(**scope, round__academic_year=year).select_related("round")
         if m.measured_on <= TODAY),
        key=lambda m: (m.measured_on, m.round.start_date, m.pk),
    )  # fmt: skip
    if measured:
        latest = measured[-1]
        headline = latest.wfh_code or latest.bfa_code
        if headline:
            out["nutrition_thin"] = int(headline in ("thin", "bmi_thinness", "bmi_severe_thinness"))
            out["nutrition_obese"] = int(headline in ("obese", "bmi_obese"))
        if latest.hfa_code:
            out["nutrition_short"] = int(latest.hfa_code == "short")
    screening = PovertyScreening.objects.filter(**scope, academic_year=year).first()
    if screening:
        out["poverty_eligible"] = int(screening.eligible)
    visits = sorted(
        HomeVisit.objects.filter(**scope, academic_year=year), key=lambda v: (v.visited_on, v.created_at, v.pk)
    )
    if visits:
        out["home_visit_risks"] = len(set(visits[-1].risks))
    latest_form = {}
    for form in sorted(
        SdqAssessment.objects.filter(**scope, academic_year=year), key=lambda a: (a.filled_on, a.created_at, a.pk)
    ):
        latest_form[form.informant] = form.status
    if latest_form:
        out["sdq_band"] = max({"normal": 0, "risk": 1, "problem": 2}[s] for s in latest_form.values())
    return out


def oracle(students) -> dict:
    in_force = services.rules_by_school({s.school_id for s in students})
    out = {}
    for student in students:
        student.refresh_from_db()
        figures = oracle_figures(student)
        if figures is None:
            continue
        for dimension, status in rules.evaluate(figures, in_force[student.school_id]).items():
            if status.status != rules.NORMAL:
                out[(student.pk, dimension)] = (status.status, [r["text"] for r in status.reasons])
    return out


# --- The recompute ----------------------------------------------------------------------------


def test_the_nightly_recompute_flags_a_chronic_absentee_with_the_reason_and_its_figures(world):
    days = year_days(world)
    n, k = len(days), -(-len(days) // 5)  # missed on a fifth of the school days so far
    absent(world, world.student_a, days[:k])
    absent(world, world.student_a, days[k:], Status.PRESENT)
    absent(world, world.student_a2, days, Status.PRESENT)
    outcome = services.recompute_all()
    assert outcome.written == 1
    flag = RiskStatus.objects.get(student=world.student_a)
    assert (flag.dimension, flag.status) == ("attendance", "at_risk")
    assert [r["text"] for r in flag.reasons] == [chronic_text(k, n)]
    assert not RiskStatus.objects.filter(student=world.student_a2).exists()


def test_a_low_gpax_is_a_problem_and_a_second_run_writes_nothing(world):
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.42"))
    services.recompute_all()
    flag = RiskStatus.objects.get(student=world.student_a, dimension="academic")
    assert (flag.status, flag.reasons[0]["text"]) == ("problem", "ผลการเรียนเฉลี่ยสะสม 1.42")
    assert services.recompute_all().written == 0
    assert services.recompute([world.student_a.pk]).written == 0


def test_history_records_when_a_flag_is_raised_escalated_and_cleared(world):
    term_1 = world.class_a.academic_year.terms.get(number=1)
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="term", term=term_1, gpa=D("1.90"))
    services.recompute([world.student_a.pk])
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.20"))
    services.recompute([world.student_a.pk])
    first_since = RiskStatus.objects.get(student=world.student_a).since
    GPARecord.objects.filter(student=world.student_a).delete()
    services.recompute([world.student_a.pk])
    changes = list(
        RiskStatusChange.objects.filter(student=world.student_a)
        .order_by("at", "id")
        .values_list("from_status", "to_status")
    )
    assert changes == [("normal", "at_risk"), ("at_risk", "problem"), ("problem", "normal")]
    assert first_since is not None
    assert not RiskStatus.objects.filter(student=world.student_a).exists()
    # The status rows themselves are audited by the history triggers too.
    assert Events.objects.filter(pgh_model="earlywarning.RiskStatusEvent").count() >= 3


def test_the_recompute_runs_inside_an_audit_context_as_in_a_request(world):
    from qinfo.audit import audited

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.0"))
    with audited(world.user("registrar"), "ทดสอบ"):
        assert services.recompute([world.student_a.pk]).written == 1


def test_a_student_who_leaves_loses_their_flags(world):
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.0"))
    services.recompute_all()
    Student.objects.filter(pk=world.student_a.pk).update(status=Student.Status.TRANSFERRED_OUT)
    services.recompute_all()
    assert not RiskStatus.objects.filter(student=world.student_a).exists()
    assert RiskStatusChange.objects.filter(student=world.student_a, to_status="normal").count() == 1


def test_over_age_and_a_pending_transfer_out_are_status_flags(world, registrar_c):
    Student.objects.filter(pk=world.student_a.pk).update(birth_date=date(2011, 5, 1))
    from students.services.status import transfer_request

    transfer_request(
        school=world.school_c, identifier=world.student_a2.national_id, student_number="70001", date=TODAY,
        academic_year=world.class_c.academic_year, grade_level=f.grade("M1"), by=registrar_c,
    )  # fmt: skip
    services.recompute_all()
    found = statuses()
    assert found[(world.student_a.pk, "status")] == ("at_risk", ["อายุ 15 ปี สูงกว่าเกณฑ์ของชั้น ม.1 (3 ปี)"])
    assert found[(world.student_a2.pk, "status")] == ("at_risk", ["มีคำขอย้ายออกไปโรงเรียนอื่นรออนุมัติ"])


def test_sex_ethnicity_nationality_and_religion_change_no_status(world, registrar_c):
    from students.services.status import transfer_request

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.3"))
    # Status flags too: student B over-age for ม.1, student A2 asked for by school C.
    Student.objects.filter(pk=world.student_b.pk).update(birth_date=date(2011, 5, 1))
    transfer_request(
        school=world.school_c, identifier=world.student_a2.national_id, student_number="70001", date=TODAY,
        academic_year=world.class_c.academic_year, grade_level=f.grade("M1"), by=registrar_c,
    )  # fmt: skip
    absent(world, world.student_a2, days_up_to_today(world, 4))
    care_records(
        world, [world.student_a, world.student_a2, world.student_b], [world.class_a, world.class_a, world.class_b],
        measures=[(0, 1, 0, "", "short", "bmi_obese")], screenings=[(1, True)], visits=[(2, 0, ["drugs"])],
        forms=[(0, "teacher", 0, "problem")],
    )  # fmt: skip
    services.recompute_all()
    before = statuses()
    assert {d for _s, d in before} == {"academic", "attendance", "health", "economic", "family", "status"}
    assert before[(world.student_b.pk, "status")][0] == before[(world.student_a2.pk, "status")][0] == "at_risk"
    assert before[(world.student_a2.pk, "status")][1] == ["มีคำขอย้ายออกไปโรงเรียนอื่นรออนุมัติ"]
    for sex, religion, nationality, ethnicity in (("F", "อิสลาม", "เมียนมา", "มอญ"), ("M", "คริสต์", "ลาว", "ม้ง")):
        Student.objects.update(sex=sex, religion=religion, nationality=nationality, ethnicity=ethnicity)
        assert services.recompute_all().written == 0
        assert statuses() == before


# Random records: marks on the term's school days (and a Saturday, which never counts), approved
# and draft results with 0/ร/มส, GPA records from the approved ones, birth dates, a transfer.
MARK = st.tuples(st.integers(0, 2), st.integers(0, 14), st.sampled_from([s.value for s in Status]))
# Terms 0, 1: this year's; 2, 3: last year's (their ร/มส are past the next semester by now).
RESULT = st.tuples(
    st.integers(0, 2), st.integers(0, 3), st.sampled_from(["4", "2", "1", "0", "ร", "มส"]), st.booleans()
)

# Care records: (who, round or day, codes…). Measurements: (who, round, day, wfh, hfa, bfa);
# screenings: (who, eligible); home visits: (who, day, risks); SDQ forms: (who, informant, day, status).
MEASURE = st.tuples(
    st.integers(0, 2), st.integers(0, 1), st.integers(0, 20),
    st.sampled_from(["", "thin", "slightly_thin", "proportional", "overweight", "obese"]),
    st.sampled_from(["", "short", "slightly_short", "normal_height"]),
    st.sampled_from(["", "bmi_severe_thinness", "bmi_thinness", "bmi_normal", "bmi_overweight", "bmi_obese"]),
)  # fmt: skip
SCREEN = st.tuples(st.integers(0, 2), st.booleans())
VISIT = st.tuples(st.integers(0, 2), st.integers(0, 20), st.lists(st.sampled_from(HomeVisit.Risk.values), max_size=3))
SDQ = st.tuples(
    st.integers(0, 2), st.sampled_from(SdqAssessment.Informant.values), st.integers(0, 20),
    st.sampled_from(SdqAssessment.Status.values),
)  # fmt: skip


def care_records(world, students, classrooms, measures, screenings, visits, forms) -> None:
    """Rows as the care services store them (their scoring is tested in test_care/test_measurements)."""
    year = world.class_a.academic_year
    teacher = world.user("teacher_a")
    rounds = [
        MeasurementRound.objects.create(school=world.school_a, academic_year=year, name=name, start_date=start)
        for name, start in (("รอบ 1", date(2026, 6, 1)), ("รอบ 2", date(2026, 11, 2)))
    ]
    seen = set()
    for who, round_, day, wfh, hfa, bfa in measures:
        if (who, round_) in seen:
            continue
        seen.add((who, round_))
        Measurement.objects.create(
            school=world.school_a, round=rounds[round_], student=students[who], classroom=classrooms[who],
            measured_on=rounds[round_].start_date + timedelta(days=day), weight_kg=D("40"), height_cm=D("150"),
            wfh_code=wfh, hfa_code=hfa, bfa_code=bfa,
        )  # fmt: skip
    for who, eligible in dict(screenings).items():
        PovertyScreening.objects.create(
            school=world.school_a, student=students[who], academic_year=year, income_per_person=D("1000"),
            eligible=eligible, reason="ทดสอบ", screened_by=teacher,
        )  # fmt: skip
    for who, day, risks in visits:
        HomeVisit.objects.create(
            school=world.school_a, student=students[who], academic_year=year, visited_on=TODAY - timedelta(days=day),
            visitor=teacher, met_whom="mother", housing="rent", family="together", risks=sorted(set(risks)),
        )  # fmt: skip
    for who, informant, day, status in forms:
        SdqAssessment.objects.create(
            school=world.school_a, student=students[who], academic_year=year, informant=informant, answers=[0] * 25,
            total_difficulties=0, prosocial=0, status=status, filled_on=TODAY - timedelta(days=day), filled_by=teacher,
        )  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    marks=st.lists(MARK, max_size=30),
    results=st.lists(RESULT, max_size=10),
    births=st.lists(st.sampled_from([date(2013, 6, 1), date(2012, 1, 1), date(2010, 3, 3)]), min_size=3, max_size=3),
    pending=st.booleans(),
    measures=st.lists(MEASURE, max_size=5),
    screenings=st.lists(SCREEN, max_size=3),
    visits=st.lists(VISIT, max_size=4),
    forms=st.lists(SDQ, max_size=6),
    # The school's grace days after the next semester: 2568's term 2 is due on 11 October 2569,
    # so with 51 days it is overdue on 2 December, with 52 it is due that very day.
    grace=st.sampled_from([0, 51, 52]),
)
# A run of three, four 0 grades, มส in a draft, ร approved, over-age, a transfer, a Saturday mark;
# a thin child measured again as obese (the latest counts), a short one, an eligible screening, a
# visit with risks followed by one without, a teacher's problem form superseded by a normal one
# while the parent's says risk.
@example(
    marks=[(0, 11, "ข"), (0, 12, "ข"), (0, 13, "ป"), (1, 13, "/"), (2, 14, "ข"), (2, 13, "ข")],
    results=[(0, 0, "0", True)] * 4 + [(1, 1, "มส", False), (2, 0, "ร", True), (1, 0, "1", True)],
    births=[date(2013, 6, 1), date(2010, 3, 3), date(2012, 1, 1)],
    pending=True,
    measures=[(0, 0, 0, "thin", "", ""), (0, 1, 0, "", "normal_height", "bmi_obese"), (1, 1, 3, "", "short", "")],
    screenings=[(2, True), (1, False)],
    visits=[(1, 10, ["drugs", "games"]), (1, 2, []), (2, 5, ["economy"])],
    forms=[(0, "teacher", 9, "problem"), (0, "teacher", 1, "normal"), (0, "parent", 4, "risk")],
    grace=0,
)
# Last year's ร and มส: overdue, or due today with 52 grace days.
@example(
    marks=[], results=[(0, 3, "ร", True), (0, 2, "มส", True), (1, 3, "มส", True), (2, 1, "ร", True)],
    births=[date(2013, 6, 1)] * 3, pending=False, measures=[], screenings=[], visits=[], forms=[], grace=52,
)  # fmt: skip
def test_the_set_based_recompute_agrees_with_the_pure_rules_on_random_records(
    world, marks, results, births, pending, measures, screenings, visits, forms, grace
):
    students = [world.student_a, world.student_a2, world.student_b]
    classrooms = [world.class_a, world.class_a, world.class_b]
    days = [*days_up_to_today(world, 14), date(2026, 11, 28)]
    with transaction.atomic():
        last_year = f.make_year(world.school_a, 2568)
        terms = [*world.class_a.academic_year.terms.order_by("number"), *last_year.terms.order_by("number")]
        School.objects.filter(pk=world.school_a.pk).update(policy={fig.GRACE_POLICY_KEY: grace})
        subject = f.make_subject(world.school_a, "ท21101", credits=D("1.0"))
        for student, birth in zip(students, births, strict=True):
            Student.objects.filter(pk=student.pk).update(birth_date=birth)
        seen = set()
        for who, day, status in marks:
            if (who, day) in seen:
                continue
            seen.add((who, day))
            DailyAttendance.objects.create(
                school=world.school_a, classroom=classrooms[who], student=students[who], date=days[day], status=status
            )
        for index, (who, term, result, approved) in enumerate(results):
            section = CourseSection.objects.create(
                school=world.school_a, term=terms[term], subject=subject, group_name=f"กลุ่ม {index}",
                result_status=ResultStatus.APPROVED if approved else ResultStatus.DRAFT,
            )  # fmt: skip
            Result.objects.create(school=world.school_a, section=section, student=students[who], result=result)
        if pending:
            TransferRequest.objects.create(
                school=world.school_c, from_school=world.school_a, student=world.student_b, student_number="9",
                academic_year=world.class_c.academic_year, grade_level=f.grade("M1"), requested_by=world.user("admin"),
            )  # fmt: skip
        care_records(world, students, classrooms, measures, screenings, visits, forms)
        gpa.recompute([s.pk for s in students])
        services.recompute_all()
        assert statuses() == oracle([*students, world.student_c])
        # The explicit examples only (a random draw may start the same way).
        if results == [(0, 3, "ร", True), (0, 2, "มส", True), (1, 3, "มส", True), (2, 1, "ร", True)] and grace == 52:
            found = statuses()
            assert found[(world.student_a.pk, "academic")] == ("at_risk", ["ติด ร/มส เกินกำหนดแก้ 1 รายวิชา (ท21101 มส)"])
            assert (world.student_a2.pk, "academic") not in found
        if marks == [(0, 11, "ข"), (0, 12, "ข"), (0, 13, "ป"), (1, 13, "/"), (2, 14, "ข"), (2, 13, "ข")] and pending:
            found = statuses()
            assert {d for _s, d in found} == {"academic", "attendance", "status", "health", "economic", "family"}
            assert found[(world.student_a.pk, "health")] == ("at_risk", ["ภาวะโภชนาการ: อ้วน"])
            assert found[(world.student_a2.pk, "health")] == ("at_risk", ["ภาวะโภชนาการ: เตี้ย"])
            assert found[(world.student_b.pk, "economic")] == ("at_risk", ["ผ่านเกณฑ์คัดกรองนักเรียนยากจน (กสศ.01)"])
            assert found[(world.student_b.pk, "family")] == ("at_risk", ["การเยี่ยมบ้านพบความเสี่ยง 1 ด้าน"])
            assert found[(world.student_a.pk, "family")] == ("at_risk", ["ผลประเมิน SDQ อยู่ในกลุ่มเสี่ยง"])
            assert (world.student_a2.pk, "family") not in found  # the latest visit found nothing
        services.recompute([s.pk for s in students])
        assert statuses() == oracle([*students, world.student_c])
        # The risk benchmark's one-statement baseline agrees too (it is the bench's yardstick).
        assert {(k[0], k[1], v[0]) for k, v in statuses().items()} == bench_baseline()
        transaction.set_rollback(True)


def bench_baseline() -> set:
    from bench.bench_risk import BASELINE_SQL
    from earlywarning.indicators import population_params

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, population_params(TODAY))
        return set(cursor.fetchall())


# --- ร/มส past their deadline, in SQL ------------------------------------------------------------


def test_a_ร_is_flagged_from_the_day_after_the_next_semester_ends_plus_the_schools_grace_days(world):
    """A ร of term 1/2569 (approved) is due by the end of term 2/2569; the recompute (SQL)
    flags it the day after, not the day before nor the day itself; grace days move it."""
    term1, term2 = world.class_a.academic_year.terms.order_by("number")
    subject = f.make_subject(world.school_a, "ท21101", credits=D("1.0"))
    section = CourseSection.objects.create(
        school=world.school_a, term=term1, subject=subject, group_name="1", result_status=ResultStatus.APPROVED
    )
    Result.objects.create(school=world.school_a, section=section, student=world.student_a, result="ร")
    deadline = term2.end_date

    def flagged_on(day) -> list[str]:
        services.recompute_all(today=day)
        row = RiskStatus.objects.filter(student=world.student_a, dimension="academic").first()
        return [r["text"] for r in row.reasons] if row else []

    assert flagged_on(deadline - timedelta(days=1)) == []
    assert flagged_on(deadline) == []
    assert flagged_on(deadline + timedelta(days=1)) == ["ติด ร/มส เกินกำหนดแก้ 1 รายวิชา (ท21101 ร)"]
    School.objects.filter(pk=world.school_a.pk).update(policy={fig.GRACE_POLICY_KEY: 3})
    assert flagged_on(deadline + timedelta(days=3)) == []
    assert flagged_on(deadline + timedelta(days=4)) == ["ติด ร/มส เกินกำหนดแก้ 1 รายวิชา (ท21101 ร)"]
    # Resolved (a grade replaces the ร): the flag clears.
    Result.objects.filter(section=section).update(result="1")
    assert flagged_on(deadline + timedelta(days=4)) == []


# --- Incremental: an absence, an approval -----------------------------------------------------


def test_an_absence_marks_the_student_dirty_and_queues_their_recompute_on_commit(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    days = days_up_to_today(world, 3)
    absent(world, world.student_a, days[:2])
    with django_capture_on_commit_callbacks(execute=True):
        attendance_services.daily_mark(
            classroom=world.class_a,
            student=world.student_a,
            day=TODAY,
            status=Status.ABSENT,
            by=world.user("teacher_a"),
        )
    assert dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)
    assert queued == [[world.student_a.pk]]
    # A second absence while the task waits queues nothing more (the cache mark debounces).
    with django_capture_on_commit_callbacks(execute=True):
        attendance_services.daily_mark(
            classroom=world.class_a, student=world.student_a, day=TODAY, status=Status.SICK, by=world.user("teacher_a")
        )
    assert queued == [[world.student_a.pk]]
    tasks.recompute_students_risk(queued[0])
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)
    flag = RiskStatus.objects.get(student=world.student_a, dimension="attendance")
    assert "ขาดเรียนติดต่อกัน 3 วัน" in [r["text"] for r in flag.reasons]


@pytest.fixture
def queued_recomputes(monkeypatch):
    """The risk recomputes queued on commit (tasks.enqueue's apply_async), in order."""
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    return queued


def _run_queued(queued: list[list[int]], student) -> None:
    assert queued == [[student.pk]]
    tasks.recompute_students_risk(queued.pop())


def _status_reasons(student) -> list[str]:
    flag = RiskStatus.objects.filter(student=student, dimension="status").first()
    return [] if flag is None else [r["text"] for r in flag.reasons]


PENDING_REASON = "มีคำขอย้ายออกไปโรงเรียนอื่นรออนุมัติ"


def _ask_for_a2(world, registrar_c, django_capture_on_commit_callbacks):
    from students.services.status import transfer_request

    with django_capture_on_commit_callbacks(execute=True):
        return transfer_request(
            school=world.school_c, identifier=world.student_a2.national_id, student_number="70001", date=TODAY,
            academic_year=world.class_c.academic_year, grade_level=f.grade("M1"), by=registrar_c,
        )  # fmt: skip


@pytest.mark.parametrize("decision", ["release", "refuse"])
def test_a_transfer_request_raises_the_pending_flag_at_once_and_its_decision_clears_it(
    world, registrar_c, django_capture_on_commit_callbacks, queued_recomputes, decision
):
    from students.services.status import transfer_refuse, transfer_release

    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a2.pk)
    asked = _ask_for_a2(world, registrar_c, django_capture_on_commit_callbacks)
    assert dirty.is_marked(services.RISK_STUDENT, world.student_a2.pk)
    _run_queued(queued_recomputes, world.student_a2)
    assert _status_reasons(world.student_a2) == [PENDING_REASON]
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "release":
            transfer_release(request=asked, by=world.user("registrar"))
        else:
            transfer_refuse(request=asked, reason="ผู้ปกครองขอยกเลิกการย้าย", by=world.user("registrar"))
    _run_queued(queued_recomputes, world.student_a2)  # once, however many writes told it
    assert _status_reasons(world.student_a2) == []
    change = RiskStatusChange.objects.filter(student=world.student_a2, dimension="status").order_by("at", "id")
    assert [(c.from_status, c.to_status) for c in change] == [("normal", "at_risk"), ("at_risk", "normal")]
    student = Student.objects.get(pk=world.student_a2.pk)
    assert student.school_id == (world.school_c.pk if decision == "release" else world.school_a.pk)


def test_a_refused_request_leaves_the_pending_flag_off_and_a_new_request_raises_it_again(
    world, registrar_c, django_capture_on_commit_callbacks, queued_recomputes
):
    from students.services.status import transfer_refuse

    asked = _ask_for_a2(world, registrar_c, django_capture_on_commit_callbacks)
    _run_queued(queued_recomputes, world.student_a2)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_refuse(request=asked, reason="ไม่ใช่นักเรียนคนนี้", by=world.user("registrar"))
    _run_queued(queued_recomputes, world.student_a2)
    assert _status_reasons(world.student_a2) == []
    _ask_for_a2(world, registrar_c, django_capture_on_commit_callbacks)
    _run_queued(queued_recomputes, world.student_a2)
    assert _status_reasons(world.student_a2) == [PENDING_REASON]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("leave", {}),
        ("dropout", {"reason_code": "poverty"}),
        ("transfer_out", {"other_school": "โรงเรียนบ้านดอน"}),
    ],
)
def test_a_status_change_clears_the_students_flags_at_once(
    world, django_capture_on_commit_callbacks, queued_recomputes, kind, extra
):
    from students.services.status import status_change_record

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.2"))
    services.recompute_all()
    assert RiskStatus.objects.filter(student=world.student_a, dimension="academic").exists()
    with django_capture_on_commit_callbacks(execute=True):
        status_change_record(
            student=world.student_a, kind=kind, date=TODAY, by=world.user("registrar"), **extra
        )  # fmt: skip
    assert dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)
    _run_queued(queued_recomputes, world.student_a)
    assert not RiskStatus.objects.filter(student=world.student_a).exists()
    assert RiskStatusChange.objects.filter(student=world.student_a, dimension="academic", to_status="normal").exists()
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)


def test_graduates_of_the_year_end_promotion_lose_their_flags_at_once(
    world, django_capture_on_commit_callbacks, queued_recomputes
):
    from academics import promotion
    from academics.models import PromotionDecision

    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.2"))
    services.recompute_all()
    year = world.class_a.academic_year
    registrar = world.user("registrar")
    promotion.promotion_propose(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=None)
    rows = {d.student_id: d.pk for d in PromotionDecision.objects.filter(academic_year=year)}
    promotion.promotion_confirm(
        decisions={rows[world.student_a.pk]: "graduate"}, school=world.school_a, academic_year=year, by=registrar
    )
    with django_capture_on_commit_callbacks(execute=True):
        promotion.promotion_apply(school=world.school_a, academic_year=year, grade_level=f.grade("M1"), by=registrar)
    _run_queued(queued_recomputes, world.student_a)
    assert not RiskStatus.objects.filter(student=world.student_a).exists()


def test_a_refused_status_change_tells_the_early_warning_nothing(
    world, django_capture_on_commit_callbacks, queued_recomputes
):
    from students.services.status import status_change_record

    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        status_change_record(student=world.student_a, kind="dropout", date=TODAY, by=world.user("registrar"))
    assert queued_recomputes == []
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)


def test_the_nightly_recompute_clears_the_marks_it_covers(world):
    dirty.mark_many(services.RISK_STUDENT, [world.student_a.pk, world.student_b.pk])
    services.recompute_all()
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_b.pk)


def test_a_lost_recompute_is_repaired_by_the_dirty_sweep(world, settings):
    settings.DIRTY_GRACE_SECONDS = 0
    absent(world, world.student_a, days_up_to_today(world, 3)[:2])
    attendance_services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=TODAY, status=Status.ABSENT, by=world.user("teacher_a")
    )
    assert dirty.sweep().get(services.RISK_STUDENT) == 1
    assert RiskStatus.objects.filter(student=world.student_a, dimension="attendance").exists()


def test_an_approval_that_drops_the_gpax_below_one_and_a_half_flags_the_student(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from academics.models import AssessmentItem, Score
    from academics.results import plan_for

    subject = f.make_subject(world.school_a, "ท21101", "ภาษาไทย 1", credits=D("1.5"))
    section = f.make_section(subject, world.class_a, teachers=[world.user("teacher_a")])
    plan_for(section)
    work = AssessmentItem.objects.create(school=world.school_a, section=section, name="งาน", max_score=70, order=1)
    final = AssessmentItem.objects.create(
        school=world.school_a, section=section, name="ปลาย", max_score=30, is_final=True
    )
    for student, (a, b) in ((world.student_a, (30, 10)), (world.student_a2, (60, 25))):
        for item, value in ((work, a), (final, b)):
            Score.objects.create(school=world.school_a, section=section, item=item, student=student, value=value)
    monkeypatch.setattr(
        gpa.recompute_gpa_for_section, "delay", lambda section_id: gpa.recompute_section_gpa_now(section_id)
    )
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        workflow.section_transition(section=section, action="submit", by=world.user("teacher_a"))
        workflow.section_transition(section=section, action="check", by=world.user("registrar"))
        workflow.section_transition(section=section, action="approve", by=world.user("principal"))
    assert sorted(s for ids in queued for s in ids) == sorted([world.student_a.pk, world.student_a2.pk])
    for ids in queued:
        tasks.recompute_students_risk(ids)
    flag = RiskStatus.objects.get(student=world.student_a, dimension="academic")
    assert flag.status == "problem"
    assert "ผลการเรียนเฉลี่ยสะสม 0" in [r["text"] for r in flag.reasons]


@pytest.mark.worker
def test_an_absence_recomputes_the_risk_in_a_real_worker(world, celery_worker, settings):
    absent(world, world.student_a, days_up_to_today(world, 3)[:2])
    attendance_services.daily_mark(
        classroom=world.class_a, student=world.student_a, day=TODAY, status=Status.ABSENT, by=world.user("teacher_a")
    )
    wait_for(lambda: RiskStatus.objects.filter(student=world.student_a, dimension="attendance").exists(), timeout=30)
    assert not dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)


# --- Rules a school edits ---------------------------------------------------------------------


def test_a_registrar_raises_a_threshold_for_their_school_only_and_it_is_versioned(
    world, django_capture_on_commit_callbacks
):
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.8"))
    with django_capture_on_commit_callbacks(execute=False):
        rule = rule_services.risk_rule_update(
            school=world.school_a, key="gpax_low", threshold="2.0", by=world.user("registrar")
        )
    assert (rule.school, rule.threshold, rule.version) == (world.school_a, D("2.0"), 1)
    assert RiskRule.objects.get(school__isnull=True, key="gpax_low").threshold == D("1.5")
    services.recompute_all()
    assert RiskStatus.objects.get(student=world.student_a).status == "problem"
    with django_capture_on_commit_callbacks(execute=False):
        rule = rule_services.risk_rule_update(
            school=world.school_a, key="gpax_low", enabled=False, by=world.user("registrar")
        )
    assert rule.version == 2
    assert Events.objects.filter(pgh_model="earlywarning.RiskRuleEvent", pgh_obj_id=rule.pk).count() == 2
    services.recompute_all()
    assert not RiskStatus.objects.filter(student=world.student_a).exists()


def _homeroom_lists(world) -> tuple[list[int], list[int]]:
    world.class_a.refresh_from_db()
    rates = attendance_services.classroom_rates(world.class_a)
    return [r.student.pk for r in rates.chronic], [r.student.pk for r in rates.streaks]


def _flag_reasons(world) -> list[str]:
    services.recompute_all()
    flag = RiskStatus.objects.filter(student=world.student_a, dimension="attendance").first()
    return [] if flag is None else [r["text"] for r in flag.reasons]


def test_the_schools_effective_rule_moves_the_homeroom_lists_and_the_risk_flag_together(
    world, django_capture_on_commit_callbacks
):
    days = year_days(world)
    n = len(days)
    k = -(-n // 5)  # missed on a fifth of the school days so far (>= 20 %): early on and the last two
    missed = [*days[: k - 2], *days[-2:]]
    absent(world, world.student_a, [d for d in days if d not in missed], Status.PRESENT)
    absent(world, world.student_a, missed)
    absent(world, world.student_a2, days, Status.PRESENT)
    reason = chronic_text(k, n)
    registrar = world.user("registrar")
    # The install's defaults: chronic at 10 %, a run listed from 3 days.
    assert _homeroom_lists(world) == ([world.student_a.pk], [])
    assert _flag_reasons(world) == [reason]
    # The area's row replaces the default: 25 % takes the child off the list and the flag.
    default = RiskRule.objects.get(school__isnull=True, area__isnull=True, key="chronic_absence")
    RiskRule.objects.create(
        area_id=world.school_a.area_id, key=default.key, indicator=default.indicator, comparison=default.comparison,
        threshold=D("25"), severity=default.severity, dimension=default.dimension, template=default.template,
    )  # fmt: skip
    assert _homeroom_lists(world) == ([], [])
    assert _flag_reasons(world) == []
    # The school's own rows replace the area's: 20 % and a run of 2 days put the child on both
    # lists and raise both reasons.
    with django_capture_on_commit_callbacks(execute=False):
        rule_services.risk_rule_update(school=world.school_a, key="chronic_absence", threshold="20", by=registrar)
        rule_services.risk_rule_update(school=world.school_a, key="absence_streak", threshold="2", by=registrar)
    assert _homeroom_lists(world) == ([world.student_a.pk], [world.student_a.pk])
    assert sorted(_flag_reasons(world)) == sorted([reason, "ขาดเรียนติดต่อกัน 2 วัน"])
    world.class_a.refresh_from_db()
    rates = attendance_services.classroom_rates(world.class_a)
    assert (rates.chronic_percent, rates.streak_days) == (D("20"), 2)
    # Disabling a rule stops its flag; the homeroom teacher's list keeps the threshold.
    with django_capture_on_commit_callbacks(execute=False):
        rule_services.risk_rule_update(school=world.school_a, key="absence_streak", enabled=False, by=registrar)
    assert _homeroom_lists(world) == ([world.student_a.pk], [world.student_a.pk])
    assert _flag_reasons(world) == [reason]


def test_without_a_registered_source_the_lists_use_the_install_defaults(world, monkeypatch):
    monkeypatch.setattr(attendance_services, "_threshold_source", None)
    assert attendance_services.absence_thresholds(world.school_a) == attendance_services.DEFAULT_THRESHOLDS
    defaults = {r.key: r.threshold for r in RiskRule.objects.filter(school__isnull=True, area__isnull=True)}
    assert (defaults["chronic_absence"], defaults["absence_streak"]) == (
        attendance_services.DEFAULT_THRESHOLDS.chronic_percent,
        attendance_services.DEFAULT_THRESHOLDS.streak_days,
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"threshold": "abc"}, "threshold", "เกณฑ์ต้องเป็นตัวเลข"),
        ({"threshold": "-1"}, "threshold", "เกณฑ์ต้องอยู่ระหว่าง"),
        ({"threshold": "1.555"}, "threshold", "ทศนิยมได้ไม่เกิน 2 ตำแหน่ง"),
        ({"severity": "high"}, "severity", "ระดับ “high” ไม่ถูกต้อง"),
    ],
)
def test_bad_rule_edits_are_refused_in_thai(world, change, field, message):
    with pytest.raises(ValidationError) as error:
        rule_services.risk_rule_update(school=world.school_a, key="gpax_low", by=world.user("registrar"), **change)
    assert message in error.value.message_dict[field][0]
    assert not RiskRule.objects.filter(school=world.school_a).exists()


def test_a_school_edits_a_reason_template_and_the_recompute_writes_the_new_text(
    world, django_capture_on_commit_callbacks
):
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.42"))
    services.recompute_all()
    assert RiskStatus.objects.get(student=world.student_a).reasons[0]["text"] == "ผลการเรียนเฉลี่ยสะสม 1.42"
    client = client_for(world.user("registrar"))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.patch(
            f"/api/v1/schools/{world.school_a.code}/risk-rules/gpax_low/",
            {"template": "GPAX {gpax} ต่ำกว่า {threshold} ในชั้น {grade}", "reason": "ให้ครูเห็นเกณฑ์"},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    new = "GPAX {gpax} ต่ำกว่า {threshold} ในชั้น {grade}"
    assert (response.json()["template"], response.json()["version"]) == (new, 1)
    rule = RiskRule.objects.get(school=world.school_a, key="gpax_low")
    event = Events.objects.get(pgh_model="earlywarning.RiskRuleEvent", pgh_obj_id=rule.pk)
    assert (event.pgh_data["template"], event.pgh_context["reason"]) == (rule.template, "ให้ครูเห็นเกณฑ์")
    services.recompute_all()
    flag = RiskStatus.objects.get(student=world.student_a)
    assert flag.reasons[0]["text"] == "GPAX 1.42 ต่ำกว่า 1.50 ในชั้น ม.1"
    assert services.evaluate_sql()[(world.student_a.pk, "academic")][1] == flag.reasons
    # The install's default keeps its wording (another school's reason does not change).
    assert RiskRule.objects.get(school__isnull=True, area__isnull=True, key="gpax_low").template == (
        "ผลการเรียนเฉลี่ยสะสม {gpax}"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ผลการเรียน {gpa}", "ข้อความเหตุผลใช้ตัวเลข {gpa} ไม่ได้"),
        ("ผลการเรียน {gpax} SDQ {sdq_band}", "ข้อความเหตุผลใช้ตัวเลข {sdq_band} ไม่ได้"),  # another source's (care)
        ("ผลการเรียน {gpax:.1f}", "ในรูป {ชื่อตัวชี้วัด}"),
        ("   ", "กรุณากรอกข้อความเหตุผล"),
        ("ก" * 301, "ข้อความเหตุผลยาวเกิน 300 ตัวอักษร"),
    ],
)
def test_a_bad_reason_template_is_refused_in_thai_and_nothing_changes(
    world, template, message, django_capture_on_commit_callbacks
):
    registrar, officer = client_for(world.user("registrar")), client_for(world.user("officer_1"))
    for client, url in (
        (registrar, f"/api/v1/schools/{world.school_a.code}/risk-rules/gpax_low/"),
        (officer, f"/api/v1/areas/{world.area1.code}/risk-rules/gpax_low/"),
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.patch(url, {"template": template}, content_type="application/json")
        assert response.status_code == 400
        assert message in str(response.json()["errors"]["template"])
        assert callbacks == []
    page = registrar.post(
        f"/risk/rules/gpax_low/?school={world.school_a.code}",
        {"gpax_low-threshold": "1.5", "gpax_low-severity": "problem", "gpax_low-enabled": "on",
         "gpax_low-template": template},
    )  # fmt: skip
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not RiskRule.objects.filter(school=world.school_a).exists()
    assert not RiskRule.objects.filter(area=world.area1).exists()


def test_every_shipped_template_names_only_figures_its_rule_may_use():
    from earlywarning import indicators
    from earlywarning.defaults import DEFAULT_RULES

    for rule in DEFAULT_RULES:
        named = {name for _literal, name in rules.template_parts(rule.template) if name}
        assert named <= indicators.template_figures(rule.indicator), rule.key
        RiskRule(
            key=rule.key, indicator=rule.indicator, comparison=rule.comparison, threshold=rule.threshold,
            severity=rule.severity, dimension=rule.dimension, template=rule.template,
        ).clean()  # fmt: skip
    assert "year" in indicators.template_figures("ms_courses")  # the shared source's
    assert "sdq_band" not in indicators.template_figures("gpax")


def test_an_area_officer_edits_a_reason_template_on_the_area_page(world, django_capture_on_commit_callbacks):
    officer = client_for(world.user("officer_1"))
    area_url = f"/risk/rules/area/{world.area1.code}/"
    page = officer.get(area_url).content.decode()
    assert 'name="absence_streak-template"' in page and "ขาดเรียนติดต่อกัน {absence_streak} วัน" in page
    assert "ตัวชี้วัดและด้านเป็นค่าของทั้งระบบ" in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = officer.post(
            area_url + "absence_streak/",
            {"absence_streak-threshold": "3", "absence_streak-severity": "at_risk", "absence_streak-enabled": "on",
             "absence_streak-template": "ไม่มาเรียน {absence_streak} วันติดกัน (เกณฑ์ {threshold} วัน)",
             "absence_streak-reason": "ถ้อยคำของเขต"},
        )  # fmt: skip
    assert response.status_code == 302
    assert len(callbacks) == 1  # the area's schools are recomputed
    rule = RiskRule.objects.get(area=world.area1, key="absence_streak")
    assert (rule.template, rule.version, rule.threshold) == (
        "ไม่มาเรียน {absence_streak} วันติดกัน (เกณฑ์ {threshold} วัน)", 1, D("3"),
    )  # fmt: skip
    absent(world, world.student_a, days_up_to_today(world, 3))
    assert "ไม่มาเรียน 3 วันติดกัน (เกณฑ์ 3 วัน)" in _flag_reasons(world)
    bad = officer.post(
        area_url + "absence_streak/",
        {"absence_streak-threshold": "3", "absence_streak-severity": "at_risk", "absence_streak-enabled": "on",
         "absence_streak-template": "ขาด {gpax} วัน"},
    )  # fmt: skip
    assert bad.status_code == 400 and "ข้อความเหตุผลใช้ตัวเลข {gpax} ไม่ได้" in bad.content.decode()
    rule.refresh_from_db()
    assert (rule.version, rule.template) == (1, "ไม่มาเรียน {absence_streak} วันติดกัน (เกณฑ์ {threshold} วัน)")


# --- Pages and APIs: who sees what ----------------------------------------------------------


@pytest.fixture
def flagged(world):
    """student_a (class A) and student_b (class B) with a low GPAX, student_c in school C too."""
    for student, school in (
        (world.student_a, world.school_a),
        (world.student_b, world.school_a),
        (world.student_c, world.school_c),
    ):
        GPARecord.objects.create(school=school, student=student, scope="cumulative", gpa=D("1.25"))
    services.recompute_all()
    return world


# Who opens student A's risk panel (page and API): homeroom teacher A, the school's registrar and
# principal, an admin; not teacher B (another class), teacher C, officers, the parent.
PANEL = [
    ("teacher_a", 200), ("teacher_b", 404), ("teacher_c", 404), ("registrar", 200), ("principal", 200),
    ("officer_1", 404), ("officer_2", 404), ("parent", 404), ("admin", 200),
]  # fmt: skip


@pytest.mark.parametrize(("persona", "expected"), PANEL)
def test_the_student_risk_panel_is_for_the_homeroom_teacher_and_school_staff_only(flagged, persona, expected):
    client = client_for(flagged.user(persona))
    page = client.get(f"/risk/students/{flagged.student_a.code}/")
    api = client.get(f"/api/v1/students/{flagged.student_a.code}/risk/")
    assert (page.status_code, api.status_code) == (expected, expected)
    if expected == 200:
        assert "ผลการเรียนเฉลี่ยสะสม 1.25" in page.content.decode()
        academic = next(d for d in api.json()["dimensions"] if d["dimension"] == "academic")
        assert (academic["status_label"], academic["reasons"][0]["text"]) == ("มีปัญหา", "ผลการเรียนเฉลี่ยสะสม 1.25")
        assert api.json()["history"][0]["to_status"] == "problem"


def test_a_counsellor_sees_the_school_list(flagged):
    from schools.models import StaffMembership

    counsellor = f.UserFactory(username="counsellor")
    f.member(counsellor, StaffMembership.Role.COUNSELLOR, school=flagged.school_a)
    response = client_for(counsellor).get("/risk/")
    assert response.status_code == 200
    body = response.content.decode()
    assert flagged.student_a.full_name in body and flagged.student_b.full_name in body
    assert flagged.student_c.full_name not in body


def test_the_homeroom_teacher_sees_only_their_classroom(flagged):
    body = client_for(flagged.user("teacher_a")).get("/risk/").content.decode()
    assert flagged.student_a.full_name in body
    assert flagged.student_b.full_name not in body and flagged.student_c.full_name not in body


def test_the_principal_filters_by_dimension_status_and_classroom(flagged):
    client = client_for(flagged.user("principal"))
    body = client.get(f"/risk/?classroom={flagged.class_b.code}").content.decode()
    assert flagged.student_b.full_name in body and flagged.student_a.full_name not in body
    body = client.get("/risk/?dimension=attendance").content.decode()
    assert flagged.student_a.full_name not in body
    body = client.get("/risk/?status=problem").content.decode()
    assert flagged.student_a.full_name in body


def test_officers_see_counts_of_their_schools_and_no_names(flagged):
    body = client_for(flagged.user("officer_1")).get("/risk/summary/").content.decode()
    assert flagged.school_a.name in body and flagged.school_c.name not in body
    assert flagged.student_a.full_name not in body
    officer = client_for(flagged.user("officer_1"))
    assert officer.get(f"/api/v1/schools/{flagged.school_a.code}/risk-statuses/").status_code == 404
    assert officer.get("/risk/")["Location"] == "/risk/summary/"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("registrar", 200),
        ("principal", 200),
        ("teacher_a", 404),
        ("teacher_c", 404),
        ("officer_1", 200),
        ("officer_2", 404),
        ("parent", 404),
    ],
)
def test_school_rules_are_read_by_school_staff_and_its_officers(world, persona, expected):
    client = client_for(world.user(persona))
    assert client.get(f"/risk/rules/?school={world.school_a.code}").status_code == expected
    assert client.get(f"/api/v1/schools/{world.school_a.code}/risk-rules/").status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"), [("registrar", 200), ("principal", 404), ("officer_1", 404), ("teacher_c", 404)]
)
def test_only_the_schools_registrar_or_admin_edits_its_rules(
    world, persona, expected, django_capture_on_commit_callbacks
):
    client = client_for(world.user(persona))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.patch(
            f"/api/v1/schools/{world.school_a.code}/risk-rules/chronic_absence/",
            {"threshold": "15", "severity": "problem"},
            content_type="application/json",
        )
    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["threshold"], response.json()["severity_label"], response.json()["scope"]) == (
            "15.00", "มีปัญหา", "school",
        )  # fmt: skip


def test_a_bad_threshold_is_a_thai_400_on_the_api_and_beside_the_field_on_the_page(world):
    client = client_for(world.user("registrar"))
    response = client.patch(
        f"/api/v1/schools/{world.school_a.code}/risk-rules/gpax_low/",
        {"threshold": "สองจุดห้า"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "เกณฑ์ต้องเป็นตัวเลข" in str(response.json())
    page = client.post(
        f"/risk/rules/gpax_low/?school={world.school_a.code}",
        {"gpax_low-threshold": "-3", "gpax_low-severity": "problem"},
    )
    assert page.status_code == 400
    assert "เกณฑ์ต้องอยู่ระหว่าง 0" in page.content.decode()
    assert not RiskRule.objects.filter(school=world.school_a).exists()


def test_the_registrar_changes_a_rule_on_the_page(world, django_capture_on_commit_callbacks):
    client = client_for(world.user("registrar"))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/risk/rules/absence_streak/?school={world.school_a.code}",
            {"absence_streak-threshold": "5", "absence_streak-severity": "at_risk", "absence_streak-enabled": "on"},
        )
    assert response.status_code == 302
    assert RiskRule.objects.get(school=world.school_a, key="absence_streak").threshold == D("5")


# --- An area's rules, edited by its district officers ------------------------------------------


def test_an_area_officer_edits_the_areas_rule_its_schools_use_unless_they_have_their_own(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "delay", lambda ids: queued.append(sorted(ids)))
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.8"))
    officer = client_for(world.user("officer_1"))
    url = f"/api/v1/areas/{world.area1.code}/risk-rules/gpax_low/"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.patch(
            url, {"threshold": "2.0", "reason": "มติที่ประชุมเขต 1/2569"}, content_type="application/json"
        )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["threshold"], data["scope"], data["version"]) == ("2.00", "area", 1)
    rule = RiskRule.objects.get(area=world.area1, key="gpax_low")
    event = Events.objects.filter(pgh_model="earlywarning.RiskRuleEvent", pgh_obj_id=rule.pk).get()
    assert event.pgh_context["reason"] == "มติที่ประชุมเขต 1/2569"
    assert event.pgh_context["user"] == world.user("officer_1").pk
    # The area's schools are recomputed (school C, of another area, is not).
    school_a_ids = sorted(Student.objects.filter(school=world.school_a, status="studying").values_list("pk", flat=True))
    assert queued == [school_a_ids]
    services.recompute_all()
    assert RiskStatus.objects.get(student=world.student_a, dimension="academic").status == "problem"
    assert {r.key: r for r in rule_services.rules_in_force(world.school_c)}["gpax_low"].threshold == D("1.5")
    # The school's page says where each value in force comes from.
    registrar = client_for(world.user("registrar"))
    page = registrar.get(f"/risk/rules/?school={world.school_a.code}").content.decode()
    assert '<td data-label="ค่าที่ใช้มาจาก" data-source="gpax_low">เขตพื้นที่</td>' in page
    assert '<td data-label="ค่าที่ใช้มาจาก" data-source="term_gpa_low">ค่าเริ่มต้น</td>' in page
    # The school's own row still wins over the area's.
    with django_capture_on_commit_callbacks(execute=False):
        rule_services.risk_rule_update(
            school=world.school_a, key="gpax_low", threshold="1.0", by=world.user("registrar")
        )
    assert {r.key: r for r in rule_services.rules_in_force(world.school_a)}["gpax_low"].threshold == D("1.0")
    page = registrar.get(f"/risk/rules/?school={world.school_a.code}").content.decode()
    assert '<td data-label="ค่าที่ใช้มาจาก" data-source="gpax_low">โรงเรียน</td>' in page
    services.recompute_all()
    assert not RiskStatus.objects.filter(student=world.student_a, dimension="academic").exists()
    # A second area edit bumps the area row's version; the school's row is untouched.
    with django_capture_on_commit_callbacks(execute=False):
        again = officer.patch(url, {"enabled": False}, content_type="application/json")
    assert again.json()["version"] == 2
    assert RiskRule.objects.get(school=world.school_a, key="gpax_low").enabled is True


def test_the_area_officer_changes_a_rule_on_the_area_page_with_a_reason(world, django_capture_on_commit_callbacks):
    officer = client_for(world.user("officer_1"))
    rules_page = officer.get(f"/risk/rules/?school={world.school_a.code}").content.decode()
    area_url = f"/risk/rules/area/{world.area1.code}/"
    assert f'href="{area_url}"' in rules_page
    page = officer.get(area_url).content.decode()
    assert world.area1.name in page and world.school_a.name in page
    with django_capture_on_commit_callbacks(execute=False):
        response = officer.post(
            area_url + "absence_streak/",
            {"absence_streak-threshold": "5", "absence_streak-severity": "at_risk", "absence_streak-enabled": "on",
             "absence_streak-reason": "ปรับตามบริบทเขต"},
        )  # fmt: skip
    assert response.status_code == 302
    rule = RiskRule.objects.get(area=world.area1, key="absence_streak")
    assert (rule.threshold, rule.version) == (D("5"), 1)
    assert Events.objects.get(pgh_model="earlywarning.RiskRuleEvent", pgh_obj_id=rule.pk).pgh_context["reason"] == (
        "ปรับตามบริบทเขต"
    )
    # The homeroom lists of the area's schools follow the area's run of absences too.
    assert rule_services.absence_thresholds(world.school_a).streak_days == D("5")
    bad = officer.post(area_url + "gpax_low/", {"gpax_low-threshold": "-1", "gpax_low-severity": "problem"})
    assert bad.status_code == 400 and "เกณฑ์ต้องอยู่ระหว่าง 0" in bad.content.decode()
    assert '<td data-label="ค่าที่ใช้มาจาก" data-source="absence_streak">เขตพื้นที่</td>' in bad.content.decode()


@pytest.mark.parametrize("rows", [0, 16])
def test_the_area_rule_list_takes_the_same_queries_however_many_rows_and_schools(world, rows):
    def counted() -> tuple[int, int]:
        out = []
        officer = client_for(world.user("officer_1"))
        for url in (f"/risk/rules/area/{world.area1.code}/", f"/api/v1/areas/{world.area1.code}/risk-rules/"):
            officer.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert officer.get(url).status_code == 200
            out.append(len(queries.captured_queries))
        return tuple(out)

    few = counted()
    for rule in RiskRule.objects.filter(school__isnull=True, area__isnull=True)[:rows]:
        RiskRule.objects.create(
            area=world.area1, key=rule.key, indicator=rule.indicator, comparison=rule.comparison,
            threshold=rule.threshold, severity=rule.severity, dimension=rule.dimension, template=rule.template,
        )  # fmt: skip
    for _ in range(5):
        f.SchoolFactory(area=world.area1)
    assert counted() == few


def test_a_grace_day_setting_is_the_schools_admin_or_registrars_with_thai_errors(
    world, django_capture_on_commit_callbacks
):
    url = f"/risk/rules/grace-days/?school={world.school_a.code}"
    assert client_for(world.user("principal")).post(url, {"days": "5"}).status_code == 404
    assert client_for(world.user("officer_1")).post(url, {"days": "5"}).status_code == 404
    registrar = client_for(world.user("registrar"))
    bad = registrar.post(url, {"days": "ห้า"})
    assert bad.status_code == 400 and "จำนวนวันผ่อนผันต้องเป็นจำนวนเต็ม" in bad.content.decode()
    assert registrar.post(url, {"days": "400"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=False):
        assert registrar.post(url, {"days": "๑๔"}).status_code == 302
    world.school_a.refresh_from_db()
    assert world.school_a.policy[fig.GRACE_POLICY_KEY] == 14
    assert "พ้นวันผ่อนผันอีก <strong>14</strong> วัน" in registrar.get(url.replace("grace-days/", "")).content.decode()


def test_the_classroom_api_is_for_its_homeroom_teacher_and_school_staff(flagged):
    url = f"/api/v1/classrooms/{flagged.class_a.code}/risk-statuses/"
    assert client_for(flagged.user("teacher_b")).get(url).status_code == 404
    data = client_for(flagged.user("teacher_a")).get(url).json()
    assert [row["student"]["code"] for row in data["results"]] == [str(flagged.student_a.code)]
    assert data["results"][0]["classroom"] == flagged.class_a.name
    bad = client_for(flagged.user("principal")).get(url + "?status=high")
    assert bad.status_code == 400 and "สถานะต้องเป็น" in str(bad.json())


def _more_flags(world, count: int) -> None:
    for index in range(count):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a if index % 2 else world.class_b, 10 + index)
        GPARecord.objects.create(school=world.school_a, student=student, scope="cumulative", gpa=D("1.1"))
    services.recompute_all()


@pytest.mark.parametrize(
    "url",
    [
        "/risk/",
        "/risk/summary/",
        "/api/v1/schools/{school}/risk-statuses/",
        "/api/v1/classrooms/{classroom}/risk-statuses/",
    ],
)
@pytest.mark.parametrize("persona", ["principal", "teacher_a"])
def test_risk_lists_take_the_same_queries_however_many_flags(flagged, url, persona):
    client = client_for(flagged.user(persona))
    url = url.format(school=flagged.school_a.code, classroom=flagged.class_a.code)
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    if persona == "teacher_a" and "/schools/" in url:
        return  # the school's list is not a homeroom teacher's (404: tested above)
    few = count()
    _more_flags(flagged, 8)
    assert count() == few


def test_the_risk_benchmark_runs_and_finds_both_ways_agree(flagged):
    from bench import bench_risk
    from bench.harness import Context

    absent(flagged, flagged.student_a2, days_up_to_today(flagged, 3))
    results = bench_risk.run(Context(dataset=None, runs=1, warmup=0), incremental=False)
    agreement = next(result for result in results if result.name == "Risk stored = SQL aggregate")
    assert agreement.note.startswith("all agree"), agreement.note
    assert agreement.figure == agreement.baseline == 4  # three low GPAX (school C too), one run of absences
    oracle = results[-1]  # the SQL evaluation against the pure rules over the same figures
    assert oracle.note == "all agree: 4 equal of 4 by SQL and 4 by the pure rules", oracle.note


# --- Health, economic and family: the record saved through its service raises the flag --------

POOR_MEMBERS = [
    {"monthly_income": "4000", "age": 40},
    {"monthly_income": "0", "age": 12, "student": True},
    {"monthly_income": "0", "age": 70},
]
POOR_HOUSEHOLD = {"tenure": "rent", "dilapidated": True, "has_toilet": True, "farms": False, "water": "tap"}


def _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch) -> dict:
    """Save through the service, check it queued the student's recompute, run it: the flags."""
    queued = []
    monkeypatch.setattr(tasks.recompute_students_risk, "apply_async", lambda args, **kw: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        save()
    assert dirty.is_marked(services.RISK_STUDENT, world.student_a.pk)
    assert queued == [[world.student_a.pk]]
    tasks.recompute_students_risk(queued[0])
    return {d: v for (s, d), v in statuses().items() if s == world.student_a.pk}


def test_a_thin_measurement_raises_the_health_flag(world, django_capture_on_commit_callbacks, monkeypatch):
    from students.services import measurements

    Student.objects.filter(pk=world.student_a.pk).update(birth_date=date(2014, 1, 15), sex="M")
    world.student_a.refresh_from_db()
    round_ = measurements.measurement_round_create(
        school=world.school_a, academic_year=world.class_a.academic_year, name="ภาคเรียนที่ 2",
        start_date=date(2026, 11, 16), by=world.user("registrar"),
    )  # fmt: skip

    def save():
        row = measurements.measurement_save(
            round=round_, student=world.student_a, weight_kg="28", height_cm="152", expected_version=0,
            confirm=True, by=world.user("teacher_a"),
        )  # fmt: skip
        assert row.bfa_code in ("bmi_thinness", "bmi_severe_thinness")

    flags = _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch)
    assert flags == {"health": ("at_risk", ["ภาวะโภชนาการ: ผอม"])}


def test_a_nutrition_reason_is_shown_only_to_those_who_read_health_records(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from students.services import measurements

    Student.objects.filter(pk=world.student_a.pk).update(birth_date=date(2014, 1, 15), sex="M")
    world.student_a.refresh_from_db()
    round_ = measurements.measurement_round_create(
        school=world.school_a, academic_year=world.class_a.academic_year, name="ภาคเรียนที่ 2",
        start_date=date(2026, 11, 16), by=world.user("registrar"),
    )  # fmt: skip

    def save():
        measurements.measurement_save(
            round=round_, student=world.student_a, weight_kg="28", height_cm="152", expected_version=0,
            confirm=True, by=world.user("teacher_a"),
        )  # fmt: skip

    _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch)
    url = f"/api/v1/students/{world.student_a.code}/risk/"

    def health(persona):
        body = client_for(world.user(persona)).get(url).json()
        return {d["dimension"]: [r["text"] for r in d["reasons"]] for d in body["dimensions"]}["health"]

    assert health("principal") == health("teacher_a") == ["ภาวะโภชนาการ: ผอม"]
    assert health("registrar") == [access_module().CARE_REASON_HIDDEN]


def test_an_eligible_poverty_screening_raises_the_economic_flag(world, django_capture_on_commit_callbacks, monkeypatch):
    from students.services import care

    def save():
        care.poverty_screening_save(
            student=world.student_a, members=POOR_MEMBERS, household=POOR_HOUSEHOLD, by=world.user("teacher_a")
        )

    flags = _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch)
    assert flags == {"economic": ("at_risk", ["ผ่านเกณฑ์คัดกรองนักเรียนยากจน (กสศ.01)"])}


def test_a_home_visit_that_found_risks_raises_the_family_flag(world, django_capture_on_commit_callbacks, monkeypatch):
    from students.services import care

    def save():
        care.home_visit_create(
            student=world.student_a, visited_on=date(2026, 11, 20), met_whom="mother", housing="rent",
            family="separated", risks=["drugs", "games"], by=world.user("teacher_a"),
        )  # fmt: skip

    flags = _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch)
    assert flags == {"family": ("at_risk", ["การเยี่ยมบ้านพบความเสี่ยง 2 ด้าน"])}


def test_an_sdq_form_in_the_problem_band_makes_the_family_a_problem(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from students.services import care

    def save():
        care.sdq_assessment_create(
            student=world.student_a, informant="teacher", answers=[2] * 25, by=world.user("teacher_a")
        )

    flags = _saved_then_recomputed(world, save, django_capture_on_commit_callbacks, monkeypatch)
    assert flags == {"family": ("problem", ["ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา", "ผลประเมิน SDQ อยู่ในกลุ่มเสี่ยง"])}


def test_records_of_another_year_or_school_raise_no_flag(world):
    year_c = world.class_c.academic_year
    PovertyScreening.objects.create(
        school=world.school_c, student=world.student_a, academic_year=year_c, income_per_person=D("100"),
        eligible=True, reason="ทดสอบ", screened_by=world.user("teacher_c"),
    )  # fmt: skip
    SdqAssessment.objects.create(
        school=world.school_c, student=world.student_a, academic_year=year_c, informant="teacher", answers=[2] * 25,
        total_difficulties=30, prosocial=10, status="problem", filled_on=TODAY, filled_by=world.user("teacher_c"),
    )  # fmt: skip
    services.recompute_all()
    assert not RiskStatus.objects.filter(student=world.student_a).exists()


def test_the_migration_rewords_the_install_default_chronic_reason_only_and_bumps_its_version(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("earlywarning.migrations.0006_chronic_absence_over_school_days")
    default = RiskRule.objects.get(school__isnull=True, area__isnull=True, key="chronic_absence")
    assert default.template == migration.NEW  # as the install ships it now
    RiskRule.objects.filter(pk=default.pk).update(template=migration.OLD)
    own = RiskRule.objects.create(
        school=world.school_a, key=default.key, indicator=default.indicator, comparison=default.comparison,
        threshold=default.threshold, severity=default.severity, dimension=default.dimension, template=migration.OLD,
    )  # fmt: skip
    version = RiskRule.objects.get(pk=default.pk).version
    migration.forward(apps, None)
    assert RiskRule.objects.get(pk=default.pk).template == migration.NEW
    assert RiskRule.objects.get(pk=default.pk).version == version + 1
    assert RiskRule.objects.get(pk=own.pk).template == migration.OLD  # the school's copy is theirs
    migration.forward(apps, None)  # a second run changes nothing
    assert RiskRule.objects.get(pk=default.pk).version == version + 1


def test_the_migration_enables_the_install_defaults_only_and_bumps_their_version(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("earlywarning.migrations.0005_enable_care_rules")
    RiskRule.objects.filter(school__isnull=True, area__isnull=True, key__in=migration.CARE_RULES).update(enabled=False)
    own = RiskRule.objects.get(school__isnull=True, area__isnull=True, key="sdq_risk")
    RiskRule.objects.create(
        school=world.school_a, key="sdq_risk", indicator=own.indicator, comparison=own.comparison,
        threshold=own.threshold, severity=own.severity, dimension=own.dimension, template=own.template,
        enabled=False, version=3,
    )  # fmt: skip
    before = dict(RiskRule.objects.filter(school__isnull=True, area__isnull=True).values_list("key", "version"))
    migration.enable(apps, None)
    after = {r.key: r for r in RiskRule.objects.filter(school__isnull=True, area__isnull=True)}
    assert all(after[key].enabled and after[key].version == before[key] + 1 for key in migration.CARE_RULES)
    assert after["gpax_low"].version == before["gpax_low"]
    school_copy = RiskRule.objects.get(school=world.school_a, key="sdq_risk")
    assert (school_copy.enabled, school_copy.version) == (False, 3)
    assert Events.objects.filter(pgh_model="earlywarning.RiskRuleEvent", pgh_obj_id=after["thin"].pk).exists()
    migration.enable(apps, None)  # a second run changes nothing
    assert RiskRule.objects.get(pk=after["thin"].pk).version == before["thin"] + 1


def test_the_migration_rewords_the_unresolved_rule_and_bumps_its_version(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("earlywarning.migrations.0006_unresolved_past_deadline")
    default = RiskRule.objects.get(school__isnull=True, area__isnull=True, key="unresolved")
    assert default.template == migration.NEW  # a new install loads the new wording
    RiskRule.objects.filter(pk=default.pk).update(template=migration.OLD, version=2)
    copy = RiskRule.objects.create(
        school=world.school_a, key="unresolved", indicator="unresolved", comparison="ge", threshold=D("2"),
        severity="at_risk", dimension="academic", template=migration.OLD, version=4,
    )  # fmt: skip
    migration.forward(apps, None)
    default.refresh_from_db()
    copy.refresh_from_db()
    assert (default.template, default.version) == (migration.NEW, 3)
    assert (copy.template, copy.version, copy.threshold) == (migration.NEW, 5, D("2"))
    migration.forward(apps, None)  # a second run changes nothing
    assert RiskRule.objects.get(pk=default.pk).version == 3


# --- Reasons from care records: only for those who read the child's care records ---------------


@pytest.fixture
def cared(world):
    """student_a with a poverty screening, an SDQ problem form and a low GPAX."""
    GPARecord.objects.create(school=world.school_a, student=world.student_a, scope="cumulative", gpa=D("1.25"))
    PovertyScreening.objects.create(
        school=world.school_a, student=world.student_a, academic_year=world.class_a.academic_year,
        income_per_person=D("900"), eligible=True, reason="ทดสอบ", screened_by=world.user("teacher_a"),
    )  # fmt: skip
    SdqAssessment.objects.create(
        school=world.school_a, student=world.student_a, academic_year=world.class_a.academic_year,
        informant="teacher", answers=[2] * 25, total_difficulties=30, prosocial=10, status="problem",
        filled_on=TODAY, filled_by=world.user("teacher_a"),
    )  # fmt: skip
    services.recompute_all()
    return world


CARE_TEXTS = ("ผ่านเกณฑ์คัดกรองนักเรียนยากจน", "ผลประเมิน SDQ")


@pytest.mark.parametrize(
    ("persona", "reads_care"), [("teacher_a", True), ("principal", True), ("admin", True), ("registrar", False)]
)
def test_care_reasons_are_shown_only_to_those_who_read_care_records(cared, persona, reads_care):
    client = client_for(cared.user(persona))
    page = client.get(f"/risk/students/{cared.student_a.code}/").content.decode()
    api = client.get(f"/api/v1/students/{cared.student_a.code}/risk/").json()
    listed = client.get(f"/api/v1/classrooms/{cared.class_a.code}/risk-statuses/").json()["results"]
    reasons = {d["dimension"]: [r["text"] for r in d["reasons"]] for d in api["dimensions"]}
    history = " ".join(r["text"] for change in api["history"] for r in change["reasons"])
    from_list = " ".join(r["text"] for row in listed for r in row["reasons"])
    # The flags and the other reasons are everyone's who sees the flags.
    assert "ผลการเรียนเฉลี่ยสะสม 1.25" in page and reasons["academic"] == ["ผลการเรียนเฉลี่ยสะสม 1.25"]
    assert {d["dimension"]: d["status"] for d in api["dimensions"]}["family"] == "problem"
    for text in CARE_TEXTS:
        assert (text in page, text in " ".join(reasons["economic"] + reasons["family"])) == (reads_care, reads_care)
        assert (text in history, text in from_list) == (reads_care, reads_care)
    hidden = access_module().CARE_REASON_HIDDEN
    assert (reasons["family"] == [hidden]) == (not reads_care)
    assert (hidden in page) == (not reads_care)
    # The stored flag keeps its reasons.
    stored = RiskStatus.objects.get(student=cared.student_a, dimension="family")
    assert "ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา" in [r["text"] for r in stored.reasons]


def test_the_registrars_school_list_hides_care_reasons(cared):
    client = client_for(cared.user("registrar"))
    body = client.get("/risk/").content.decode()
    assert cared.student_a.full_name in body and "ผลการเรียนเฉลี่ยสะสม 1.25" in body
    assert not any(text in body for text in CARE_TEXTS)
    rows = client.get(f"/api/v1/schools/{cared.school_a.code}/risk-statuses/").json()["results"]
    assert not any(text in r["text"] for row in rows for r in row["reasons"] for text in CARE_TEXTS)
    principal = client_for(cared.user("principal")).get("/risk/").content.decode()
    assert all(text in principal for text in CARE_TEXTS)
    # Student 360 (page and API) shows the risk part the same way.
    page = client.get(f"/students/{cared.student_a.code}/360/").content.decode()
    overview = client.get(f"/api/v1/students/{cared.student_a.code}/overview/").json()
    shown = " ".join(r["text"] for d in overview["risk"]["dimensions"] for r in d["reasons"])
    assert "ผลการเรียนเฉลี่ยสะสม 1.25" in page and "ผลการเรียนเฉลี่ยสะสม 1.25" in shown
    assert not any(text in page or text in shown for text in CARE_TEXTS)
    principal_360 = client_for(cared.user("principal")).get(f"/students/{cared.student_a.code}/360/").content.decode()
    assert all(text in principal_360 for text in CARE_TEXTS)


def test_a_parents_alert_does_not_quote_care_records(cared):
    from earlywarning.models import Alert

    parent_alerts = Alert.objects.filter(
        student=cared.student_a, audience="parent", dimension__in=["economic", "family"]
    )
    staff_alerts = Alert.objects.filter(student=cared.student_a, audience="staff", dimension="family")
    if not parent_alerts.exists():
        pytest.skip("the parent of student A has no activated account in this world")
    for alert in parent_alerts:
        assert not any(text in alert.body for text in CARE_TEXTS)
        assert not any(text in r["text"] for r in alert.reasons for text in CARE_TEXTS)
    assert any("ผลประเมิน SDQ" in alert.body for alert in staff_alerts)


def access_module():
    from earlywarning import access

    return access


def test_the_recompute_takes_the_same_statements_however_many_students_have_care_records(world):
    def statements() -> int:
        RiskStatus.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            services.recompute_all()
        return len(queries)

    students = [world.student_a, world.student_a2, world.student_b]
    classrooms = [world.class_a, world.class_a, world.class_b]
    care_records(world, students, classrooms, [(0, 0, 0, "thin", "", "")], [(1, True)], [(2, 0, ["drugs"])], [])
    few = statements()
    more = []
    for index in range(8):
        student = f.StudentFactory(school=world.school_a)
        f.enrol(student, world.class_a, 20 + index)
        more.append(student)
    PovertyScreening.objects.bulk_create(
        PovertyScreening(
            school=world.school_a, student=s, academic_year=world.class_a.academic_year, income_per_person=D("900"),
            eligible=True, reason="ทดสอบ", screened_by=world.user("teacher_a"),
        )
        for s in more
    )  # fmt: skip
    SdqAssessment.objects.bulk_create(
        SdqAssessment(
            school=world.school_a, student=s, academic_year=world.class_a.academic_year, informant=informant,
            answers=[0] * 25, total_difficulties=0, prosocial=0, status="risk", filled_on=TODAY,
            filled_by=world.user("teacher_a"),
        )
        for s in more
        for informant in ("teacher", "student")
    )  # fmt: skip
    assert statements() == few
    assert RiskStatus.objects.filter(dimension="family").count() == 9
