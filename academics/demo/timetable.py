"""Demo timetables: place every section of a school's term into a clash-free week.

A greedy placement: the sections needing most periods (and whose teachers are busiest) go
first; each period goes to the free weekday × period where the section has met least that
day, in a random order drawn from `rng`. A slot is free when the classroom, every teacher and
the room are. Subjects that use a special room (science lab, computer room, gym, …) take one
when it is free, else the classroom's own room. A section that finds no free slot is left
short, so the result never has a clash, only perhaps a "too few periods" problem to show.
Running it again adds only what is missing.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from django.db import transaction

from academics import timetable as rules
from academics.models import CourseSection, SectionTeacher, TimetableSlot, in_term_q
from academics.selectors.timetable import expected_for
from academics.services.timetable import periods_ensure_default
from qinfo.audit import audited
from schools.models import School, Term

SPECIAL_ROOMS = {
    "ว": ["ห้องปฏิบัติการวิทยาศาสตร์ 1", "ห้องปฏิบัติการวิทยาศาสตร์ 2"],
    "ง": ["ห้องคอมพิวเตอร์ 1", "ห้องคอมพิวเตอร์ 2"],
    "พ": ["โรงยิม", "สนามกีฬา"],
    "ศ": ["ห้องดนตรี", "ห้องศิลปะ"],
    "อ": ["ห้องปฏิบัติการทางภาษา"],
}


def _home_rooms(sections: list[CourseSection]) -> dict[int, str]:
    """A room number per classroom: 101, 102, … 110, 201, … in grade and room order."""
    classrooms = sorted({s.classroom for s in sections if s.classroom_id}, key=lambda c: (c.grade_level.order, c.room))
    return {c.pk: f"{1 + index // 10}{index % 10 + 1:02d}" for index, c in enumerate(classrooms)}


@transaction.atomic
def build_timetable(school: School, term: Term, rng: random.Random) -> int:
    """Place the term's sections; return how many slots were added (bulk insert)."""
    periods = [p.number for p in periods_ensure_default(school=school)]
    sections = list(
        CourseSection.objects.in_term(term).filter(school=school).select_related("subject", "classroom__grade_level")
    )
    teachers_of: dict[int, list[int]] = defaultdict(list)
    for section_id, teacher_id in SectionTeacher.objects.filter(
        in_term_q(term, "section__"), school=school
    ).values_list("section_id", "teacher_id"):
        teachers_of[section_id].append(teacher_id)
    home_room = _home_rooms(sections)

    busy_classroom: set[tuple[int, int, int]] = set()
    busy_teacher: set[tuple[int, int, int]] = set()
    busy_room: set[tuple[str, int, int]] = set()
    planned: Counter = Counter()
    per_day: Counter = Counter()
    classroom_of = {s.pk: s.classroom_id for s in sections}
    for section_id, weekday, period, room in TimetableSlot.objects.filter(school=school, term=term).values_list(
        "section_id", "weekday", "period", "room"
    ):
        planned[section_id] += 1
        per_day[(section_id, weekday)] += 1
        if classroom_of.get(section_id):
            busy_classroom.add((classroom_of[section_id], weekday, period))
        busy_teacher.update((t, weekday, period) for t in teachers_of.get(section_id, []))
        if room:
            busy_room.add((room, weekday, period))

    load: Counter = Counter()
    for section in sections:
        for teacher_id in teachers_of.get(section.pk, []):
            load[teacher_id] += expected_for(section.subject)
    order = sorted(
        sections,
        key=lambda s: (
            -expected_for(s.subject),
            -max((load[t] for t in teachers_of.get(s.pk, [])), default=0),
            rng.random(),
        ),
    )

    new: list[TimetableSlot] = []
    times = [(weekday, period) for weekday in rules.SCHOOL_WEEK for period in periods]
    for section in order:
        need = expected_for(section.subject) - planned[section.pk]
        if need <= 0:
            continue
        teachers = teachers_of.get(section.pk, [])
        specials = SPECIAL_ROOMS.get(section.subject.subject_code[:1], []) if section.classroom_id else []
        own_room = home_room.get(section.classroom_id, "")
        candidates = times[:]
        rng.shuffle(candidates)
        for _ in range(need):
            best = None
            for weekday, period in sorted(candidates, key=lambda t: per_day[(section.pk, t[0])]):
                if section.classroom_id and (section.classroom_id, weekday, period) in busy_classroom:
                    continue
                if any((t, weekday, period) in busy_teacher for t in teachers):
                    continue
                room = next((r for r in specials if (r, weekday, period) not in busy_room), own_room)
                if room and (room, weekday, period) in busy_room:
                    continue
                best = (weekday, period, room)
                break
            if best is None:
                break  # no free slot left for this section: it stays short, never clashes
            weekday, period, room = best
            candidates.remove((weekday, period))
            if section.classroom_id:
                busy_classroom.add((section.classroom_id, weekday, period))
            busy_teacher.update((t, weekday, period) for t in teachers)
            if room:
                busy_room.add((room, weekday, period))
            per_day[(section.pk, weekday)] += 1
            planned[section.pk] += 1
            new.append(
                TimetableSlot(
                    school=school,
                    term=term,
                    section=section,
                    classroom_id=section.classroom_id,
                    weekday=weekday,
                    period=period,
                    room=room,
                )
            )
    with audited(None, "ข้อมูลตัวอย่าง: จัดตารางสอนอัตโนมัติ"):
        TimetableSlot.objects.bulk_create(new, batch_size=2000)
    return len(new)
