"""Organisation: affiliations, areas and groupings, schools, the school year, staff roles."""

from __future__ import annotations

import uuid
from datetime import date

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac

from qinfo import thaidate
from qinfo.validators import SingleLineText

ministry_code_validator = RegexValidator(r"^\d{10}$", "รหัสโรงเรียน (กระทรวง) ต้องเป็นตัวเลข 10 หลัก")
obec_code_validator = RegexValidator(r"^\d{8}$", "รหัส SMIS ต้องเป็นตัวเลข 8 หลัก")


class User(AbstractUser):
    """A person who signs in: staff of a school or area, a parent, or an administrator."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prefix = models.CharField("คำนำหน้าชื่อ", max_length=30, blank=True, validators=[SingleLineText("คำนำหน้าชื่อ")])
    first_name = models.CharField("ชื่อ", max_length=150, blank=True, validators=[SingleLineText("ชื่อ")])
    last_name = models.CharField("นามสกุล", max_length=150, blank=True, validators=[SingleLineText("นามสกุล")])
    phone = models.CharField("โทรศัพท์", max_length=30, blank=True, validators=[SingleLineText("โทรศัพท์")])
    # Set when the user's roles are taken away or the account is closed: every session signed
    # in before it no longer verifies (see get_session_auth_hash), wherever it is stored.
    sessions_ended_at = models.DateTimeField("ยุติการเข้าใช้งานทุกอุปกรณ์เมื่อ", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "ผู้ใช้"
        verbose_name_plural = "ผู้ใช้"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.prefix}{self.first_name} {self.last_name}".strip()
        return name or self.username

    # Django signs each session with an HMAC of the password, so a new password ends the other
    # sessions. Mixing in `sessions_ended_at` lets ending a role do the same. Until it is first
    # set the hash is Django's own, so sessions signed in before this existed stay valid.
    def _auth_hash(self, secret: str | None = None) -> str:
        if self.sessions_ended_at is None:
            salt, value = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", self.password
        else:
            salt, value = "qinfo.User.get_session_auth_hash", f"{self.password}|{self.sessions_ended_at.isoformat()}"
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._auth_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._auth_hash(fallback_secret)


class Affiliation(models.Model):
    """สังกัด, with its two-digit Ministry code (10 สพฐ., 11 สช., 30 อปท., ...)."""

    code = models.CharField("รหัสสังกัด", max_length=4, unique=True)
    name = models.CharField("ชื่อสังกัด", max_length=200)
    short_name = models.CharField("ชื่อย่อ", max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = "สังกัด"
        verbose_name_plural = "สังกัด"

    def __str__(self) -> str:
        return self.short_name


class EducationArea(models.Model):
    """An area that oversees schools (an ESA, a municipal education office), or a grouping
    that cuts across affiliations (a province, an innovation area, a pilot cohort).

    Areas may nest; an officer of an area oversees the schools of its sub-areas too.
    """

    class Kind(models.TextChoices):
        ESA_PRIMARY = "esa_primary", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา"
        ESA_SECONDARY = "esa_secondary", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา"
        MUNICIPAL = "municipal", "สำนักการศึกษา/กองการศึกษา องค์กรปกครองส่วนท้องถิ่น"
        PROVINCE = "province", "จังหวัด"
        INNOVATION = "innovation", "พื้นที่นวัตกรรมการศึกษา"
        COHORT = "cohort", "กลุ่มโรงเรียน/โครงการนำร่อง"
        OTHER = "other", "อื่น ๆ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    short_code = models.CharField("รหัส", max_length=30, unique=True)
    name = models.CharField("ชื่อ", max_length=200)
    kind = models.CharField("ประเภท", max_length=20, choices=Kind.choices)
    is_grouping = models.BooleanField(
        "เป็นกลุ่มข้ามสังกัด",
        default=False,
        help_text="กลุ่มโรงเรียนที่ไม่ใช่หน่วยงานต้นสังกัด เช่น จังหวัด พื้นที่นวัตกรรม",
    )
    parent = models.ForeignKey(
        "self", verbose_name="อยู่ภายใต้", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    affiliation = models.ForeignKey(Affiliation, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["name"]
        verbose_name = "เขตพื้นที่/กลุ่มโรงเรียน"
        verbose_name_plural = "เขตพื้นที่/กลุ่มโรงเรียน"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="area_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class School(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ministry_code = models.CharField(
        "รหัสโรงเรียน 10 หลัก", max_length=10, unique=True, validators=[ministry_code_validator]
    )
    obec_code = models.CharField(
        "รหัส SMIS 8 หลัก", max_length=8, null=True, blank=True, unique=True, validators=[obec_code_validator]
    )
    name = models.CharField("ชื่อโรงเรียน", max_length=200)
    name_en = models.CharField("ชื่อภาษาอังกฤษ", max_length=200, blank=True)
    affiliation = models.ForeignKey(Affiliation, verbose_name="สังกัด", on_delete=models.PROTECT)
    area = models.ForeignKey(
        EducationArea, verbose_name="เขตพื้นที่/หน่วยงานต้นสังกัด", on_delete=models.PROTECT, related_name="schools"
    )
    groupings = models.ManyToManyField(
        EducationArea, verbose_name="กลุ่มโรงเรียน", blank=True, related_name="grouped_schools"
    )
    address = models.CharField("ที่อยู่", max_length=200, blank=True)
    subdistrict = models.CharField("ตำบล/แขวง", max_length=100, blank=True)
    district = models.CharField("อำเภอ/เขต", max_length=100, blank=True)
    province = models.CharField("จังหวัด", max_length=100, blank=True)
    postcode = models.CharField("รหัสไปรษณีย์", max_length=5, blank=True)
    phone = models.CharField("โทรศัพท์", max_length=30, blank=True)
    email = models.EmailField("อีเมล", blank=True)
    # Rules that differ between schools (DOMAIN.md [P]/[U] items) are read through
    # schools.policy, which fills in the national defaults for anything not set here.
    policy = models.JSONField("ค่ากำหนดของโรงเรียน", default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "โรงเรียน"
        verbose_name_plural = "โรงเรียน"

    def __str__(self) -> str:
        return self.name


class AcademicYear(models.Model):
    """ปีการศึกษา, named by the BE year it starts in (2568 = 16 May 2025 – 15 May 2026)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="academic_years")
    year = models.PositiveSmallIntegerField("ปีการศึกษา (พ.ศ.)")
    start_date = models.DateField("วันเริ่มปีการศึกษา")
    end_date = models.DateField("วันสิ้นปีการศึกษา")

    class Meta:
        ordering = ["school_id", "-year"]
        verbose_name = "ปีการศึกษา"
        verbose_name_plural = "ปีการศึกษา"
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="academic_year_unique_per_school"),
            models.CheckConstraint(
                condition=Q(start_date__lt=models.F("end_date")), name="academic_year_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(year__gte=2400) & Q(year__lte=2700), name="academic_year_is_be"),
        ]

    def __str__(self) -> str:
        return f"ปีการศึกษา {self.year}"

    @staticmethod
    def default_dates(year_be: int) -> tuple[date, date]:
        start_ce = thaidate.ce_year(year_be)
        return date(start_ce, 5, 16), date(start_ce + 1, 5, 15)


class Term(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="terms")
    number = models.PositiveSmallIntegerField("ภาคเรียนที่")
    start_date = models.DateField("วันเปิดภาคเรียน")
    end_date = models.DateField("วันปิดภาคเรียน")

    class Meta:
        ordering = ["academic_year__year", "number"]
        verbose_name = "ภาคเรียน"
        verbose_name_plural = "ภาคเรียน"
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "number"], name="term_unique_per_year"),
            models.CheckConstraint(condition=Q(start_date__lte=models.F("end_date")), name="term_dates_ordered"),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=3), name="term_number_1_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.number}/{self.academic_year.year}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CalendarEvent(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "วันหยุด"
        EXAM = "exam", "สอบ"
        EVENT = "event", "กิจกรรม"
        MAKEUP = "makeup", "วันเรียนชดเชย"
        # An emergency closure (flood, epidemic, an order of the province): no school that day,
        # even on a make-up day, so the day stops counting in attendance.
        CLOSURE = "closure", "ปิดเรียนกรณีพิเศษ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="calendar_events")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("ประเภท", max_length=10, choices=Kind.choices)
    title = models.CharField("ชื่อกิจกรรม/วันหยุด", max_length=200)
    start_date = models.DateField("วันที่เริ่ม")
    end_date = models.DateField("วันที่สิ้นสุด")

    class Meta:
        ordering = ["start_date", "title"]
        verbose_name = "ปฏิทินโรงเรียน"
        verbose_name_plural = "ปฏิทินโรงเรียน"
        indexes = [models.Index(fields=["school", "start_date"], name="calendar_school_start")]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=models.F("end_date")), name="event_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.title


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class StaffMembership(models.Model):
    """A role a person holds in a school or an area. A person may hold several."""

    class Role(models.TextChoices):
        ADMIN = "admin", "ผู้ดูแลระบบ"
        DISTRICT_OFFICER = "district_officer", "เจ้าหน้าที่เขตพื้นที่"
        PRINCIPAL = "principal", "ผู้อำนวยการ"
        REGISTRAR = "registrar", "งานทะเบียน-วัดผล"
        TEACHER = "teacher", "ครูผู้สอน"
        HOMEROOM_TEACHER = "homeroom_teacher", "ครูประจำชั้น"
        COUNSELLOR = "counsellor", "ครูแนะแนว"
        AREA_HEAD = "area_head", "หัวหน้ากลุ่มสาระ"

    SCHOOL_ROLES = (
        Role.PRINCIPAL,
        Role.REGISTRAR,
        Role.TEACHER,
        Role.HOMEROOM_TEACHER,
        Role.COUNSELLOR,
        Role.AREA_HEAD,
        Role.ADMIN,
    )

    user = models.ForeignKey(User, verbose_name="ผู้ใช้", on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    area = models.ForeignKey(
        EducationArea,
        verbose_name="เขตพื้นที่การศึกษา",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField("บทบาท", max_length=20, choices=Role.choices)
    is_active = models.BooleanField("ใช้งาน", default=True)
    # A role given for a term or a year ends by itself: the day after this date it grants nothing.
    ends_on = models.DateField("ใช้งานถึงวันที่", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "บทบาทของบุคลากร"
        verbose_name_plural = "บทบาทของบุคลากร"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "area", "role"], name="membership_unique", nulls_distinct=False
            ),
            # A school role names a school; an officer names an area; only an admin may name neither.
            models.CheckConstraint(
                condition=(
                    (Q(school__isnull=False) & Q(area__isnull=True) & ~Q(role="district_officer"))
                    | (Q(school__isnull=True) & Q(area__isnull=False) & Q(role="district_officer"))
                    | (Q(school__isnull=True) & Q(area__isnull=True) & Q(role="admin"))
                ),
                name="membership_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.school or self.area or "ทั้งระบบ"
        return f"{self.user} — {self.get_role_display()} ({where})"
