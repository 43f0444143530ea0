"""The suite never depends on the hour it runs at.

Every test runs on the suite's clock (the root conftest.py), which starts at 23:30 UTC, when the
date in UTC is already a day behind the school's date in Bangkok; a test that reads the
machine's clock, or code that takes today's date without the school's time zone, would pass at
some hours and fail at others. These tests keep that guard honest: the clock is in force, its
default hour is one where the two dates differ, no source file reads the machine's clock, and
"today", the academic year and the term turn over at midnight in Bangkok, not in UTC.
"""

from __future__ import annotations

import ast
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from conftest import SUITE_CLOCK
from qinfo import thaidate
from schools.selectors.organisation import current_academic_year, current_term
from students.selectors.records import _current_year
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
BANGKOK = ZoneInfo("Asia/Bangkok")
APPS = ("qinfo", "schools", "students", "academics", "earlywarning", "reports", "bench")


def test_each_test_runs_on_the_suite_clock():
    now = timezone.now()
    assert SUITE_CLOCK <= now < SUITE_CLOCK + timedelta(minutes=5)
    assert datetime.now(UTC) - now < timedelta(seconds=1)


@pytest.mark.skipif("QINFO_TEST_CLOCK" in os.environ, reason="the clock was moved on purpose")
def test_the_default_clock_falls_when_utc_and_bangkok_disagree_on_the_date():
    assert SUITE_CLOCK.astimezone(UTC).date() != SUITE_CLOCK.astimezone(BANGKOK).date()
    assert timezone.localdate() == SUITE_CLOCK.astimezone(BANGKOK).date()


# --- No source reads the machine's clock -------------------------------------------------------

# Calls that give the machine's date or time with no time zone, or a UTC one where the school's
# is meant. `timezone.now()` and `timezone.localdate()` are the ways to ask.
FORBIDDEN = {
    ("date", "today"): "date.today() gives the machine's date: use timezone.localdate()",
    ("datetime", "today"): "datetime.today() is naive: use timezone.now()",
    ("datetime", "utcnow"): "datetime.utcnow() is naive: use timezone.now()",
    ("time", "time"): "time.time() is the machine's clock: use timezone.now() (or time.monotonic() for a wait)",
}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        method = node.func.attr
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
        if (owner_name, method) in FORBIDDEN:
            found.append(f"{where}: {FORBIDDEN[owner_name, method]}")
        elif owner_name == "datetime" and method == "now" and not node.args and not node.keywords:
            found.append(f"{where}: datetime.now() without a time zone: use timezone.now()")
        elif (
            method == "date"
            and not node.args
            and isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Attribute)
            and owner.func.attr == "now"
        ):
            found.append(f"{where}: .date() of now() is the UTC date: use timezone.localdate()")
    return found


# The one place that reads the machine's clock on purpose: to start a child process's clock.
ALLOWED = {ROOT / "tests" / "clocked.py"}


def _sources():
    for top in (*APPS, "tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts and path not in ALLOWED:
                yield path
    yield ROOT / "conftest.py"


def test_no_source_reads_the_machine_clock():
    problems = [problem for path in _sources() for problem in _problems(path)]
    assert problems == []


def test_the_guard_finds_what_it_forbids(tmp_path):
    # Outside the source tree: the guard above may be reading it at the same time (pytest-xdist).
    sample = tmp_path / "_clock_sample_for_guard.py"
    sample.write_text(
        "from datetime import date, datetime\nimport time\nfrom django.utils import timezone\n"
        "a = date.today()\nb = datetime.now()\nc = timezone.now().date()\nd = time.time()\n"
        "ok = datetime.now(tz=None)\n",
        encoding="utf-8",
    )
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in _problems(sample)] == ["4", "5", "6", "7"]


# --- Midnight in Bangkok, not in UTC ------------------------------------------------------------


def _bangkok(*args) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


@pytest.mark.parametrize(
    ("moment", "today"),
    [
        (_bangkok(2026, 12, 2, 6, 30), date(2026, 12, 2)),  # 23:30 UTC on 1 December
        (_bangkok(2026, 12, 1, 23, 59), date(2026, 12, 1)),  # 16:59 UTC
        (_bangkok(2026, 12, 2, 0, 0), date(2026, 12, 2)),  # 17:00 UTC on 1 December
        (_bangkok(2026, 12, 2, 19, 0), date(2026, 12, 2)),  # 12:00 UTC
    ],
)
def test_today_is_the_date_in_bangkok_at_any_hour(clock, moment, today):
    clock.move_to(moment)
    assert timezone.localdate() == today


def test_the_academic_year_turns_over_at_midnight_on_16_may_in_bangkok(db, clock):
    school = f.SchoolFactory()
    f.make_year(school, 2569)
    f.make_year(school, 2570)

    clock.move_to(_bangkok(2027, 5, 15, 23, 59))  # 16:59 UTC on 15 May
    assert _current_year() == 2569
    assert current_academic_year(school).year == 2569
    assert thaidate.academic_year_of(timezone.localdate()) == 2569

    clock.move_to(_bangkok(2027, 5, 16, 0, 1))  # 17:01 UTC on 15 May: still 15 May in UTC
    assert timezone.now().astimezone(UTC).date() == date(2027, 5, 15)
    assert _current_year() == 2570
    assert current_academic_year(school).year == 2570
    term = current_term(school)
    assert (term.academic_year.year, term.number) == (2570, 1)


def test_between_terms_the_current_term_is_the_one_that_ended_last(db, clock):
    school = f.SchoolFactory()
    f.make_year(school, 2569)
    clock.move_to(_bangkok(2026, 10, 20, 9, 0))  # after term 1 ended on 11 October
    term = current_term(school)
    assert (term.academic_year.year, term.number) == (2569, 1)
    clock.move_to(_bangkok(2026, 11, 1, 0, 0))  # 17:00 UTC on 31 October
    assert current_term(school).number == 2


def test_a_child_process_shares_the_tests_clock(clock):
    import subprocess
    import sys

    from tests.clocked import clock_environment

    clock.move_to(_bangkok(2027, 5, 16, 0, 5))
    env = {**os.environ, **clock_environment()}
    script = "from datetime import datetime, UTC; print(datetime.now(UTC).isoformat())"
    out = subprocess.run(  # noqa: S603 — fixed arguments
        [sys.executable, "-m", "tests.clocked", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    ).stdout
    child_now = datetime.fromisoformat(out.strip())
    assert abs(child_now - timezone.now()) < timedelta(seconds=30)
    assert child_now.astimezone(BANGKOK).date() == date(2027, 5, 16)
    with time_machine.travel(_bangkok(2030, 1, 1), tick=False):
        assert timezone.localdate() == date(2030, 1, 1)
