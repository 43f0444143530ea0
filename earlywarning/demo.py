"""Demo interventions: after the demo's risk recompute, each school's flags are dated back over
the last weeks (the recompute raised them all today) and some get interventions from the
student's homeroom teacher: some open, some closed with an outcome, a referral per school; the
rest are left without action, several of them past the school's follow-up days (overdue)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from schools.models import StaffMembership
from students.models import Enrolment

from .models import Intervention, RiskStatus, RiskStatusChange

NOTES = {
    Intervention.Kind.HOME_VISIT: "เยี่ยมบ้าน พบผู้ปกครอง พูดคุยเรื่องการมาเรียนและการบ้าน",
    Intervention.Kind.COUNSELLING: "พูดคุยกับนักเรียนเป็นรายบุคคล ตั้งเป้าหมายรายสัปดาห์",
    Intervention.Kind.PARENT_MEETING: "เชิญผู้ปกครองมาพบที่โรงเรียน วางแผนติดตามร่วมกัน",
    Intervention.Kind.REMEDIAL: "สอนซ่อมเสริมหลังเลิกเรียนวันอังคารและพฤหัสบดี",
}
OUTCOMES = [
    "มาเรียนสม่ำเสมอขึ้น ติดตามต่อเดือนละครั้ง",
    "ส่งงานครบทุกวิชาแล้ว ผู้ปกครองช่วยดูแลที่บ้าน",
    "นักเรียนเข้าใจบทเรียนมากขึ้น คะแนนสอบย่อยดีขึ้น",
]
REFERRALS = ["โรงพยาบาลประจำจังหวัด (คลินิกจิตเวชเด็ก)", "ศูนย์การศึกษาพิเศษประจำจังหวัด", "นักจิตวิทยาโรงเรียน"]


def _owners(school_ids) -> tuple[dict[int, object], dict[int, object]]:
    """The first homeroom teacher of each student's classroom this year, and each school's principal."""
    today = timezone.localdate()
    homeroom = {}
    enrolments = Enrolment.objects.filter(
        school_id__in=school_ids,
        classroom__isnull=False,
        academic_year__start_date__lte=today,
        academic_year__end_date__gte=today,
    ).prefetch_related("classroom__homeroom_teachers")
    for enrolment in enrolments:
        teachers = list(enrolment.classroom.homeroom_teachers.all())
        if teachers:
            homeroom[enrolment.student_id] = min(teachers, key=lambda user: user.pk)
    principals = {
        m.school_id: m.user
        for m in StaffMembership.objects.filter(
            school_id__in=school_ids, role=StaffMembership.Role.PRINCIPAL, is_active=True
        ).select_related("user")
    }
    return homeroom, principals


BULK_BATCH = 500


def seed_interventions(rng: random.Random) -> tuple[int, int]:
    """(interventions made, flags left overdue) over every flag of the demo."""
    now = timezone.now()
    flags = list(RiskStatus.objects.order_by("school_id", "student_id", "dimension"))
    if not flags:
        return 0, 0
    homeroom, principals = _owners({flag.school_id for flag in flags})
    raised = {
        (change.student_id, change.dimension): change
        for change in RiskStatusChange.objects.filter(student_id__in={flag.student_id for flag in flags}).order_by(
            "at", "id"
        )
    }
    by_school = defaultdict(list)
    for flag in flags:
        by_school[flag.school_id].append(flag)
    interventions, overdue, changes = [], 0, []
    for school_id, rows in by_school.items():
        referred = False
        for n, flag in enumerate(rows):
            days_ago = rng.randint(3, 40)
            flag.since = now - timedelta(days=days_ago)
            change = raised.get((flag.student_id, flag.dimension))
            if change is not None:
                change.at = flag.since
                changes.append(change)
            owner = homeroom.get(flag.student_id) or principals.get(school_id)
            pick = n % 5
            if owner is None or pick >= 3:
                overdue += days_ago > 14
                continue
            kind = rng.choice(list(NOTES))
            referral = not referred and pick == 2
            referred = referred or referral
            opened = timezone.localdate(flag.since) + timedelta(days=rng.randint(0, min(days_ago - 1, 10)))
            closed = pick == 1
            interventions.append(
                Intervention(
                    school_id=school_id,
                    student_id=flag.student_id,
                    dimension=flag.dimension,
                    flag_status=flag.status,
                    risk_change=change,
                    kind=Intervention.Kind.REFERRAL if referral else kind,
                    referred_to=rng.choice(REFERRALS) if referral else "",
                    note="ส่งต่อเพื่อรับการประเมินและดูแลเพิ่มเติม" if referral else NOTES[kind],
                    owner=owner,
                    opened_on=opened,
                    status=Intervention.State.CLOSED if closed else Intervention.State.OPEN,
                    outcome=rng.choice(OUTCOMES) if closed else "",
                    closed_by=owner if closed else None,
                    closed_at=now - timedelta(days=rng.randint(0, 2)) if closed else None,
                )
            )
    # In batches: one UPDATE of every row is a CASE with a branch per row, tested for each row
    # (48,000 flags at 100,000 students took over half an hour; batches of 500 take seconds).
    RiskStatus.objects.bulk_update(flags, ["since"], batch_size=BULK_BATCH)
    RiskStatusChange.objects.bulk_update(changes, ["at"], batch_size=BULK_BATCH)
    Intervention.objects.bulk_create(interventions)
    return len(interventions), overdue
