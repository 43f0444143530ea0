"""A callback registry for "something about these students changed", signal-free.

Apps depend downward (schools <- students <- academics <- earlywarning <- reports), yet a lower
app's write (an absence, an approval) must reach what a higher app derives from it (the risk
status). The lower app calls `notify(event, student_ids)` inside its transaction; the higher app
registers a listener with `listen(event, callback)` in its AppConfig.ready. Listeners must be
cheap and transactional (a dirty mark, an on_commit enqueue): they run in the writer's
transaction, and an exception in one is the writer's exception.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

# A student's standing changed: a result approved or changed after approval, an absence.
STUDENTS_CHANGED = "students.changed"

_listeners: dict[str, list[Callable[[list[int]], object]]] = defaultdict(list)


def listen(event: str, callback: Callable[[list[int]], object]) -> None:
    if callback not in _listeners[event]:
        _listeners[event].append(callback)


def notify(event: str, student_ids: Iterable[int]) -> None:
    ids = sorted(set(student_ids))
    if not ids:
        return
    for callback in _listeners.get(event, ()):
        callback(ids)
