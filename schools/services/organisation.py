"""Every write to organisation data: schools, years, terms, calendar, staff and roles."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from qinfo import thaidate
from qinfo.audit import audited
from schools.models import AcademicYear, CalendarEvent, EducationArea, School, StaffMembership, Term, User

Role = StaffMembership.Role


def default_term_dates(year_be: int) -> list[tuple[int, date, date]]:
    """Semester 1: 16 May – 11 Oct; semester 2: 1 Nov – 1 Apr (DOMAIN.md §5)."""
    start = thaidate.ce_year(year_be)
    return [(1, date(start, 5, 16), date(start, 10, 11)), (2, date(start, 11, 1), date(start + 1, 4, 1))]


@transaction.atomic
def academic_year_create(*, school: School, year: int, by: User | None = None, with_terms: bool = True) -> AcademicYear:
    if thaidate.CE_MIN <= year <= thaidate.CE_MAX:
        raise ValidationError({"year": f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {thaidate.be_year(year)})"})
    if AcademicYear.objects.filter(school=school, year=year).exists():
        raise ValidationError({"year": f"ปีการศึกษา {year} มีอยู่แล้ว"})
    start, end = AcademicYear.default_dates(year)
    with audited(by):
        academic_year = AcademicYear(school=school, year=year, start_date=start, end_date=end)
        academic_year.full_clean()
        academic_year.save()
        if with_terms:
            for number, term_start, term_end in default_term_dates(year):
                Term.objects.create(
                    school=school, academic_year=academic_year, number=number, start_date=term_start, end_date=term_end
                )
    return academic_year


@transaction.atomic
def calendar_event_create(
    *, academic_year: AcademicYear, kind: str, title: str, start_date: date, end_date: date | None = None, by: User
) -> CalendarEvent:
    event = CalendarEvent(
        school_id=academic_year.school_id,
        academic_year=academic_year,
        kind=kind,
        title=title,
        start_date=start_date,
        end_date=end_date or start_date,
    )
    event.full_clean()
    if not (academic_year.start_date <= event.start_date and event.end_date <= academic_year.end_date):
        raise ValidationError({"start_date": f"วันที่ต้องอยู่ในปีการศึกษา {academic_year.year}"})
    with audited(by):
        event.save()
    return event


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    first_name: str,
    last_name: str,
    prefix: str = "",
    email: str = "",
    phone: str = "",
    by: User | None = None,
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"ชื่อผู้ใช้ “{username}” มีอยู่แล้ว"})
    user = User(username=username, first_name=first_name, last_name=last_name, prefix=prefix, email=email, phone=phone)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    with audited(by):
        user.save()
    return user


def api_tokens_revoke(*, user: User) -> int:
    """Revoke every API token of the user; returns how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_sessions_end(*, user: User, by: User | None = None, reason: str = "") -> User:
    """Sign the user out everywhere: every browser session and every API token."""
    with audited(by, reason):
        user.sessions_ended_at = timezone.now()
        user.save(update_fields=["sessions_ended_at"])
        api_tokens_revoke(user=user)
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User | None = None, reason: str = "") -> User:
    """Close an account: it can no longer sign in, and its sessions and tokens end now."""
    with audited(by, reason):
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user_sessions_end(user=user, by=by, reason=reason)


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    school: School | None = None,
    area: EducationArea | None = None,
    ends_on: date | None = None,
    by: User | None = None,
    reason: str = "",
) -> StaffMembership:
    with audited(by, reason):
        membership, created = StaffMembership.objects.get_or_create(
            user=user, school=school, area=area, role=role, defaults={"is_active": True, "ends_on": ends_on}
        )
        if not created and (not membership.is_active or membership.ends_on != ends_on):
            membership.is_active = True
            membership.ends_on = ends_on
            membership.save(update_fields=["is_active", "ends_on"])
    return membership


@transaction.atomic
def membership_revoke(*, membership: StaffMembership, by: User, reason: str = "") -> StaffMembership:
    """End a role now. The person is signed out everywhere (browser and API): what they may
    still do under their other roles they get by signing in again."""
    with audited(by, reason):
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    user_sessions_end(user=membership.user, by=by, reason=reason)
    return membership
