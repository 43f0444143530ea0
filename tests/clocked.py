"""Run a Python module in a child process on the calling test's clock.

    python -m tests.clocked celery -A qinfo worker ...

The test passes `clock_environment()`: the moment its clock shows, and the time of the Redis
server when it read it. The child starts its own clock at that moment plus however long it took
to start (by the same Redis server's clock), so a Celery worker and the test agree on "now" and
on "today" in the school's time zone. Redis's clock, not this machine's, measures the start-up:
a process run under libfaketime (`faketime -f '@…'`) starts its own machine clock afresh, so
two processes' machine clocks need not agree.
"""

from __future__ import annotations

import os
import runpy
import sys
from datetime import UTC, datetime, timedelta

import time_machine

REDIS = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


def _shared_seconds(url: str) -> float | None:
    """The Redis server's clock, the same for every process of the run; None if unreachable."""
    import redis

    try:
        seconds, micros = redis.Redis.from_url(url, socket_timeout=2).time()
    except redis.RedisError:
        return None
    return seconds + micros / 1e6


def clock_environment() -> dict[str, str]:
    shared = _shared_seconds(REDIS)
    return {
        "QINFO_CLOCK_AT": datetime.now(UTC).isoformat(),
        "QINFO_CLOCK_SHARED": "" if shared is None else repr(shared),
        "QINFO_CLOCK_REDIS": REDIS,
    }


def main() -> None:
    at = datetime.fromisoformat(os.environ["QINFO_CLOCK_AT"])
    then = os.environ.get("QINFO_CLOCK_SHARED", "")
    now = _shared_seconds(os.environ.get("QINFO_CLOCK_REDIS", REDIS)) if then else None
    late = max(0.0, now - float(then)) if now is not None else 0.0
    time_machine.travel(at + timedelta(seconds=late), tick=True).start()
    if sys.argv[1] == "-c":  # python -m tests.clocked -c "code", as python -c does
        code = sys.argv[2]
        sys.argv = ["-c", *sys.argv[3:]]
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 — the test's own code
        return
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
