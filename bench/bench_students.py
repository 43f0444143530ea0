"""The student list, as a page (/students/) and as the API (/api/v1/students/), at full scale.

Each case is one request as seen by one persona. Its baseline is what the same page of rows
costs when fetched directly: one hand-written SQL query with the same visibility rule, search,
order, limit and offset, joining each student's current enrolment. The ratio is then the price
of everything else (sessions, scoping, pagination's count, prefetching, serialising,
templates); it should stay small and, above all, not grow as the data grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection
from django.db.models import Count
from django.test import Client

import students.views.records
from schools.access.organisation import readable_school_ids
from schools.models import AcademicYear, School, User
from students.access import guardian_student_ids, taught_student_ids
from students.models import Classroom, Enrolment, GradeLevel, Student

from .harness import Context, Result, count_queries, median_ms

HTML_URL = "/students/"
API_URL = "/api/v1/students/"
PAGE_SIZE = 50  # the page's and the API's default
STUDENT_LINK = re.compile(r'href="/students/([0-9a-f-]{36})/"')


@dataclass(frozen=True)
class Case:
    label: str
    username: str
    params: dict = field(default_factory=dict)
    rows: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (int(self.params.get("page", 1)) - 1) * self.rows


def run(ctx: Context) -> list[Result]:
    name = most_common_first_name()
    # A page deep into the admin's list (page 20 at full size); a small dataset has fewer pages.
    deep_page = max(1, min(20, Student.objects.count() // PAGE_SIZE))
    cases = [
        Case("registrar1 (1 school)", "registrar1"),
        Case("officer1 (area of 10 schools)", "officer1"),
        Case("admin (all schools)", "admin"),
        Case(f"admin search q={name}", "admin", {"q": name}),
        Case(f"admin page={deep_page}", "admin", {"page": deep_page}),
        # Same request with a tenth of the rows: the query count must be the same.
        Case("registrar1 (1 school), 5 rows", "registrar1", rows=5),
    ]
    clients = {}
    results = []
    for case in cases:
        if case.username not in clients:
            clients[case.username] = logged_in_client(case.username)
        client = clients[case.username]
        baseline_ms, expected = time_baseline(case, ctx)
        results.append(measure_html(client, case, ctx, baseline_ms, expected))
        results.append(measure_api(client, case, ctx, baseline_ms, expected))
    return results


def most_common_first_name() -> str:
    return (
        Student.objects.values_list("first_name", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n", "first_name")
        .first()
    )


def logged_in_client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def measure_html(client: Client, case: Case, ctx: Context, baseline_ms: float, expected: list[str]) -> Result:
    # The page size of the HTML list is a module constant; patching it is how to ask for 5 rows.
    with mock.patch.object(students.views.records, "PAGE_SIZE", case.rows):

        def get():
            response = client.get(HTML_URL, case.params)
            if response.status_code != 200:
                raise RuntimeError(f"GET {HTML_URL} {case.params} as {case.username}: {response.status_code}")
            return response

        shown = STUDENT_LINK.findall(get().content.decode())
        figure = median_ms(get, ctx)
        queries = count_queries(get)
    return Result(f"html {case.label}", figure, baseline_ms, queries, note=_check_rows(shown, expected))


def measure_api(client: Client, case: Case, ctx: Context, baseline_ms: float, expected: list[str]) -> Result:
    params = {**case.params, "page_size": case.rows}

    def get():
        response = client.get(API_URL, params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {API_URL} {params} as {case.username}: {response.status_code}")
        return response

    shown = [row["code"] for row in get().json()["results"]]
    figure = median_ms(get, ctx)
    queries = count_queries(get)
    return Result(f"api  {case.label}", figure, baseline_ms, queries, note=_check_rows(shown, expected))


def _check_rows(shown: list[str], expected: list[str]) -> str:
    """A baseline is only a yardstick if it fetched the very rows the page shows."""
    if shown == expected:
        return ""
    return f"ROWS DIFFER: {len(shown)} shown vs {len(expected)} in baseline"


# The baseline. The page of students is chosen first and only its rows are joined to their
# latest enrolment (a lateral join); joining first would look up 100,000 enrolments to show 50.
BASELINE_SQL = """
WITH page AS (
    SELECT s.id, s.code, s.student_number, s.national_id, s.g_code, s.prefix, s.first_name, s.last_name,
           s.first_name_en, s.last_name_en, s.sex, s.birth_date, s.status,
           sc.code AS school_code, sc.name AS school_name
    FROM {student} s
    JOIN {school} sc ON sc.id = s.school_id
    WHERE {where}
    ORDER BY sc.name, s.student_number
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.*, current.*
FROM page
LEFT JOIN LATERAL (
    SELECT e.code AS enrolment_code, e.number, ay.year, gl.short_name AS grade_level,
           c.room, room_level.short_name AS room_level
    FROM {enrolment} e
    JOIN {academic_year} ay ON ay.id = e.academic_year_id
    JOIN {grade_level} gl ON gl.id = e.grade_level_id
    LEFT JOIN {classroom} c ON c.id = e.classroom_id
    LEFT JOIN {grade_level} room_level ON room_level.id = c.grade_level_id
    WHERE e.student_id = page.id
    ORDER BY ay.year DESC
    LIMIT 1
) current ON true
ORDER BY page.school_name, page.student_number
"""

TABLES = {
    "student": Student._meta.db_table,
    "school": School._meta.db_table,
    "enrolment": Enrolment._meta.db_table,
    "academic_year": AcademicYear._meta.db_table,
    "grade_level": GradeLevel._meta.db_table,
    "classroom": Classroom._meta.db_table,
}

# Who sees a student (students.access.students_visible_to): the staff of a school the student
# belongs to or was enrolled in, and the teachers and guardians linked to the student. The
# enrolments are an uncorrelated IN (one hashed subplan): a correlated EXISTS inside the OR
# made PostgreSQL probe the enrolments once per student, and the yardstick 6x slower than the page.
VISIBLE = """(
    s.school_id = ANY(%(schools)s)
    OR s.id = ANY(%(linked)s)
    OR s.id IN (SELECT x.student_id FROM {enrolment} x WHERE x.school_id = ANY(%(schools)s))
)"""

# The name search of students.selectors.records._search, for a query of one or more words.
WORD = """(
    s.first_name ILIKE %({p})s OR s.last_name ILIKE %({p})s
    OR s.first_name_en ILIKE %({p})s OR s.last_name_en ILIKE %({p})s
)"""


def baseline_query(case: Case) -> tuple[str, dict]:
    user = User.objects.get(username=case.username)
    conditions, params = [], {"limit": case.rows, "offset": case.offset}
    schools = readable_school_ids(user)
    if schools is not None:  # None: an admin, who sees every student
        conditions.append(VISIBLE.format(**TABLES))
        params["schools"] = sorted(schools)
        params["linked"] = sorted(taught_student_ids(user) | guardian_student_ids(user))
    for index, word in enumerate(case.params.get("q", "").split()):
        conditions.append(WORD.format(p=f"w{index}"))
        params[f"w{index}"] = f"%{word}%"
    where = " AND ".join(conditions) or "true"
    return BASELINE_SQL.format(where=where, **TABLES), params


def time_baseline(case: Case, ctx: Context) -> tuple[float, list[str]]:
    sql, params = baseline_query(case)

    def fetch():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    codes = [str(row[1]) for row in fetch()]
    return median_ms(fetch, ctx), codes
