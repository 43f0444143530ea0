"""Demo organisation: areas, schools, years and calendars, staff and their roles.

Deterministic for a seed. Used by `manage.py seed_demo` (reports) and by the benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password

from qinfo import demo_names as names
from qinfo import thaidate
from schools.services.organisation import default_term_dates

from .models import AcademicYear, Affiliation, CalendarEvent, EducationArea, School, StaffMembership, Term, User

Role = StaffMembership.Role
DEMO_PASSWORD = "demo-qinfo"  # noqa: S105 — the published password of the demo accounts

# Which grade levels a school teaches, by kind (GradeLevel.code ranges).
SCHOOL_KINDS = {
    "primary": ["K1", "K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6"],
    "extended": ["K2", "K3", "P1", "P2", "P3", "P4", "P5", "P6", "M1", "M2", "M3"],
    "secondary": ["M1", "M2", "M3", "M4", "M5", "M6"],
}


@dataclass
class SchoolPlan:
    school: School
    index: int
    kind: str
    levels: list[str]
    years: list[AcademicYear]
    principal: User
    registrar: User
    counsellor: User
    teachers: list[User] = field(default_factory=list)


@dataclass
class DemoOrganisation:
    admin: User
    areas: list[EducationArea]
    officers: list[User]
    schools: list[SchoolPlan]
    password_hash: str
    current_year: int


def _fixed_holidays(year_be: int) -> list[tuple[str, date, date]]:
    """Holidays with fixed dates inside a school year (lunar holidays vary and are left to schools)."""
    y = thaidate.ce_year(year_be)
    rows = [
        ("วันเฉลิมพระชนมพรรษา พระบาทสมเด็จพระเจ้าอยู่หัว", date(y, 7, 28), date(y, 7, 28)),
        ("วันแม่แห่งชาติ", date(y, 8, 12), date(y, 8, 12)),
        ("วันนวมินทรมหาราช", date(y, 10, 13), date(y, 10, 13)),
        ("วันพ่อแห่งชาติ", date(y, 12, 5), date(y, 12, 5)),
        ("วันรัฐธรรมนูญ", date(y, 12, 10), date(y, 12, 10)),
        ("วันสิ้นปีและวันขึ้นปีใหม่", date(y, 12, 31), date(y + 1, 1, 1)),
    ]
    return rows


def _exam_weeks(year_be: int) -> list[tuple[str, str, date, date]]:
    y = thaidate.ce_year(year_be)
    return [
        (CalendarEvent.Kind.EXAM, "สอบกลางภาคเรียนที่ 1", date(y, 7, 20), date(y, 7, 24)),
        (CalendarEvent.Kind.EXAM, "สอบปลายภาคเรียนที่ 1", date(y, 9, 28), date(y, 10, 2)),
        (CalendarEvent.Kind.EVENT, "กีฬาสีภายใน", date(y, 12, 17), date(y, 12, 18)),
        (CalendarEvent.Kind.EVENT, "วันเด็กแห่งชาติ (จัดกิจกรรมที่โรงเรียน)", date(y + 1, 1, 8), date(y + 1, 1, 8)),
        (CalendarEvent.Kind.EXAM, "สอบกลางภาคเรียนที่ 2", date(y + 1, 1, 11), date(y + 1, 1, 15)),
        (CalendarEvent.Kind.EXAM, "สอบปลายภาคเรียนที่ 2", date(y + 1, 3, 1), date(y + 1, 3, 5)),
    ]


def _person(rng: random.Random, *, female: bool | None = None) -> tuple[str, str, str]:
    if female is None:
        female = rng.random() < 0.62  # most Thai teachers are women
    prefix = rng.choice(names.TEACHER_PREFIXES_FEMALE if female else names.TEACHER_PREFIXES_MALE)
    first = rng.choice(
        names.ADULT_FEMALE_FIRST + names.FEMALE_FIRST if female else names.ADULT_MALE_FIRST + names.MALE_FIRST
    )
    return prefix, first, rng.choice(names.LAST_NAMES)


def _area_specs(count: int) -> list[dict]:
    """Area 1 is a municipal education office (local-government schools, like Phuket City);
    area 2 is a primary ESA (OBEC schools); further areas alternate through provinces."""
    provinces = list(names.PLACES)
    specs = []
    for index in range(1, count + 1):
        province = provinces[(index - 1) % len(provinces)]
        if index % 2 == 1:
            specs.append(
                {
                    "short_code": f"LAO-{index:02d}",
                    "name": f"สำนักการศึกษา เทศบาลนคร{province}" + (f" ({index})" if index > 2 else ""),
                    "kind": EducationArea.Kind.MUNICIPAL,
                    "affiliation": "30",
                    "province": province,
                }
            )
        else:
            specs.append(
                {
                    "short_code": f"ESA-{index:02d}",
                    "name": f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษา{province} เขต {(index // 2 - 1) // len(provinces) + 1}",
                    "kind": EducationArea.Kind.ESA_PRIMARY,
                    "affiliation": "10",
                    "province": province,
                }
            )
    return specs


def seed_organisation(
    rng: random.Random, *, areas: int, schools_per_area: int, current_year: int, password: str = DEMO_PASSWORD
) -> DemoOrganisation:
    password_hash = make_password(password)
    affiliations = {a.code: a for a in Affiliation.objects.all()}

    admin = User.objects.create(
        username="admin", first_name="ผู้ดูแล", last_name="ระบบ", is_staff=True, is_superuser=True, password=password_hash
    )
    StaffMembership.objects.create(user=admin, role=Role.ADMIN)

    area_objects: list[EducationArea] = []
    officers: list[User] = []
    groupings: dict[str, EducationArea] = {}
    schools: list[SchoolPlan] = []
    years_to_make = [current_year - 1, current_year]
    school_index = 0
    codes_used: set[str] = set()

    for area_number, spec in enumerate(_area_specs(areas), start=1):
        province = spec["province"]
        province_code, districts = names.PLACES[province]
        area = EducationArea.objects.create(
            short_code=spec["short_code"],
            name=spec["name"],
            kind=spec["kind"],
            affiliation=affiliations[spec["affiliation"]],
        )
        area_objects.append(area)
        if province not in groupings:
            groupings[province] = EducationArea.objects.create(
                short_code=f"PROV-{province_code}",
                name=f"โรงเรียนในจังหวัด{province}",
                kind=EducationArea.Kind.PROVINCE,
                is_grouping=True,
            )
        prefix, first, last = _person(rng)
        officer = User.objects.create(
            username=f"officer{area_number}", prefix=prefix, first_name=first, last_name=last, password=password_hash
        )
        StaffMembership.objects.create(user=officer, area=area, role=Role.DISTRICT_OFFICER)
        officers.append(officer)

        for number in range(schools_per_area):
            school_index += 1
            district = list(districts)[number % len(districts)]
            subdistrict = rng.choice(districts[district])
            municipal = spec["kind"] == EducationArea.Kind.MUNICIPAL
            kind = ["primary", "extended", "secondary", "primary"][number % 4]
            village = rng.choice(names.VILLAGE_WORDS)
            if municipal:
                name = f"โรงเรียนเทศบาลบ้าน{village}"
            elif kind == "secondary":
                name = f"โรงเรียน{district}วิทยา"
            else:
                name = rng.choice([f"โรงเรียนบ้าน{village}", f"โรงเรียนวัด{rng.choice(names.TEMPLES)}"])
            while name in codes_used:
                name = f"{name} {rng.randint(2, 9)}"
            codes_used.add(name)
            ministry_code = f"{spec['affiliation']}{province_code}{school_index:06d}"
            school = School.objects.create(
                ministry_code=ministry_code,
                obec_code=None if municipal else f"{province_code}{area_number:02d}{school_index:04d}",
                name=name,
                affiliation=affiliations[spec["affiliation"]],
                area=area,
                address=f"{rng.randint(1, 199)} หมู่ {rng.randint(1, 12)} {rng.choice(names.ROADS)}",
                subdistrict=subdistrict,
                district=district,
                province=province,
                postcode=f"{province_code}{rng.randint(100, 190)}",
                phone=f"0-{rng.randint(7000, 7799)}-{rng.randint(1000, 9999)}",
            )
            school.groupings.add(groupings[province])
            years = []
            for year_be in years_to_make:
                start, end = AcademicYear.default_dates(year_be)
                year = AcademicYear.objects.create(school=school, year=year_be, start_date=start, end_date=end)
                Term.objects.bulk_create(
                    Term(school=school, academic_year=year, number=n, start_date=s, end_date=e)
                    for n, s, e in default_term_dates(year_be)
                )
                events = [
                    CalendarEvent(
                        school=school,
                        academic_year=year,
                        kind=CalendarEvent.Kind.HOLIDAY,
                        title=t,
                        start_date=s,
                        end_date=e,
                    )
                    for t, s, e in _fixed_holidays(year_be)
                ] + [
                    CalendarEvent(school=school, academic_year=year, kind=k, title=t, start_date=s, end_date=e)
                    for k, t, s, e in _exam_weeks(year_be)
                ]
                CalendarEvent.objects.bulk_create(events)
                years.append(year)
            staff = []
            for username in (f"principal{school_index}", f"registrar{school_index}", f"counsellor{school_index}"):
                prefix, first, last = _person(rng)
                staff.append(
                    User(username=username, prefix=prefix, first_name=first, last_name=last, password=password_hash)
                )
            User.objects.bulk_create(staff)
            principal, registrar, counsellor = staff
            StaffMembership.objects.bulk_create(
                [
                    StaffMembership(user=principal, school=school, role=Role.PRINCIPAL),
                    StaffMembership(user=registrar, school=school, role=Role.REGISTRAR),
                    StaffMembership(user=registrar, school=school, role=Role.TEACHER),
                    StaffMembership(user=counsellor, school=school, role=Role.COUNSELLOR),
                    StaffMembership(user=counsellor, school=school, role=Role.TEACHER),
                ]
            )
            schools.append(
                SchoolPlan(
                    school=school,
                    index=school_index,
                    kind=kind,
                    levels=SCHOOL_KINDS[kind],
                    years=years,
                    principal=principal,
                    registrar=registrar,
                    counsellor=counsellor,
                )
            )
    # The innovation-area grouping cuts across affiliations: one school from each area.
    if len(area_objects) >= 2:
        innovation = EducationArea.objects.create(
            short_code="INNO-01",
            name="พื้นที่นวัตกรรมการศึกษา (กลุ่มนำร่อง)",
            kind=EducationArea.Kind.INNOVATION,
            is_grouping=True,
        )
        first_of_area: dict[int, SchoolPlan] = {}
        for plan in schools:
            first_of_area.setdefault(plan.school.area_id, plan)
        for plan in first_of_area.values():
            plan.school.groupings.add(innovation)
    return DemoOrganisation(
        admin=admin,
        areas=area_objects,
        officers=officers,
        schools=schools,
        password_hash=password_hash,
        current_year=current_year,
    )


def add_teachers(plan: SchoolPlan, rng: random.Random, *, count: int, password_hash: str) -> list[User]:
    users = []
    for number in range(1, count + 1):
        prefix, first, last = _person(rng)
        users.append(
            User(
                username=f"teacher{plan.index}_{number}",
                prefix=prefix,
                first_name=first,
                last_name=last,
                password=password_hash,
                phone=f"08{rng.randint(0, 9)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            )
        )
    User.objects.bulk_create(users)
    StaffMembership.objects.bulk_create(
        StaffMembership(user=user, school=plan.school, role=Role.TEACHER) for user in users
    )
    plan.teachers = users
    return users
