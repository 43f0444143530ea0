"""The grade grid: saving a cell, many teachers saving at once, and the 50 × 12 grid page.

All three work on the bench sections of `bench.sections` (an elective group of 50 students ×
12 components, every cell filled, and the same plan for 5 students), as the section's teacher.

(a) One cell saved through the real endpoint (PUT /api/v1/sections/<s>/scores/<item>/<student>/,
    in-process through django.test.Client), each request a real change. Baseline: the bare
    single-row `INSERT ... ON CONFLICT DO UPDATE` on the score table, autocommitted, in the same
    run: the floor. The ratio is the price of the session, access checks, the section lock,
    the version check, the audit context, the row's live totals and the JSON.
(b) 20 clients, each with its own session and CSRF token, saving 1,000 cells in total against a
    real server (gunicorn with the bench settings, BENCH_GUNICORN_WORKERS sync workers, 3 as
    in docker-compose), all in the same 50 × 12 section — the worst case for the section's
    lock (saves share it; none waits for another). Each client owns its cells and sends the
    version it last saw, so a 409 or any non-200 is an error, and afterwards every acknowledged
    save must be the stored value and version. Baseline: the same requests from 1 client; the
    throughput line is set against the peer's figure (RosarioSIS, measured elsewhere).
(c) The grid page (and its API) of 50 students × 12 components: server time against one raw
    SQL query returning the same cells, and the query count beside that of the 5-student
    section (it must not grow with the students).
"""

from __future__ import annotations

import http.cookies
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client

from academics.models import AssessmentItem, Score
from qinfo.env import env_int
from students.models import Student

from .harness import Context, Result, count_queries, median_ms
from .sections import MAX_VALUE, BenchSections, ensure_sections

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
TOTAL_SAVES = 1000
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def run(ctx: Context) -> list[Result]:
    bench = ensure_sections()
    client = Client()
    client.force_login(bench.teacher)
    results = [measure_one_save(client, bench, ctx)]
    results += measure_concurrent(bench)
    results += measure_grid(client, bench, ctx)
    return results


# --- (a) one cell ------------------------------------------------------------------------------


SCORE = Score._meta.db_table
UPSERT = f"""
INSERT INTO {SCORE} (school_id, section_id, item_id, student_id, value, mark, version, updated_by_id, updated_at)
VALUES (%s, %s, %s, %s, %s, '', 1, %s, now())
ON CONFLICT (item_id, student_id) DO UPDATE
SET value = EXCLUDED.value, mark = '', version = {SCORE}.version + 1,
    updated_by_id = EXCLUDED.updated_by_id, updated_at = EXCLUDED.updated_at
"""


def _cells(bench: BenchSections) -> list[tuple[AssessmentItem, Student]]:
    items = list(AssessmentItem.objects.filter(section=bench.big).order_by("is_final", "order", "id"))
    students = list(Student.objects.filter(registrations__section=bench.big).order_by("student_number"))
    return [(item, student) for student in students for item in items]


def measure_one_save(client: Client, bench: BenchSections, ctx: Context) -> Result:
    item, student = _cells(bench)[0]
    url = f"/api/v1/sections/{bench.big.code}/scores/{item.code}/{student.code}/"
    # Start from the value the cell does not hold (an earlier run may have left either).
    stored = Score.objects.filter(item=item, student=student).values_list("value", flat=True).first()
    counter = iter(range(1 if stored == 3 else 0, 10**9))

    def save():
        # Alternate between two values so that every request is a write, never "unchanged".
        value = str(3 + next(counter) % 2)
        body = json.dumps({"value": value, "expected_version": None})
        response = client.put(url, body, content_type="application/json")
        if response.status_code != 200 or response.json()["status"] != "saved":
            raise RuntimeError(f"PUT {url}: {response.status_code} {response.content[:200]!r}")
        return response

    figure = median_ms(save, ctx)
    queries = count_queries(save)
    other_item, other_student = _cells(bench)[1]
    values = iter(range(10**9))

    def upsert():
        with connection.cursor() as cursor:
            cursor.execute(
                UPSERT,
                [
                    bench.big.school_id,
                    bench.big.pk,
                    other_item.pk,
                    other_student.pk,
                    3 + next(values) % 2,
                    bench.teacher.pk,
                ],
            )

    baseline = median_ms(upsert, ctx)
    return Result("save one cell (PUT score API) vs bare upsert", figure, baseline, queries)


# --- (b) 20 clients against a real server ------------------------------------------------------


@dataclass
class Session:
    """One browser: its session cookie and CSRF token, and the versions it has seen."""

    base: str
    cookie: str
    token: str
    versions: dict
    values: dict


def _open(request, timeout: float = 60):
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 — the bench server on 127.0.0.1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the bench settings on a free port, for the length of a `with`."""

    def __init__(self, workers: int):
        self.workers = workers
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115 — closed in __exit__

    def __enter__(self) -> Server:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qinfo.settings.bench", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(  # noqa: S603 — a fixed command line
            [
                sys.executable,
                "-m",
                "gunicorn",
                "qinfo.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode}: {self._tail()}")
            try:
                with _open(f"{self.base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer within 60 s: {self._tail()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def _tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-2000:]


def _open_session(base: str, bench: BenchSections, versions: dict, values: dict) -> Session:
    """Log in (a session of its own in the database and cache, as a sign-in makes) and open the
    grid page once, as the browser does, to receive the CSRF cookie and token."""
    client = Client()
    client.force_login(bench.teacher)
    session_cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    request = urllib.request.Request(  # noqa: S310 — http://127.0.0.1 only
        f"{base}/academics/sections/{bench.big.code}/grid/", headers={"Cookie": session_cookie}
    )
    with _open(request) as response:
        page = response.read().decode()
        jar = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    if settings.CSRF_COOKIE_NAME not in jar:
        raise RuntimeError("the grid page set no CSRF cookie")
    token = CSRF_META.search(page)
    if token is None:
        raise RuntimeError("the grid page has no csrf-token meta tag")
    cookie = f"{session_cookie}; {settings.CSRF_COOKIE_NAME}={jar[settings.CSRF_COOKIE_NAME].value}"
    return Session(base, cookie, token.group(1), versions, values)


def _save(session: Session, section_code, item, student) -> tuple[float, str]:
    """One PUT as the grid's JavaScript sends it; returns (seconds, error or "")."""
    key = (item.pk, student.pk)
    value = session.values[key] % MAX_VALUE + 1  # always different from what is stored
    body = json.dumps({"value": str(value), "expected_version": session.versions[key]}).encode()
    request = urllib.request.Request(  # noqa: S310 — http://127.0.0.1 only
        f"{session.base}/api/v1/sections/{section_code}/scores/{item.code}/{student.code}/",
        data=body,
        method="PUT",
        headers={
            "Cookie": session.cookie,
            "X-CSRFToken": session.token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    started = time.perf_counter()
    try:
        with _open(request) as response:
            payload = json.loads(response.read())
        elapsed = time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return time.perf_counter() - started, f"{error.code} {error.read()[:200]!r}"
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return time.perf_counter() - started, repr(error)
    if payload.get("status") != "saved":
        return elapsed, f"status {payload.get('status')}"
    session.versions[key] = payload["cell"]["version"]
    session.values[key] = value
    return elapsed, ""


def _stored(bench: BenchSections) -> tuple[dict, dict]:
    versions, values = {}, {}
    for item_id, student_id, version, value in Score.objects.filter(section=bench.big).values_list(
        "item_id", "student_id", "version", "value"
    ):
        versions[(item_id, student_id)] = version
        values[(item_id, student_id)] = int(value or 0)
    return versions, values


def _percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1] * 1000


def _run_clients(sessions: list[Session], bench: BenchSections, cells, per_client: int) -> tuple[list[float], list]:
    """Client k saves the cells k, k + n, k + 2n, ... (its own), round and round, `per_client`
    times; all clients start together."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(sessions))

    def work(index: int, session: Session) -> None:
        own = cells[index :: len(sessions)]
        mine, wrong = [], []
        start.wait()
        for n in range(per_client):
            item, student = own[n % len(own)]
            seconds, error = _save(session, bench.big.code, item, student)
            mine.append(seconds)
            if error:
                wrong.append(error)
        with lock:
            latencies.extend(mine)
            errors.extend(wrong)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def measure_concurrent(bench: BenchSections) -> list[Result]:
    workers = env_int("BENCH_GUNICORN_WORKERS", default=3)
    solo_requests = env_int("BENCH_GRID_SOLO_REQUESTS", default=100)
    cells = _cells(bench)
    with Server(workers) as server:
        versions, values = _stored(bench)
        sessions = [_open_session(server.base, bench, versions, values) for _ in range(CLIENTS)]
        # Warm every worker (imports, connections) before anything is timed.
        _warm, errors = _run_clients(sessions, bench, cells, 2)
        solo, solo_errors = _run_clients(sessions[:1], bench, cells, solo_requests)
        started = time.perf_counter()
        many, many_errors = _run_clients(sessions, bench, cells, TOTAL_SAVES // CLIENTS)
        wall = time.perf_counter() - started
    errors += solo_errors + many_errors
    lost = _lost_saves(bench, versions, values)
    label = f"{CLIENTS} clients x {TOTAL_SAVES // CLIENTS} saves, 1 section, gunicorn {workers} workers"
    rate = len(many) / wall
    note = f"{len(many):,} saves in {wall:.1f} s = {rate:.0f}/s; baseline: 1 client, {len(solo)} saves"
    first_error = f"; first: {errors[0]}" if errors else ""
    return [
        Result(f"{label}: p50", _percentile(many, 50), _percentile(solo, 50), note=note),
        Result(f"{label}: p95", _percentile(many, 95), _percentile(solo, 95)),
        Result(
            f"{label}: throughput vs RosarioSIS 12 (peer, 21.6/s)",
            rate,
            PEER_SAVES_PER_SECOND,
            unit="saves/s",
            note=PEER_NOTE,
        ),
        Result(
            f"{label}: errors (must be 0)",
            len(errors),
            unit="errors",
            note=("" if not errors else f"ERRORS{first_error}"),
        ),
        Result(
            f"{label}: acknowledged saves lost or doubled (must be 0)",
            lost,
            unit="cells",
            note="every 200 the clients received is checked against the stored value and version",
        ),
    ]


# The peer yardstick, measured elsewhere on this machine class (2 cores), back to back with
# Q-Info, not in this run: RosarioSIS 12 (PHP, 4 workers), its real teacher save request, 1,000
# saves from 20 clients into one class of 50 x 12 cells.
PEER_SAVES_PER_SECOND = 21.6
PEER_NOTE = (
    "peer measured elsewhere on this machine class, not in this run: RosarioSIS 12 (PHP, 4 workers) "
    "1 client p50 103 ms; 20 clients p50 921 ms, p95 1,119 ms, 21.6 saves/s. "
    "Targets: >= 100 saves/s (5x the peer), p95 < 250 ms"
)


def _lost_saves(bench: BenchSections, versions: dict, values: dict) -> int:
    """Cells whose stored value or version is not what the last acknowledged save said."""
    stored_versions, stored_values = _stored(bench)
    return sum(
        1
        for key, version in versions.items()
        if stored_versions.get(key) != version or stored_values.get(key) != values[key]
    )


# --- (c) the grid page -------------------------------------------------------------------------

# Every cell of the grid in one query: registered students × the section's components, with the
# stored score if any, in the grid's order of columns.
GRID_SQL = """
SELECT st.code, st.student_number, st.prefix, st.first_name, st.last_name,
       i.code, i.name, i.max_score, sc.value, sc.mark, sc.version
FROM academics_registration r
JOIN students_student st ON st.id = r.student_id
CROSS JOIN academics_assessmentitem i
LEFT JOIN academics_score sc ON sc.item_id = i.id AND sc.student_id = r.student_id
WHERE r.section_id = %(section)s AND i.section_id = %(section)s
ORDER BY st.student_number, i.is_final, i."order", i.id
"""


def measure_grid(client: Client, bench: BenchSections, ctx: Context) -> list[Result]:
    def fetch():
        with connection.cursor() as cursor:
            cursor.execute(GRID_SQL, {"section": bench.big.pk})
            return cursor.fetchall()

    cells = len(fetch())
    baseline = median_ms(fetch, ctx)
    results = []
    for kind, url in (
        ("page", "/academics/sections/{code}/grid/"),
        ("API ", "/api/v1/sections/{code}/grid/"),
    ):

        def get(section, path=url):
            def action():
                response = client.get(path.format(code=section.code))
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path.format(code=section.code)}: {response.status_code}")
                return response

            return action

        big, small = get(bench.big), get(bench.small)
        big_queries, small_queries = count_queries(big), count_queries(small)
        verdict = "constant" if big_queries == small_queries else "GROWS WITH STUDENTS"
        results.append(
            Result(
                f"grid {kind} 50 students x 12 components vs raw SQL of its {cells} cells",
                median_ms(big, ctx),
                baseline,
                big_queries,
                note=f"queries: 5 students {small_queries}, 50 students {big_queries}: {verdict}",
            )
        )
        small_ms = median_ms(small, ctx)
        results.append(Result(f"grid {kind} 5 students x 12 components", small_ms, baseline, small_queries))
    return results
