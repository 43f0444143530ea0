"""Run a Python module in a child process on the calling test's clock.

    python -m tests.clocked celery -A qinfo worker ...

The test passes `clock_environment()`: the moment its clock shows and the machine's time when it
read it. The child starts its own clock at that moment plus however long it took to start, so a
Celery worker and the test agree on "now" and on "today" in the school's time zone.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from datetime import UTC, datetime, timedelta

import time_machine


def clock_environment() -> dict[str, str]:
    return {
        "QINFO_CLOCK_AT": datetime.now(UTC).isoformat(),
        "QINFO_CLOCK_REAL": repr(time_machine.escape_hatch.time.time()),
    }


def main() -> None:
    at = datetime.fromisoformat(os.environ["QINFO_CLOCK_AT"])
    started = float(os.environ["QINFO_CLOCK_REAL"])
    late = time.time() - started  # this process is not travelling yet: the machine's clock
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
