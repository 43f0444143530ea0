"""The suite's clock, for every test of every app (tests/conftest.py has the rest)."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import time_machine
from hypothesis import HealthCheck, settings

# Property tests assert behaviour, never speed: no per-example deadline and no "too slow" check,
# which fail at random on a loaded 2-core machine (speed lives in bench/).
settings.register_profile("qinfo", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("qinfo")

# --- The clock -------------------------------------------------------------------------------
#
# No test reads the machine's clock. Every test starts at the same moment of the school year its
# fixtures build (term 2 of 2569) and the clock runs on from there. The default moment is
# 23:30 UTC, when the date in UTC is a day behind the date in Bangkok: a test or a piece of code
# that takes "today" without the school's time zone fails on every run, not only at some hours.
# QINFO_TEST_CLOCK moves the starting moment (an ISO date-time with its offset) to run the
# suite at another hour; a test that needs another day travels there itself (`clock.move_to`).

SUITE_CLOCK = datetime.fromisoformat(os.environ.get("QINFO_TEST_CLOCK", "2026-12-01T23:30:00+00:00"))
if SUITE_CLOCK.tzinfo is None:
    raise RuntimeError("QINFO_TEST_CLOCK needs a UTC offset, e.g. 2026-12-01T23:30:00+00:00")


@pytest.fixture(autouse=True)
def clock():
    """The suite's clock for this test; `clock.move_to(moment)` travels (tick=True: time runs on)."""
    with time_machine.travel(SUITE_CLOCK, tick=True) as traveller:
        yield traveller
