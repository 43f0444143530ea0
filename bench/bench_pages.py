"""Classroom, section and timetable pages: their query count must not grow with the students.

Each page is opened by the school's registrar for a small and a big instance in the same school
and term (the smallest and the biggest classroom of the year; the 5- and 50-student bench
sections of `bench.sections`), and both query counts are printed: any difference is an N+1.
The figure is the big page's server time, its baseline the small page's, so the ratio shows how
much the time itself grows with the students.

A bench database seeded before seed_demo built timetables has none; the first run then places
the bench school's current term with the demo's own placement
(academics.demo.timetable.build_timetable, which adds only what is missing).
"""

from __future__ import annotations

import random

from django.db.models import Count
from django.test import Client

from academics.demo.timetable import build_timetable
from academics.models import TimetableSlot
from students.models import Classroom, Enrolment

from .harness import Context, Result, count_queries, median_ms
from .sections import BIG, SMALL, ensure_sections


def run(ctx: Context) -> list[Result]:
    bench = ensure_sections()
    if not TimetableSlot.objects.filter(school=bench.school, term=bench.term).exists():
        build_timetable(bench.school, bench.term, random.Random(1))
    small_room, big_room = _smallest_and_biggest_classroom(bench)
    client = Client()
    client.force_login(bench.registrar)
    sizes = dict(
        Enrolment.objects.filter(classroom__in=[small_room, big_room])
        .values("classroom_id")
        .annotate(n=Count("id"))
        .values_list("classroom_id", "n")
    )
    rooms = (small_room, big_room, sizes[small_room.pk], sizes[big_room.pk])
    pages = [
        ("classroom page", "/classrooms/{}/", *rooms),
        ("section page", "/academics/sections/{}/", bench.small, bench.big, SMALL, BIG),
        ("classroom timetable", "/timetable/classrooms/{}/", *rooms),
    ]
    results = []
    for label, url, small, big, small_n, big_n in pages:
        results += _compare(client, ctx, label, url.format(small.code), url.format(big.code), small_n, big_n)
    teacher_url = f"/timetable/teachers/{bench.teacher.code}/?school={bench.school.code}"
    get = _getter(client, teacher_url)
    results.append(Result("teacher timetable", median_ms(get, ctx), queries=count_queries(get)))
    return results


def _smallest_and_biggest_classroom(bench) -> tuple[Classroom, Classroom]:
    rooms = list(
        Classroom.objects.filter(school=bench.school, academic_year_id=bench.term.academic_year_id)
        .annotate(n=Count("enrolments"))
        .filter(n__gt=0)
        .order_by("n", "id")
    )
    if not rooms:
        raise RuntimeError(f"{bench.school} has no classroom with students this year")
    return rooms[0], rooms[-1]


def _getter(client: Client, url: str):
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return response

    return get


def _compare(client, ctx, label, small_url, big_url, small_n, big_n) -> list[Result]:
    small, big = _getter(client, small_url), _getter(client, big_url)
    small_queries, big_queries = count_queries(small), count_queries(big)
    small_ms = median_ms(small, ctx)
    verdict = "constant" if small_queries == big_queries else "GROWS WITH STUDENTS"
    return [
        Result(
            f"{label}, {big_n} students vs {small_n}",
            median_ms(big, ctx),
            small_ms,
            big_queries,
            note=f"queries: {small_n} students {small_queries}, {big_n} students {big_queries}: {verdict}",
        ),
        Result(f"{label}, {small_n} students", small_ms, queries=small_queries),
    ]
