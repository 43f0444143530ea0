"""Reads for the timetable pages and PDFs.

A term's timetable is read whole, in a fixed number of queries (sections with subject and
classroom, their teachers, the slots), and every grid, side panel and problem list is built
from that in Python: the classroom grid shows the problems of the whole term, so it needs the
whole term anyway, and no page's query count grows with sections or slots.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import time

from django.db.models import Prefetch, Q
from django.http import Http404

from academics import timetable as rules
from academics.models import CourseSection, Period, SectionTeacher, Subject, TimetableSlot
from qinfo.access import get_visible_or_404
from schools.access.organisation import managed_school_ids, readable_school_ids
from schools.models import School, StaffMembership, Term, User
from students.access import homeroom_classrooms
from students.models import Classroom

Role = StaffMembership.Role
LUNCH_MINUTES = 30  # a gap this long between two periods is drawn as a break column


def person_name(user) -> str:
    """How a teacher is named in messages and cells: first and last name, without the title
    (messages say ครู…, so "ครูนางสมศรี" never appears)."""
    return f"{user.first_name} {user.last_name}".strip() or user.username


def section_label(section: CourseSection) -> str:
    """ "ท21101 ม.1/1" or "ว20201 ชุมนุมหุ่นยนต์"."""
    return f"{section.subject.subject_code} {section.label}"


def section_order(section: CourseSection) -> tuple:
    """Classroom sections by grade and room, then mixed groups by name; subject code within."""
    if section.classroom_id:
        return (0, section.classroom.grade_level.order, section.classroom.room, "", section.subject.subject_code)
    return (1, 0, 0, section.group_name, section.subject.subject_code)


def expected_for(subject: Subject) -> int:
    return rules.expected_periods(
        secondary=subject.stage in (Subject.Stage.LOWER_SECONDARY, Subject.Stage.UPPER_SECONDARY),
        credits=subject.credits,
        hours=subject.hours,
        periods_per_week=subject.periods_per_week,
    )


def short_name(name: str, limit: int = 28) -> str:
    """A subject name short enough for a timetable cell (cut at a space when there is one)."""
    name = " ".join(name.split())
    if len(name) <= limit:
        return name
    cut = name[:limit].rsplit(" ", 1)[0]
    if len(cut) < limit // 2:
        cut = name[:limit]
    return cut.rstrip() + "…"


def room_display(room: str) -> str:
    """ "ห้อง 301" for a bare room number; a named place ("ห้องดนตรี", "โรงยิม") as it is."""
    return f"ห้อง {room}" if room[:1].isdigit() else room


# --- Bell schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodColumn:
    number: int
    start: str
    end: str
    break_before: str = ""  # "11:50–12:40" when a break (lunch) precedes this period


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def period_columns(periods: list[Period]) -> list[PeriodColumn]:
    columns = []
    previous_end = None
    for period in periods:
        gap = ""
        if previous_end is not None:
            minutes = _minutes(period.start_time) - _minutes(previous_end)
            if minutes >= LUNCH_MINUTES:
                gap = f"{previous_end:%H:%M}–{period.start_time:%H:%M}"
        columns.append(
            PeriodColumn(period.number, f"{period.start_time:%H:%M}", f"{period.end_time:%H:%M}", break_before=gap)
        )
        previous_end = period.end_time
    return columns


# --- A term's timetable, read once -----------------------------------------------------------------


@dataclass
class TermTimetable:
    school: School
    term: Term
    sections: dict[int, CourseSection]
    teachers_of: dict[int, list[User]]
    slots: list[TimetableSlot]
    problems: list[rules.Problem]
    expected: dict[int, int]
    planned: Counter

    def teacher_names(self, section_id: int) -> list[str]:
        return [person_name(teacher) for teacher in self.teachers_of.get(section_id, [])]

    @property
    def clashes(self) -> list[rules.Problem]:
        return [problem for problem in self.problems if problem.is_clash]

    @property
    def rooms(self) -> list[str]:
        return sorted({slot.room for slot in self.slots if slot.room})

    def usual_room(self, section_id: int) -> str:
        rooms = Counter(slot.room for slot in self.slots if slot.section_id == section_id and slot.room)
        return rooms.most_common(1)[0][0] if rooms else ""


def term_timetable(*, school: School, term: Term) -> TermTimetable:
    """Everything about one term's timetable in three queries."""
    sections = {
        section.pk: section
        for section in CourseSection.objects.in_term(term)
        .filter(school=school)
        .select_related("subject", "classroom__grade_level")
        .prefetch_related(
            Prefetch(
                "section_teachers",
                queryset=SectionTeacher.objects.select_related("teacher").order_by(
                    "-is_primary", "teacher__first_name"
                ),
            )
        )
    }
    teachers_of = {pk: [st.teacher for st in section.section_teachers.all()] for pk, section in sections.items()}
    slots = list(TimetableSlot.objects.filter(school=school, term=term).order_by("weekday", "period", "id"))
    expected = {pk: expected_for(section.subject) for pk, section in sections.items()}
    infos = [
        rules.SectionInfo(
            id=pk,
            label=section_label(section),
            expected=expected[pk],
            teacher_ids=tuple(teacher.pk for teacher in teachers_of[pk]),
            classroom_id=section.classroom_id,
            classroom_name=section.classroom.name if section.classroom_id else "",
            sort_key=section_order(section),
        )
        for pk, section in sections.items()
    ]
    names = {teacher.pk: person_name(teacher) for teachers in teachers_of.values() for teacher in teachers}
    problems = rules.find_problems(
        infos, [rules.SlotInfo(s.section_id, s.weekday, s.period, s.room) for s in slots], names
    )
    planned = Counter(slot.section_id for slot in slots)
    return TermTimetable(school, term, sections, teachers_of, slots, problems, expected, planned)


# --- Grids ---------------------------------------------------------------------------------------


@dataclass
class Entry:
    section: CourseSection
    room: str
    teachers: list[str]
    clash: bool = False

    @property
    def label(self) -> str:
        return section_label(self.section)

    @property
    def subject_short(self) -> str:
        return short_name(self.section.subject.name)

    @property
    def room_display(self) -> str:
        return room_display(self.room)


@dataclass
class Cell:
    weekday: int
    period: int
    entries: list[Entry] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    break_before: str = ""

    @property
    def weekday_name(self) -> str:
        return rules.weekday_name(self.weekday)

    @property
    def clash(self) -> bool:
        return bool(self.messages)

    @property
    def entry(self) -> Entry | None:
        return self.entries[0] if len(self.entries) == 1 else None


@dataclass
class Row:
    weekday: int
    name: str
    cells: list[Cell]


@dataclass
class SectionLine:
    section: CourseSection
    teachers: list[str]
    expected: int
    planned: int
    usual_room: str

    @property
    def status(self) -> str:
        return rules.count_status(self.planned, self.expected)

    @property
    def difference(self) -> int:
        return abs(self.expected - self.planned)

    @property
    def label(self) -> str:
        return section_label(self.section)


@dataclass
class Grid:
    """A week's grid for one classroom or one teacher, with the sections it may hold."""

    data: TermTimetable
    columns: list[PeriodColumn]
    rows: list[Row]
    lines: list[SectionLine]
    problems: list[rules.Problem]  # problems touching this grid's sections

    def cell(self, weekday: int, period: int) -> Cell:
        for row in self.rows:
            if row.weekday == weekday:
                for cell in row.cells:
                    if cell.period == period:
                        return cell
        return Cell(weekday, period)

    @property
    def planned_total(self) -> int:
        return sum(line.planned for line in self.lines)

    @property
    def expected_total(self) -> int:
        return sum(line.expected for line in self.lines)

    @property
    def has_saturday(self) -> bool:
        return any(row.weekday == rules.SATURDAY for row in self.rows)


def _grid(data: TermTimetable, periods: list[Period], section_ids: list[int], *, saturday: bool = False) -> Grid:
    wanted = set(section_ids)
    slots = [slot for slot in data.slots if slot.section_id in wanted]
    clash_at: dict[tuple[int, int], list[str]] = defaultdict(list)
    clashing: set[tuple[int, int, int]] = set()
    touching = []
    for problem in data.problems:
        if not wanted.intersection(problem.section_ids):
            continue
        touching.append(problem)
        if problem.is_clash:
            clash_at[(problem.weekday, problem.period)].append(problem.message)
            clashing.update((sid, problem.weekday, problem.period) for sid in problem.section_ids)
    weekdays = list(rules.SCHOOL_WEEK)
    if saturday or any(slot.weekday == rules.SATURDAY for slot in slots):
        weekdays.append(rules.SATURDAY)
    by_time: dict[tuple[int, int], list[TimetableSlot]] = defaultdict(list)
    for slot in slots:
        by_time[(slot.weekday, slot.period)].append(slot)
    columns = period_columns(periods)
    rows = []
    for weekday in weekdays:
        cells = []
        for period, column in zip(periods, columns, strict=True):
            key = (weekday, period.number)
            entries = [
                Entry(
                    section=data.sections[slot.section_id],
                    room=slot.room,
                    teachers=data.teacher_names(slot.section_id),
                    clash=(slot.section_id, weekday, period.number) in clashing,
                )
                for slot in by_time.get(key, [])
            ]
            cells.append(Cell(weekday, period.number, entries, clash_at.get(key, []), column.break_before))
        rows.append(Row(weekday, rules.weekday_name(weekday), cells))
    lines = sorted(
        (
            SectionLine(
                section=data.sections[pk],
                teachers=data.teacher_names(pk),
                expected=data.expected[pk],
                planned=data.planned.get(pk, 0),
                usual_room=data.usual_room(pk),
            )
            for pk in wanted
        ),
        key=lambda line: (line.section.subject.subject_code, line.section.label),
    )
    return Grid(data, columns, rows, lines, touching)


def classroom_grid(data: TermTimetable, periods: list[Period], classroom: Classroom, *, saturday=False) -> Grid:
    ids = [pk for pk, section in data.sections.items() if section.classroom_id == classroom.pk]
    return _grid(data, periods, ids, saturday=saturday)


def teacher_grid(data: TermTimetable, periods: list[Period], teacher: User, *, saturday=False) -> Grid:
    ids = [pk for pk, teachers in data.teachers_of.items() if any(t.pk == teacher.pk for t in teachers)]
    return _grid(data, periods, ids, saturday=saturday)


# --- Who is in the timetable -----------------------------------------------------------------------


def school_teachers(school: School) -> list[User]:
    """Teachers of the school (teacher or homeroom role), for the index and the teacher grid."""
    return list(
        User.objects.filter(
            memberships__school=school,
            memberships__is_active=True,
            memberships__role__in=[Role.TEACHER, Role.HOMEROOM_TEACHER],
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


def term_classrooms(term: Term) -> list[Classroom]:
    return list(
        Classroom.objects.filter(school_id=term.school_id, academic_year_id=term.academic_year_id)
        .select_related("grade_level")
        .prefetch_related("homeroom_teachers")
        .order_by("grade_level__order", "room")
    )


@dataclass
class IndexLine:
    obj: object
    sections: int
    planned: int
    expected: int
    clashes: int

    @property
    def status(self) -> str:
        if self.clashes:
            return "clash"
        return rules.count_status(self.planned, self.expected)


def timetable_index(data: TermTimetable, classrooms: list[Classroom], teachers: list[User]):
    """Per classroom and per teacher: sections, periods planned vs expected, clashes."""
    per_classroom: dict[int, list[int]] = defaultdict(list)
    per_teacher: dict[int, list[int]] = defaultdict(list)
    extra_teachers: dict[int, User] = {}
    for pk, section in data.sections.items():
        if section.classroom_id:
            per_classroom[section.classroom_id].append(pk)
        for teacher in data.teachers_of[pk]:
            per_teacher[teacher.pk].append(pk)
            extra_teachers.setdefault(teacher.pk, teacher)
    clash_sections: Counter = Counter()
    clash_teachers: Counter = Counter()
    for problem in data.clashes:
        for pk in problem.section_ids:
            clash_sections[pk] += 1
        if problem.teacher_id:
            clash_teachers[problem.teacher_id] += 1

    def line(obj, ids: list[int], clashes: int) -> IndexLine:
        return IndexLine(
            obj,
            len(ids),
            sum(data.planned.get(pk, 0) for pk in ids),
            sum(data.expected[pk] for pk in ids),
            clashes,
        )

    classroom_lines = [
        line(c, per_classroom.get(c.pk, []), sum(clash_sections[pk] for pk in per_classroom.get(c.pk, [])))
        for c in classrooms
    ]
    known = {t.pk for t in teachers}
    everyone = teachers + sorted(
        (t for pk, t in extra_teachers.items() if pk not in known), key=lambda t: (t.first_name, t.last_name)
    )
    teacher_lines = [line(t, per_teacher.get(t.pk, []), clash_teachers[t.pk]) for t in everyone]
    groups = [
        SectionLine(
            section=section,
            teachers=data.teacher_names(pk),
            expected=data.expected[pk],
            planned=data.planned.get(pk, 0),
            usual_room=data.usual_room(pk),
        )
        for pk, section in sorted(data.sections.items(), key=lambda item: section_label(item[1]))
        if not section.classroom_id
    ]
    return classroom_lines, teacher_lines, groups


def terms_of_school(school: School) -> list[Term]:
    return list(
        Term.objects.filter(school=school).select_related("academic_year").order_by("-academic_year__year", "-number")
    )


# --- Access --------------------------------------------------------------------------------------
#
# Classroom timetables use the classroom rules of students.access (the school's staff and the
# classroom's homeroom teachers read; the registrar writes) and the section rules of
# academics.access. A teacher's timetable is read by that teacher and by the staff who read the
# whole school, and changed by those who manage it; for everyone else, and for a person who
# is not a teacher of the school, 404.


def _teachers_of_school(school: School):
    return User.objects.filter(
        Q(memberships__school=school, memberships__is_active=True) | Q(section_roles__school=school)
    ).distinct()


def access_teacher_timetable(user, school: School, code, *, write: bool = False) -> User:
    if write:
        managed = managed_school_ids(user)
        allowed = managed is None or school.pk in managed
    else:
        readable = readable_school_ids(user)
        allowed = readable is None or school.pk in readable or str(getattr(user, "code", "")) == str(code)
    if not allowed:
        raise Http404("ไม่พบข้อมูล")
    return get_visible_or_404(_teachers_of_school(school), code=code)


def classrooms_for_timetable(user, classrooms: list[Classroom]) -> list[Classroom]:
    """The classrooms of a list whose timetable the user may open."""
    readable = readable_school_ids(user)
    if readable is None:
        return classrooms
    homeroom = set(homeroom_classrooms(user).values_list("pk", flat=True))
    return [c for c in classrooms if c.school_id in readable or c.pk in homeroom]
