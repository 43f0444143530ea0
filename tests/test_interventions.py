"""Interventions on risk flags: the services (Thai errors naming the field, audit rows with who and
why), the follow-up rule at its boundary (N-1, N, N+1 days on the suite's clock), the pages and
APIs for the people who care for the child (and 404 for everyone else), and constant queries.

The suite's clock stands on Wednesday 2 December 2569 (2026) in Bangkok, in term 2."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events

from academics.models import GPARecord
from earlywarning import followup, selectors
from earlywarning.models import Intervention, RiskStatus
from earlywarning.services import interventions as services
from earlywarning.services import status as risk_services
from schools.models import StaffMembership

from . import factories as f

BANGKOK = ZoneInfo("Asia/Bangkok")
Role = StaffMembership.Role


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raise_flag(world, student, gpa: str = "1.20") -> RiskStatus:
    """A real flag: a low GPAX, through the recompute (academic, มีปัญหา)."""
    GPARecord.objects.update_or_create(
        school=student.school, student=student, scope="cumulative", defaults={"gpa": Decimal(gpa)}
    )
    risk_services.recompute([student.pk])
    return RiskStatus.objects.get(student=student, dimension="academic")


@pytest.fixture
def counsellor(world):
    user = f.UserFactory(username="counsellor")
    f.member(user, Role.COUNSELLOR, school=world.school_a)
    world.users["counsellor"] = user
    return user


def open_one(world, student=None, **kwargs) -> Intervention:
    student = student or world.student_a
    values = {"kind": "counselling", "note": "พูดคุยกับนักเรียนเรื่องการบ้าน", **kwargs}
    return services.intervention_create(student=student, dimension="academic", by=world.user("teacher_a"), **values)


# --- Services ---------------------------------------------------------------------------------


def test_a_homeroom_teacher_opens_an_intervention_on_a_flag_with_an_audit_row(world):
    flag = raise_flag(world, world.student_a)
    intervention = open_one(world)
    assert intervention.status == "open"
    assert intervention.owner == world.user("teacher_a")
    assert intervention.opened_on == timezone.localdate() == date(2026, 12, 2)
    assert (intervention.flag_status, intervention.school_id) == (flag.status, world.school_a.pk)
    assert intervention.risk_change.to_status == "problem"
    event = Events.objects.filter(pgh_model="earlywarning.InterventionEvent", pgh_obj_id=intervention.pk).get()
    assert event.pgh_label == "insert"
    assert event.pgh_context["reason"] == "บันทึกการช่วยเหลือนักเรียน"
    assert event.pgh_context["user"] == world.user("teacher_a").pk


def test_a_referral_must_name_the_service_it_was_sent_to(world):
    raise_flag(world, world.student_a)
    with pytest.raises(ValidationError) as error:
        open_one(world, kind="referral", referred_to="  ")
    assert "หน่วยงานที่ส่งต่อ" in error.value.message_dict["referred_to"][0]
    referral = open_one(world, kind="referral", referred_to="โรงพยาบาลวชิระภูเก็ต")
    assert referral.referred_to == "โรงพยาบาลวชิระภูเก็ต"
    # Another kind keeps no service: the field belongs to referrals only.
    assert open_one(world, kind="home_visit", referred_to="ไม่ใช้").referred_to == ""


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"kind": "magic"}, "kind", "วิธีการช่วยเหลือ"),
        ({"opened_on": date(2026, 12, 3)}, "opened_on", "ต้องไม่เกินวันนี้"),
        ({"opened_on": date(2025, 11, 1)}, "opened_on", "ย้อนหลังได้ไม่เกิน 1 ปี"),
        ({"note": "ก" * 2001}, "note", "รายละเอียดยาวเกิน 2,000"),
        ({"note": "ก\x07ข"}, "note", "อักขระที่ใช้ไม่ได้"),
    ],
)
def test_bad_values_are_refused_in_thai_naming_the_field_and_nothing_is_written(world, values, field, words):
    raise_flag(world, world.student_a)
    with pytest.raises(ValidationError) as error:
        open_one(world, **values)
    assert words in " ".join(error.value.message_dict[field])
    assert not Intervention.objects.exists()


def test_a_dimension_without_a_flag_has_nothing_to_answer(world):
    raise_flag(world, world.student_a)
    with pytest.raises(ValidationError) as error:
        services.intervention_create(
            student=world.student_a, dimension="attendance", kind="counselling", by=world.user("teacher_a")
        )
    assert "ด้านการมาเรียน" in error.value.message_dict["dimension"][0]
    assert "ปกติ" in error.value.message_dict["dimension"][0]


def test_closing_needs_the_outcome_and_records_who_and_when(world):
    raise_flag(world, world.student_a)
    intervention = open_one(world)
    with pytest.raises(ValidationError) as error:
        services.intervention_close(intervention=intervention, outcome=" ", by=world.user("principal"))
    assert error.value.message_dict["outcome"] == ["กรุณากรอกผลการช่วยเหลือก่อนปิดการช่วยเหลือ"]
    closed = services.intervention_close(
        intervention=intervention, outcome="ส่งการบ้านครบทุกวิชา", by=world.user("principal"), reason="ติดตามครบ 2 สัปดาห์"
    )
    assert (closed.status, closed.closed_by, closed.outcome) == ("closed", world.user("principal"), "ส่งการบ้านครบทุกวิชา")
    assert closed.closed_at is not None and closed.closed_at <= timezone.now()
    event = Events.objects.filter(pgh_model="earlywarning.InterventionEvent", pgh_label="update").get()
    assert event.pgh_context["reason"] == "ติดตามครบ 2 สัปดาห์"
    assert event.pgh_context["user"] == world.user("principal").pk
    with pytest.raises(ValidationError) as again:
        services.intervention_close(intervention=closed, outcome="อีกครั้ง", by=world.user("principal"))
    assert "ปิดแล้ว" in again.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services.intervention_update(intervention=closed, note="แก้", by=world.user("principal"))


def test_an_update_changes_only_what_changed_and_a_referral_still_needs_its_service(world):
    raise_flag(world, world.student_a)
    intervention = open_one(world)
    before = Events.objects.filter(pgh_model="earlywarning.InterventionEvent").count()
    services.intervention_update(intervention=intervention, note=intervention.note, by=world.user("teacher_a"))
    assert Events.objects.filter(pgh_model="earlywarning.InterventionEvent").count() == before
    with pytest.raises(ValidationError) as error:
        services.intervention_update(intervention=intervention, kind="referral", by=world.user("teacher_a"))
    assert "referred_to" in error.value.message_dict
    updated = services.intervention_update(
        intervention=intervention, kind="referral", referred_to="ศูนย์การศึกษาพิเศษ เขต 5", by=world.user("teacher_a")
    )
    assert (updated.kind, updated.referred_to) == ("referral", "ศูนย์การศึกษาพิเศษ เขต 5")


def test_the_database_refuses_a_closed_intervention_without_an_outcome(world):
    from django.db import IntegrityError, transaction

    raise_flag(world, world.student_a)
    intervention = open_one(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Intervention.objects.filter(pk=intervention.pk).update(status="closed", closed_at=timezone.now())


def test_the_follow_up_days_are_a_school_setting_checked_and_audited(world):
    assert followup.allowed_days(world.school_a.policy) == 14
    for bad, words in (("abc", "จำนวนเต็ม"), ("0", "ระหว่าง 1 ถึง 365"), ("400", "ระหว่าง 1 ถึง 365")):
        with pytest.raises(ValidationError) as error:
            services.follow_up_days_set(school=world.school_a, days=bad, by=world.user("principal"))
        assert words in error.value.message_dict["days"][0]
    services.follow_up_days_set(school=world.school_a, days="๗", by=world.user("principal"))
    world.school_a.refresh_from_db()
    assert world.school_a.policy[followup.POLICY_KEY] == 7
    event = Events.objects.filter(pgh_model="schools.SchoolEvent", pgh_label="update").get()
    assert event.pgh_context["reason"] == "กำหนดจำนวนวันติดตามการช่วยเหลือนักเรียน"


# --- The follow-up rule -----------------------------------------------------------------------


def test_the_pure_rule_states_and_unusable_settings():
    raised = date(2026, 12, 2)
    rule = followup.follow_up
    assert rule(raised_on=raised, today=raised, allowed_days=14, has_open=False, closed_since=False).state == "waiting"
    assert rule(raised_on=raised, today=date(2026, 12, 17), allowed_days=14, has_open=True, closed_since=False) == (
        followup.FollowUp("open", 15)
    )
    assert rule(raised_on=raised, today=date(2026, 12, 17), allowed_days=14, has_open=False, closed_since=True).handled
    for policy in (None, {}, {"intervention_overdue_days": "x"}, {"intervention_overdue_days": 0}, []):
        assert followup.allowed_days(policy) == 14
    assert followup.allowed_days({"intervention_overdue_days": "21"}) == 21


def _state_on(world, day: date, clock) -> str:
    clock.move_to(datetime(day.year, day.month, day.day, 9, 0, tzinfo=BANGKOK))
    rows = selectors.follow_up_list(school=world.school_a)
    return next(row.follow_up for row in rows if row.flag.student_id == world.student_a.pk)


@pytest.mark.parametrize(("days", "state"), [(13, "waiting"), (14, "waiting"), (15, "overdue")])
def test_a_flag_without_action_is_overdue_only_after_more_than_n_days(world, clock, days, state):
    raise_flag(world, world.student_a)  # raised on 2 December 2569, 06:30 in Bangkok
    result = _state_on(world, date(2026, 12, 2) + timedelta(days=days), clock)
    assert (result.days, result.state) == (days, state)


@pytest.mark.parametrize(("days", "state"), [(6, "waiting"), (7, "waiting"), (8, "overdue")])
def test_the_schools_own_number_of_days_moves_the_boundary(world, clock, days, state):
    services.follow_up_days_set(school=world.school_a, days=7, by=world.user("principal"))
    raise_flag(world, world.student_a)
    assert _state_on(world, date(2026, 12, 2) + timedelta(days=days), clock).state == state


def test_an_open_or_later_closed_intervention_handles_the_flag_an_earlier_one_does_not(world, clock):
    raise_flag(world, world.student_a)
    intervention = open_one(world)
    assert _state_on(world, date(2026, 12, 30), clock).state == "open"
    services.intervention_close(intervention=intervention, outcome="ดีขึ้น", by=world.user("teacher_a"))
    assert _state_on(world, date(2026, 12, 31), clock).state == "closed"
    # The flag escalates later (a new "since"): the intervention closed before it answers nothing now.
    term_1 = world.class_a.academic_year.terms.get(number=1)
    GPARecord.objects.filter(student=world.student_a).delete()
    GPARecord.objects.create(
        school=world.school_a, student=world.student_a, scope="term", term=term_1, gpa=Decimal("1.90")
    )
    risk_services.recompute([world.student_a.pk])
    assert RiskStatus.objects.get(student=world.student_a, dimension="academic").status == "at_risk"
    assert _state_on(world, date(2027, 1, 20), clock) == followup.FollowUp("overdue", 20)


# --- Pages ------------------------------------------------------------------------------------


def test_the_homeroom_teacher_records_and_closes_on_the_risk_page(world):
    raise_flag(world, world.student_a)
    client = client_for(world.user("teacher_a"))
    page = client.get(f"/risk/students/{world.student_a.code}/")
    assert page.status_code == 200
    assert "บันทึกการช่วยเหลือด้านการเรียน" in page.content.decode()
    response = client.post(
        f"/risk/students/{world.student_a.code}/interventions/",
        {"dimension": "academic", "kind": "referral", "referred_to": "", "opened_on": "01/12/2569", "note": ""},
    )
    assert response.status_code == 400
    assert "กรุณาระบุหน่วยงานที่ส่งต่อ" in response.content.decode()
    response = client.post(
        f"/risk/students/{world.student_a.code}/interventions/",
        {"dimension": "academic", "kind": "referral", "referred_to": "นักจิตวิทยาโรงพยาบาล", "opened_on": "01/12/2569"},
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get()
    assert (intervention.opened_on, intervention.referred_to) == (date(2026, 12, 1), "นักจิตวิทยาโรงพยาบาล")
    refused = client.post(f"/risk/interventions/{intervention.code}/close/", {"outcome": ""})
    assert refused.status_code == 400
    assert "กรุณากรอกผลการช่วยเหลือก่อนปิดการช่วยเหลือ" in refused.content.decode()
    assert (
        client.post(f"/risk/interventions/{intervention.code}/close/", {"outcome": "พบนักจิตวิทยาแล้ว"}).status_code == 302
    )
    page = client.get(f"/risk/students/{world.student_a.code}/").content.decode()
    assert "พบนักจิตวิทยาแล้ว" in page and "ช่วยเหลือแล้ว" in page


def test_a_ce_year_typed_in_the_start_date_gets_a_thai_message(world):
    raise_flag(world, world.student_a)
    response = client_for(world.user("teacher_a")).post(
        f"/risk/students/{world.student_a.code}/interventions/",
        {"dimension": "academic", "kind": "counselling", "opened_on": "01/12/2026"},
    )
    assert response.status_code == 400
    assert "พ.ศ." in response.content.decode()
    assert not Intervention.objects.exists()


def test_the_registrar_sees_the_flags_but_not_the_interventions(world):
    raise_flag(world, world.student_a)
    open_one(world)
    page = client_for(world.user("registrar")).get(f"/risk/students/{world.student_a.code}/").content.decode()
    assert "ผลการเรียนเฉลี่ยสะสม 1.20" in page
    assert "การช่วยเหลือนักเรียน" not in page and "พูดคุยกับนักเรียน" not in page


def test_the_principal_sees_overdue_and_handled_flags_with_their_homeroom_teachers(world, clock):
    teacher = world.user("teacher_a")
    teacher.prefix, teacher.first_name, teacher.last_name = "", "สมศรี", "ใจดี"
    teacher.save()
    raise_flag(world, world.student_a)
    raise_flag(world, world.student_a2)
    open_one(world, student=world.student_a2)
    clock.move_to(datetime(2026, 12, 20, 9, 0, tzinfo=BANGKOK))
    client = client_for(world.user("principal"))
    page = client.get(f"/risk/follow-up/?school={world.school_a.code}").content.decode()
    assert page.index(world.student_a.full_name) < page.index(world.student_a2.full_name)  # overdue first
    assert "เกินกำหนด ยังไม่มีการช่วยเหลือ" in page and "กำลังช่วยเหลือ" in page and "สมศรี ใจดี" in page
    only = client.get(f"/risk/follow-up/?school={world.school_a.code}&state=overdue").content.decode()
    assert world.student_a.full_name in only and world.student_a2.full_name not in only
    api = client.get(f"/api/v1/schools/{world.school_a.code}/risk-follow-up/").json()["results"]
    assert [(r["student"]["code"], r["state"], r["days"]) for r in api] == [
        (str(world.student_a.code), "overdue", 18),
        (str(world.student_a2.code), "open", 18),
    ]
    assert api[0]["owners"][0]["name"] == "สมศรี ใจดี"


def test_the_days_are_set_on_the_rules_page_by_the_principal_not_a_teacher(world):
    url = f"/risk/follow-up/days/?school={world.school_a.code}"
    assert client_for(world.user("teacher_a")).post(url, {"days": "10"}).status_code == 404
    refused = client_for(world.user("principal")).post(url, {"days": "ศูนย์"})
    assert refused.status_code == 400 and "จำนวนเต็ม" in refused.content.decode()
    assert client_for(world.user("registrar")).post(url, {"days": "10"}).status_code == 302
    world.school_a.refresh_from_db()
    assert followup.allowed_days(world.school_a.policy) == 10
    page = client_for(world.user("principal")).get(f"/risk/rules/?school={world.school_a.code}").content.decode()
    assert 'name="days"' in page and 'value="10"' in page


# --- API ----------------------------------------------------------------------------------------


def test_the_api_creates_lists_updates_and_closes(world, counsellor):
    raise_flag(world, world.student_a)
    client = client_for(counsellor)
    url = f"/api/v1/students/{world.student_a.code}/interventions/"
    refused = client.post(url, {"dimension": "academic", "kind": "referral"}, content_type="application/json")
    assert refused.status_code == 400
    assert "หน่วยงานที่ส่งต่อ" in refused.json()["errors"]["referred_to"][0]
    created = client.post(
        url,
        {"dimension": "academic", "kind": "parent_meeting", "opened_on": "2026-11-30"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert created.json()["owner"]["code"] == str(counsellor.code)
    assert [row["code"] for row in client.get(url).json()] == [code]
    detail = f"/api/v1/interventions/{code}/"
    no_outcome = client.patch(detail, {"status": "closed"}, content_type="application/json")
    assert no_outcome.status_code == 400 and "outcome" in no_outcome.json()["errors"]
    closed = client.patch(
        detail,
        {"note": "ผู้ปกครองมาครบ", "status": "closed", "outcome": "ตกลงตารางอ่านหนังสือ"},
        content_type="application/json",
    )
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["note"], closed.json()["closed_by"]["code"]) == (
        "closed",
        "ผู้ปกครองมาครบ",
        str(counsellor.code),
    )


# --- Who ------------------------------------------------------------------------------------------

# The people who care for the child record and close: the homeroom teacher of class A, the
# counsellor and principal of school A, a system admin. 404 for everyone else.
CARERS_OF_A = {"teacher_a", "principal", "counsellor", "admin"}
EVERYONE = (
    "teacher_a", "teacher_b", "teacher_c", "registrar", "principal", "counsellor", "officer_1", "officer_2",
    "parent", "admin",
)  # fmt: skip


@pytest.mark.parametrize("persona", EVERYONE)
def test_who_reads_records_and_closes_interventions(world, counsellor, persona):
    raise_flag(world, world.student_a)
    intervention = open_one(world)
    client = client_for(world.user(persona))
    allowed = persona in CARERS_OF_A
    student = world.student_a.code
    reads = [
        f"/api/v1/students/{student}/interventions/",
        f"/api/v1/interventions/{intervention.code}/",
    ]
    for url in reads:
        assert client.get(url).status_code == (200 if allowed else 404), f"{persona} GET {url}"
    created = client.post(
        f"/risk/students/{student}/interventions/",
        {"dimension": "academic", "kind": "remedial", "opened_on": "02/12/2569"},
    )
    assert created.status_code == (302 if allowed else 404), persona
    api = client.post(
        f"/api/v1/students/{student}/interventions/",
        {"dimension": "academic", "kind": "other", "note": "x"},
        content_type="application/json",
    )
    assert api.status_code == (201 if allowed else 404), persona
    closed = client.post(f"/risk/interventions/{intervention.code}/close/", {"outcome": "ดีขึ้น"})
    assert closed.status_code == (302 if allowed else 404), persona
    assert Intervention.objects.count() == (3 if allowed else 1)


FOLLOW_UP_READERS = {"principal", "counsellor", "admin"}


@pytest.mark.parametrize("persona", EVERYONE)
def test_who_reads_the_follow_up_list(world, counsellor, persona):
    client = client_for(world.user(persona))
    allowed = persona in FOLLOW_UP_READERS
    for url in (
        f"/risk/follow-up/?school={world.school_a.code}",
        f"/api/v1/schools/{world.school_a.code}/risk-follow-up/",
    ):
        assert client.get(url).status_code == (200 if allowed else 404), f"{persona} GET {url}"
    # School C's follow-up belongs to school C's own staff (and the admin) only.
    other = client.get(f"/api/v1/schools/{world.school_c.code}/risk-follow-up/")
    assert other.status_code == (200 if persona == "admin" else 404)


# --- Queries that do not grow with rows ---------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_flags(world, count: int) -> None:
    for n in range(count):
        student = f.StudentFactory(school=world.school_a, first_name=f"นักเรียน{n}")
        f.enrol(student, world.class_a if n % 2 else world.class_b, 10 + n)
        raise_flag(world, student)
        services.intervention_create(
            student=student, dimension="academic", kind="counselling", by=world.user("principal")
        )


@pytest.mark.parametrize(
    "url",
    [
        "/risk/follow-up/?school={school}",
        "/api/v1/schools/{school}/risk-follow-up/",
        "/risk/students/{student}/",
        "/api/v1/students/{student}/interventions/",
    ],
)
def test_the_follow_up_and_intervention_lists_take_constant_queries(world, url):
    raise_flag(world, world.student_a)
    open_one(world)
    client = client_for(world.user("principal"))
    path = url.format(school=world.school_a.code, student=world.student_a.code)
    client.get(path)  # warm the per-user caches
    few = _count(client, path)
    _more_flags(world, 6)
    for _ in range(4):
        services.intervention_create(
            student=world.student_a, dimension="academic", kind="home_visit", by=world.user("teacher_a")
        )
    assert _count(client, path) == few


def test_the_principals_home_counts_overdue_flags_and_links_to_them(world, clock):
    raise_flag(world, world.student_a)
    raise_flag(world, world.student_a2)
    open_one(world, student=world.student_a2)
    clock.move_to(datetime(2026, 12, 20, 9, 0, tzinfo=BANGKOK))
    page = client_for(world.user("principal")).get("/").content.decode()
    link = f'href="/risk/follow-up/?school={world.school_a.code}&amp;state=overdue"><div class="value">1</div>'
    assert link in page
    assert "follow-up-overview" not in client_for(world.user("registrar")).get("/").content.decode()
