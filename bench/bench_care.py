"""The homeroom teacher's tools.

(a) The daily roll of a classroom of 40 in one request (PUT
    /api/v1/classrooms/<c>/daily-attendance/<day>/, in-process through django.test.Client, as the
    classroom's homeroom teacher): every run changes all 40 rows (their status flips between
    "มา" and "สาย"), so each is a real write. Baseline: the bare multi-row
    `INSERT ... ON CONFLICT DO UPDATE` of the same 40 rows, autocommitted, in the same run. The
    ratio is the price of the session, the access check, the calendar check, the roll read, the
    audit context and the day's sheet in the answer. Its query count beside that of a classroom
    of 5 (it must not grow with the class).
(b) Nutrition status of 100,000 measurements through the pure module (students.nutrition.assess,
    four indicators from the WHO tables): rows per second, against the same rows' z-scores from
    the LMS formula alone (one indicator, no table lookup) as the yardstick of the arithmetic.
    Then the system path (students.services.nutrition_recompute, as the admin's job runs it):
    BENCH_CARE_ROWS stored measurements (default 100,000; bench rounds are added until the bench
    database holds that many) recomputed in chunks of 2,000 with every row changed (the derived
    columns are blanked first, without history, so each row is written and gets its history
    row), and once more with nothing to change; rows per second against the pure function alone
    over the same rows read into memory. Timed once each (a pass takes seconds to minutes).

The bench classroom ("bench roll 40", and "bench roll 5") is made once per bench database in the
first school's current year, with new students of its own.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from qinfo import bulk
from qinfo.env import env_int
from schools.models import School, StaffMembership, User
from schools.selectors.organisation import current_academic_year, school_days
from students import nutrition
from students.models import (
    Classroom,
    DailyAttendance,
    Enrolment,
    GradeLevel,
    Measurement,
    MeasurementRound,
    Student,
)
from students.services import nutrition_recompute

from .harness import Context, Result, count_queries, median_ms

SIZES = (40, 5)
ROOMS = {40: 90, 5: 91}


def run(ctx: Context) -> list[Result]:
    return [*_roll(ctx), *_nutrition(ctx), *_nutrition_bulk(ctx)]


# --- (a) the roll ----------------------------------------------------------------------------------


def _bench_classroom(school: School, teacher: User, size: int) -> Classroom:
    year = current_academic_year(school)
    grade = GradeLevel.objects.get(code="M1")
    classroom, created = Classroom.objects.get_or_create(
        school=school, academic_year=year, grade_level=grade, room=ROOMS[size]
    )
    classroom.homeroom_teachers.add(teacher)
    if created or not classroom.enrolments.exists():
        with transaction.atomic():
            students = Student.objects.bulk_create(
                [
                    Student(
                        school=school,
                        student_number=f"R{ROOMS[size]}{n:03d}",
                        prefix="ด.ช.",
                        first_name=f"ม้านั่ง{n}",
                        last_name="ทดสอบ",
                        sex=Student.Sex.MALE,
                        birth_date=date(2013, 6, 1),
                    )
                    for n in range(1, size + 1)
                ]
            )
            Enrolment.objects.bulk_create(
                [
                    Enrolment(
                        school=school, student=s, academic_year=year, grade_level=grade, classroom=classroom, number=n
                    )
                    for n, s in enumerate(students, start=1)
                ]
            )
    return classroom


def _teacher(school: School) -> User:
    membership = (
        StaffMembership.objects.filter(school=school, role=StaffMembership.Role.HOMEROOM_TEACHER, is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return membership.user


_BARE = """
INSERT INTO students_dailyattendance (school_id, classroom_id, student_id, date, status, note, updated_at)
VALUES {values}
ON CONFLICT (school_id, student_id, date) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
"""


def _roll(ctx: Context) -> list[Result]:
    school = School.objects.order_by("pk").first()
    teacher = _teacher(school)
    classrooms = {size: _bench_classroom(school, teacher, size) for size in SIZES}
    today = timezone.localdate()
    days = school_days(school, today - timedelta(days=30), today)
    if not days:
        return [Result("daily roll: no school day in the last 30 days", 0, note="calendar has no term now")]
    day = days[-1]
    client = Client()
    client.force_login(teacher)
    flip = {"i": 0}

    def body(classroom: Classroom) -> dict:
        flip["i"] += 1
        status = "/" if flip["i"] % 2 else "ส"
        codes = classroom.enrolments.values_list("student__code", flat=True)
        return {"all_present": True, "marks": [{"student": str(c), "status": status} for c in codes]}

    bodies = {size: [body(classrooms[size]) for _ in range(2)] for size in SIZES}
    reason = "" if day == today else "bench"

    def save(size: int):
        flip["i"] += 1
        payload = {**bodies[size][flip["i"] % 2], "reason": reason}
        url = f"/api/v1/classrooms/{classrooms[size].code}/daily-attendance/{day.isoformat()}/"
        response = client.put(url, payload, content_type="application/json")
        assert response.status_code == 200, response.content[:300]

    big = classrooms[40]
    students = list(big.enrolments.values_list("student_id", flat=True))

    def bare():
        flip["i"] += 1
        status = "/" if flip["i"] % 2 else "ส"
        values = ",".join(
            f"({school.pk}, {big.pk}, {sid}, '{day.isoformat()}', '{status}', '', clock_timestamp())"
            for sid in students
        )
        with connection.cursor() as cursor:
            cursor.execute(_BARE.format(values=values))

    request_ms = median_ms(lambda: save(40), ctx)
    bare_ms = median_ms(bare, ctx)
    queries_40 = count_queries(lambda: save(40))
    queries_5 = count_queries(lambda: save(5))
    DailyAttendance.objects.filter(classroom__in=classrooms.values()).delete()
    return [
        Result(
            "daily roll of 40 in one request (PUT)",
            request_ms,
            baseline=bare_ms,
            queries=queries_40,
            note=f"baseline: bare 40-row INSERT … ON CONFLICT DO UPDATE; queries for a class of 5: {queries_5}",
        )
    ]


# --- (b) nutrition ---------------------------------------------------------------------------------

ROWS = 100_000


def _nutrition(ctx: Context) -> list[Result]:
    rng = random.Random(2569)
    on = date(2026, 11, 15)
    people = []
    for _ in range(ROWS):
        age_days = rng.randint(3 * 365, 18 * 365)
        birth = on - timedelta(days=age_days)
        height = max(80.0, min(190.0, rng.gauss(95 + age_days / 365 * 5.2, 7)))
        weight = max(10.0, rng.gauss(15 + (age_days / 365) ** 1.55, 5))
        people.append((rng.choice("MF"), birth, round(weight, 1), round(height, 1)))
    references = nutrition.who_references()

    started = time.perf_counter()
    for sex, birth, weight, height in people:
        nutrition.assess(sex, birth, on, weight, height, references)
    full = time.perf_counter() - started

    started = time.perf_counter()
    for _sex, _birth, weight, _height in people:
        nutrition.zscore(weight, 0.2, 30.0, 0.15)
    bare = time.perf_counter() - started
    return [
        Result(
            f"nutrition status of {ROWS:,} measurements (pure module, 4 indicators)",
            ROWS / full,
            baseline=ROWS / bare,
            unit="rows/s",
            note="baseline: the LMS z-score formula alone, one indicator, no table lookup",
        )
    ]


# --- (b) the system path: the bulk recompute of stored measurements ------------------------------


BENCH_ROUND = "bench nutrition"


def _ensure_measurements(target: int) -> int:
    """Add bench rounds (one per school and year, as many as needed) of generated figures for
    every enrolled child until the database holds `target` measurements; returns the count."""
    have = Measurement.objects.count()
    if have >= target:
        return have
    rng = random.Random(2570)
    enrolled = list(
        Enrolment.objects.filter(classroom__isnull=False, student__birth_date__isnull=False)
        .order_by("pk")
        .values_list("school_id", "academic_year_id", "classroom_id", "student_id", "student__birth_date")
    )
    if not enrolled:
        return have
    by_year: dict[tuple[int, int], list] = {}
    for row in enrolled:
        by_year.setdefault((row[0], row[1]), []).append(row)
    serial = MeasurementRound.objects.filter(name__startswith=BENCH_ROUND).count()
    # The derived text columns start blank (NOT NULL): the first recompute fills them.
    texts = [n for n in nutrition_recompute.DERIVED if n not in ("age_months", "bmi") and not n.endswith("_z")]
    blank = [""] * len(texts)
    now = timezone.now()
    with transaction.atomic(), bulk.without_history("students.Measurement"):
        while have < target:
            serial += 1
            for (school_id, year_id), rows in by_year.items():
                if have >= target:
                    break
                on = date(2026, 11, 15)
                round_ = MeasurementRound.objects.create(
                    school_id=school_id, academic_year_id=year_id, name=f"{BENCH_ROUND} {serial}", start_date=on
                )
                chosen = rows[: target - have]

                def generated(chosen=chosen, round_=round_, on=on):
                    for school, _year, classroom, student, birth in chosen:
                        years = max((on - birth).days / 365, 3)
                        height = max(80.0, min(190.0, rng.gauss(95 + years * 5.2, 7)))
                        weight = max(10.0, rng.gauss(15 + years**1.55, 5))
                        yield (
                            school, round_.pk, student, classroom, on, round(weight, 1), round(height, 1), 1, now,
                            *blank, [],
                        )  # fmt: skip

                have += bulk.copy_rows(
                    Measurement._meta.db_table,
                    ("school_id", "round_id", "student_id", "classroom_id", "measured_on", "weight_kg", "height_cm",
                     "version", "updated_at", *texts, "confirmed_questions"),
                    generated(),
                )  # fmt: skip
    return have


def _blank_derived() -> None:
    with transaction.atomic(), bulk.without_history("students.Measurement"):
        Measurement.objects.update(hfa_reference="", reference="")


def _nutrition_bulk(ctx: Context) -> list[Result]:
    target = env_int("BENCH_CARE_ROWS", default=ROWS)
    rows = _ensure_measurements(target)
    if not rows:
        return [Result("nutrition recompute: no enrolled child with a birth date", 0, note="seed the bench data")]
    schools = Measurement.objects.values("school_id").aggregate(n=Count("school_id", distinct=True))["n"]
    people = list(
        Measurement.objects.values_list(
            "student__sex", "student__birth_date", "measured_on", "weight_kg", "height_cm", "measured_lying"
        )
    )
    references = nutrition.who_references()
    started = time.perf_counter()
    for sex, birth, on, weight, height, lying in people:
        nutrition.assess(sex, birth, on, weight, height, references, measured_lying=lying)
    pure = time.perf_counter() - started

    _blank_derived()
    connection.close()  # a fresh connection, as a worker's task has
    started = time.perf_counter()
    read, changed = nutrition_recompute.nutrition_recompute(school=None, by=None)
    written = time.perf_counter() - started
    started = time.perf_counter()
    read_again, unchanged = nutrition_recompute.nutrition_recompute(school=None, by=None)
    steady = time.perf_counter() - started
    note = f"{read:,} rows of {schools} schools, {changed:,} written; baseline: students.nutrition.assess alone"
    return [
        Result(
            f"nutrition recompute, every row changed ({read:,} stored rows, chunks of 2,000)",
            read / written,
            baseline=len(people) / pure,
            unit="rows/s",
            note=note + " over the same rows in memory; each written row also gets its history row",
        ),
        Result(
            f"nutrition recompute, nothing to change ({read_again:,} rows)",
            read_again / steady,
            baseline=len(people) / pure,
            unit="rows/s",
            note=f"{unchanged} written: one read and the pure function per chunk",
        ),
    ]
