"""Student care (ระบบดูแลช่วยเหลือนักเรียน): every write of home visits and their photos, the
EEF poverty pre-screen (นร./กสศ.01), SDQ forms, and the PDPA access log of their reads.

The rules live in pure modules (students.poverty, students.sdq); these services check the input,
compute with them and store both the answers and the result, so a page shows what was decided
and why without recomputing. A school may set in School.policy:

- `poverty_income_threshold` (baht per person per month, default 3,000) and
  `poverty_min_hardship_items` (default 2): the EEF thresholds, stored with every screening;
- `home_visit_location` (default true): false stops the map location of a visit being kept;
- `home_visit_photo_gps` (default false): true keeps the GPS tags of a photo (every other EXIF
  tag is always removed);
- `sdq_cutoffs`: the school's own SDQ bands per informant and scale (students.sdq.cutoffs_from_data;
  written only through `sdq_cutoffs_update`, which checks them); what it leaves out keeps the
  defaults of students.sdq. A form keeps the bands it was scored with.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from qinfo import hooks, thaidate
from qinfo.audit import audited
from qinfo.text import has_control_characters
from schools.models import AcademicYear, School
from schools.selectors.organisation import current_academic_year

from .. import poverty, sdq
from ..models import Enrolment, HomeVisit, HomeVisitPhoto, PovertyScreening, SdqAssessment, SensitiveRead, Student

pdpa_log = logging.getLogger("qinfo.pdpa")

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 1600
MAX_PHOTOS_PER_VISIT = 10
PHOTO_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})


# --- School settings -----------------------------------------------------------------------------


def _policy(school: School) -> dict:
    return school.policy if isinstance(school.policy, dict) else {}


def poverty_rules(school: School) -> poverty.PovertyRules:
    """The EEF thresholds of the school (national defaults for anything it has not set)."""
    policy = _policy(school)
    defaults = poverty.DEFAULT_RULES
    try:
        return poverty.PovertyRules(
            income_threshold=policy.get("poverty_income_threshold", defaults.income_threshold),
            min_hardship_items=int(policy.get("poverty_min_hardship_items", defaults.min_hardship_items)),
        )
    except (TypeError, ValueError):
        return defaults


def rules_data(rules: poverty.PovertyRules) -> dict:
    """The rules as JSON, stored with each screening so a later change of settings is visible."""
    data = asdict(rules)
    for key, value in data.items():
        if isinstance(value, Decimal):
            data[key] = str(value)
        elif isinstance(value, frozenset):
            data[key] = sorted(str(item) for item in value)
        elif isinstance(value, tuple):
            data[key] = list(value)
    return data


def keeps_location(school: School) -> bool:
    return bool(_policy(school).get("home_visit_location", True))


def keeps_photo_gps(school: School) -> bool:
    return bool(_policy(school).get("home_visit_photo_gps", False))


MAX_INCOME_THRESHOLD = Decimal("1000000")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "กรุณาระบุเหตุผลของการเปลี่ยนแปลง"})
    if len(reason) > 200 or has_control_characters(reason):
        raise ValidationError({"reason": "เหตุผลต้องเป็นข้อความบรรทัดเดียว ไม่เกิน 200 ตัวอักษร"})
    return reason


@transaction.atomic
def care_settings_update(
    *,
    school: School,
    income_threshold,
    min_hardship_items,
    keep_location: bool,
    keep_photo_gps: bool,
    reason: str,
    by,
) -> School:
    """The school's EEF screening thresholds and what a home visit keeps of a location. They
    apply to screenings and visits saved from now on: each screening stores the rules it was
    decided with (`rules`), so no stored eligibility moves and the early warning, which reads the
    stored screenings, has nothing to recompute."""
    reason = _reason(reason)
    errors: dict[str, str] = {}
    try:
        threshold = Decimal(str(income_threshold).replace(",", "").strip())
        if not threshold.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        threshold = None
        errors["income_threshold"] = "เกณฑ์รายได้ต้องเป็นจำนวนเงิน (บาท) เช่น 3000"
    if threshold is not None and not (0 < threshold <= MAX_INCOME_THRESHOLD):
        errors["income_threshold"] = f"เกณฑ์รายได้ต้องมากกว่า 0 และไม่เกิน {MAX_INCOME_THRESHOLD:,.0f} บาท"
    elif threshold is not None and threshold != threshold.quantize(Decimal("0.01")):
        errors["income_threshold"] = "เกณฑ์รายได้มีทศนิยมได้ไม่เกิน 2 ตำแหน่ง"
    try:
        items = int(str(min_hardship_items).strip())
    except ValueError:
        items = None
        errors["min_hardship_items"] = "จำนวนข้อสภาพครัวเรือนต้องเป็นจำนวนเต็ม"
    if items is not None and not 0 <= items <= poverty.HARDSHIP_ITEM_COUNT:
        errors["min_hardship_items"] = f"จำนวนข้อสภาพครัวเรือนต้องอยู่ระหว่าง 0 ถึง {poverty.HARDSHIP_ITEM_COUNT}"
    if errors:
        raise ValidationError(errors)
    school = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(school.policy or {})
    policy.update(
        {
            "poverty_income_threshold": str(threshold),
            "poverty_min_hardship_items": items,
            "home_visit_location": bool(keep_location),
            "home_visit_photo_gps": bool(keep_photo_gps),
        }
    )
    school.policy = policy
    with audited(by=by, reason=f"ตั้งค่าการคัดกรองและการเยี่ยมบ้าน: {reason}"):
        school.save(update_fields=["policy"])
    return school


def care_year(student: Student) -> AcademicYear:
    year = current_academic_year(student.school_id)
    if year is None:
        raise ValidationError({"academic_year": "โรงเรียนยังไม่มีปีการศึกษา จึงบันทึกข้อมูลการดูแลนักเรียนไม่ได้"})
    return year


# --- The PDPA access log ---------------------------------------------------------------------------


def sensitive_read_log(
    *,
    user,
    students: Sequence[Student],
    kind: str,
    via: str,
    records: Sequence[uuid.UUID | None] | None = None,
) -> None:
    """Record that `user` read `kind` of each student (one row each, one INSERT), and say so on
    the `qinfo.pdpa` logger. `records` names the record read for each student, when there is one."""
    if not students or not getattr(user, "pk", None):
        return
    codes = list(records) if records is not None else [None] * len(students)
    now = timezone.now()
    via = via[:200]
    SensitiveRead.objects.bulk_create(
        SensitiveRead(
            school_id=student.school_id,
            user_id=user.pk,
            student_id=student.pk,
            kind=kind,
            record_code=code,
            via=via,
            read_at=now,
        )
        for student, code in zip(students, codes, strict=True)
    )
    for student, code in zip(students, codes, strict=True):
        pdpa_log.info(
            "read kind=%s user=%s user_id=%s student=%s record=%s via=%s",
            kind,
            getattr(user, "username", ""),
            user.pk,
            student.code,
            code or "",
            via,
        )


# --- Home visits -----------------------------------------------------------------------------------


def _text(value, label: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: f"{label}ยาวเกิน {limit} ตัวอักษร"})
    if has_control_characters(value.replace("\n", "").replace("\r", "")):
        raise ValidationError({field: f"{label}มีอักขระที่ใช้ไม่ได้"})
    return value


def _coordinate(value, label: str, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({field: f"{label}ต้องเป็นตัวเลข"}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError({field: f"{label}ต้องอยู่ระหว่าง -{limit} ถึง {limit}"})
    return number.quantize(Decimal("0.000001"))


def _check_visit_date(visited_on: date | None, year: AcademicYear) -> date:
    today = timezone.localdate()
    if visited_on is None:
        raise ValidationError({"visited_on": "กรุณากรอกวันที่เยี่ยมบ้าน"})
    if visited_on > today:
        raise ValidationError({"visited_on": "วันที่เยี่ยมบ้านต้องไม่เกินวันนี้"})
    if not year.start_date <= visited_on <= year.end_date:
        raise ValidationError(
            {"visited_on": f"วันที่เยี่ยมบ้าน {thaidate.format_long(visited_on)} ไม่อยู่ในปีการศึกษา {year.year}"}
        )
    return visited_on


@transaction.atomic
def home_visit_create(
    *,
    student: Student,
    visited_on: date,
    met_whom: str,
    housing: str,
    family: str,
    by,
    housing_notes: str = "",
    family_notes: str = "",
    household_members: int | None = None,
    income_per_person: Decimal | None = None,
    risks: Iterable[str] = (),
    risk_notes: str = "",
    help_needed: str = "",
    latitude=None,
    longitude=None,
    photos: Sequence = (),
) -> HomeVisit:
    year = care_year(student)
    risks = list(dict.fromkeys(risks))
    unknown = [risk for risk in risks if risk not in HomeVisit.Risk.values]
    if unknown:
        raise ValidationError({"risks": f"พฤติกรรมเสี่ยง: ไม่รู้จักตัวเลือก {', '.join(unknown)}"})
    if len(photos) > MAX_PHOTOS_PER_VISIT:
        raise ValidationError({"photos": f"แนบรูปถ่ายได้ไม่เกิน {MAX_PHOTOS_PER_VISIT} รูปต่อการเยี่ยมบ้านหนึ่งครั้ง"})
    if income_per_person is not None and income_per_person < 0:
        raise ValidationError({"income_per_person": "รายได้เฉลี่ยต่อคนต่อเดือนต้องไม่ติดลบ"})
    lat = _coordinate(latitude, "ละติจูด", "latitude", 90)
    lng = _coordinate(longitude, "ลองจิจูด", "longitude", 180)
    if (lat is None) != (lng is None):
        raise ValidationError({"latitude": "ตำแหน่งบ้านต้องมีทั้งละติจูดและลองจิจูด หรือเว้นว่างทั้งคู่"})
    if not keeps_location(student.school):
        lat = lng = None
    visit = HomeVisit(
        school_id=student.school_id,
        student=student,
        academic_year=year,
        visited_on=_check_visit_date(visited_on, year),
        visitor=by,
        met_whom=met_whom,
        housing=housing,
        housing_notes=_text(housing_notes, "สภาพบ้านและสิ่งแวดล้อม", "housing_notes", 500),
        family=family,
        family_notes=_text(family_notes, "ความสัมพันธ์ในครอบครัว", "family_notes", 500),
        household_members=household_members,
        income_per_person=income_per_person,
        risks=risks,
        risk_notes=_text(risk_notes, "รายละเอียดพฤติกรรมเสี่ยง", "risk_notes", 1000),
        help_needed=_text(help_needed, "ความช่วยเหลือที่ต้องการ", "help_needed", 1000),
        latitude=lat,
        longitude=lng,
    )
    visit.full_clean()
    # Check every photo before anything is stored: nothing is half-saved.
    prepared = [prepare_photo(upload, keep_gps=keeps_photo_gps(student.school)) for upload in photos]
    stored: list[HomeVisitPhoto] = []
    try:
        with audited(by=by, reason="บันทึกการเยี่ยมบ้าน"):
            visit.save()
            for content, width, height in prepared:
                stored.append(_store_photo(visit=visit, content=content, width=width, height=height, by=by))
    except Exception:
        for photo in stored:
            photo.file.storage.delete(photo.file.name)
        raise
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # the family flags (earlywarning)
    return visit


@transaction.atomic
def home_visit_photo_add(*, visit: HomeVisit, upload, by) -> HomeVisitPhoto:
    visit = HomeVisit.objects.select_for_update().select_related("school").get(pk=visit.pk)
    if visit.photos.count() >= MAX_PHOTOS_PER_VISIT:
        raise ValidationError({"photos": f"แนบรูปถ่ายได้ไม่เกิน {MAX_PHOTOS_PER_VISIT} รูปต่อการเยี่ยมบ้านหนึ่งครั้ง"})
    content, width, height = prepare_photo(upload, keep_gps=keeps_photo_gps(visit.school))
    with audited(by=by, reason="เพิ่มรูปถ่ายการเยี่ยมบ้าน"):
        return _store_photo(visit=visit, content=content, width=width, height=height, by=by)


def _store_photo(*, visit: HomeVisit, content: bytes, width: int, height: int, by) -> HomeVisitPhoto:
    photo = HomeVisitPhoto(
        school_id=visit.school_id, visit=visit, width=width, height=height, size=len(content), uploaded_by=by
    )
    # Through Django's storage API, under a random name; served only by the access-checked view.
    photo.file.save("visit.jpg", ContentFile(content), save=False)
    try:
        photo.full_clean()
        photo.save()
    except Exception:
        photo.file.storage.delete(photo.file.name)
        raise
    return photo


def prepare_photo(upload, *, keep_gps: bool = False) -> tuple[bytes, int, int]:
    """A real image of at most 10 MB, turned upright, resized to at most 1600 px on its long side
    and written as JPEG without EXIF (or with only its GPS tags when the school keeps them)."""
    name = getattr(upload, "name", "") or "รูปถ่าย"
    size = getattr(upload, "size", None)
    if size is None or size > MAX_PHOTO_BYTES:
        megabytes = (size or 0) / (1024 * 1024)
        raise ValidationError({"photos": f"รูปถ่าย “{name}” มีขนาด {megabytes:.1f} MB เกินกำหนด (ไม่เกิน 10 MB)"})
    refused = ValidationError({"photos": f"ไฟล์ “{name}” ไม่ใช่รูปภาพที่เปิดได้ กรุณาเลือกรูป JPG PNG หรือ WEBP"})
    try:
        upload.seek(0)
        with Image.open(upload) as original:
            if original.format not in PHOTO_FORMATS:
                raise refused
            original.load()
            gps = original.getexif().get_ifd(ExifTags.IFD.GPSInfo) if keep_gps else None
            image = ImageOps.exif_transpose(original)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    finally:
        upload.seek(0)
    image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    if image.mode != "RGB":
        image = image.convert("RGB")
    # Nothing of the original's metadata (EXIF, XMP, comments) is carried over.
    image.info = {}
    options: dict = {"quality": 85, "optimize": True}
    if gps:
        exif = Image.Exif()
        exif[ExifTags.IFD.GPSInfo] = dict(gps)
        options["exif"] = exif.tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue(), image.width, image.height


# --- Poverty screening -----------------------------------------------------------------------------

MEMBER_FLAGS = ("disabled", "chronically_ill", "unemployed", "student", "single_parent")
MAX_MEMBERS = 30


def _member(raw: dict, number: int) -> poverty.Member:
    if not isinstance(raw, dict):
        raise ValidationError({"members": f"สมาชิกคนที่ {number}: ข้อมูลไม่ถูกต้อง"})
    age = raw.get("age")
    if age in ("", None):
        age = None
    else:
        try:
            age = int(age)
        except (TypeError, ValueError):
            raise ValidationError({"members": f"อายุของสมาชิกคนที่ {number}: ต้องเป็นจำนวนเต็ม"}) from None
    return poverty.Member(
        monthly_income=raw.get("monthly_income") if raw.get("monthly_income") not in (None, "") else 0,
        age=age,
        **{flag: bool(raw.get(flag)) for flag in MEMBER_FLAGS},
    )


def _household(members: Sequence[poverty.Member], answers: dict) -> poverty.Household:
    def optional_bool(key: str) -> bool | None:
        value = answers.get(key)
        return None if value in (None, "") else bool(value)

    def optional_set(key: str):
        value = answers.get(key)
        return None if value is None else value

    return poverty.Household(
        members=members,
        tenure=answers.get("tenure") or None,
        dilapidated=optional_bool("dilapidated"),
        has_toilet=optional_bool("has_toilet"),
        farms=optional_bool("farms"),
        farm_land_rai=answers.get("farm_land_rai") if answers.get("farm_land_rai") not in ("", None) else None,
        water=answers.get("water") or None,
        electricity=answers.get("electricity") or None,
        vehicles=optional_set("vehicles"),
        appliances=optional_set("appliances"),
    )


HOUSEHOLD_KEYS = (
    "tenure",
    "dilapidated",
    "has_toilet",
    "farms",
    "farm_land_rai",
    "water",
    "electricity",
    "vehicles",
    "appliances",
)


def screen_household(school: School, members: Sequence[dict], household: dict) -> poverty.Screening:
    if not isinstance(members, list | tuple) or not members:
        raise ValidationError({"members": "ครัวเรือนต้องมีสมาชิกอย่างน้อย 1 คน (รวมตัวนักเรียน)"})
    if len(members) > MAX_MEMBERS:
        raise ValidationError({"members": f"สมาชิกในครัวเรือนได้ไม่เกิน {MAX_MEMBERS} คน"})
    if not isinstance(household, dict):
        raise ValidationError({"household": "สภาพครัวเรือนต้องเป็นรายการคำตอบ"})
    parsed = [_member(raw, number) for number, raw in enumerate(members, start=1)]
    try:
        return poverty.screen(_household(parsed, household), poverty_rules(school))
    except ValueError as error:
        field = "members" if "สมาชิก" in str(error) else "household"
        raise ValidationError({field: str(error).splitlines()}) from None


def _json_members(members: Sequence[dict]) -> list[dict]:
    clean = []
    for raw in members:
        income = raw.get("monthly_income")
        clean.append(
            {
                "monthly_income": str(income if income not in (None, "") else 0),
                "age": int(raw["age"]) if raw.get("age") not in (None, "") else None,
                **{flag: bool(raw.get(flag)) for flag in MEMBER_FLAGS},
            }
        )
    return clean


def _json_household(household: dict) -> dict:
    data = {key: household.get(key) for key in HOUSEHOLD_KEYS}
    for key in ("vehicles", "appliances"):
        if data[key] is not None:
            data[key] = sorted(str(item) for item in data[key])
    if data["farm_land_rai"] not in (None, ""):
        data["farm_land_rai"] = str(data["farm_land_rai"])
    return data


@transaction.atomic
def poverty_screening_save(
    *, student: Student, members: Sequence[dict], household: dict, by, academic_year: AcademicYear | None = None
) -> PovertyScreening:
    """Create or replace the student's screening of the year (one per student and year)."""
    year = academic_year or care_year(student)
    if year.school_id != student.school_id:
        raise ValidationError({"academic_year": "ปีการศึกษาไม่ใช่ของโรงเรียนของนักเรียน"})
    result = screen_household(student.school, members, household)
    screening = (
        PovertyScreening.objects.select_for_update()
        .filter(school_id=student.school_id, student=student, academic_year=year)
        .first()
    ) or PovertyScreening(school_id=student.school_id, student=student, academic_year=year)
    screening.members = _json_members(members)
    screening.household = _json_household(household)
    screening.member_count = result.member_count
    screening.income_per_person = result.income_per_person
    screening.eligible = result.eligible
    screening.hardship = [str(item) for item in result.hardship]
    screening.unanswered = [str(item) for item in result.unanswered]
    screening.reason = result.reason[:500]
    screening.rules = rules_data(result.rules)
    screening.screened_by = by
    screening.full_clean(validate_unique=False)
    with audited(by=by, reason="คัดกรองนักเรียนยากจน (นร./กสศ.01)"):
        screening.save()
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # the economic flag (earlywarning)
    return screening


# --- SDQ -------------------------------------------------------------------------------------------


def student_grade_code(student: Student, year: AcademicYear) -> str | None:
    enrolment = (
        Enrolment.objects.filter(school_id=student.school_id, student=student, academic_year=year)
        .select_related("grade_level")
        .first()
    )
    return enrolment.grade_level.code if enrolment else None


def _answers(answers: Sequence) -> list[int | None]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ValidationError({"answers": f"คำตอบต้องเป็นรายการ {sdq.ITEM_COUNT} ข้อ"})
    clean: list[int | None] = []
    for answer in answers:
        if answer in (None, ""):
            clean.append(None)
        elif isinstance(answer, str) and answer.strip() in ("0", "1", "2"):
            clean.append(int(answer))
        else:
            clean.append(answer)
    return clean


SDQ_POLICY_KEY = "sdq_cutoffs"


def sdq_informants(school: School, grade_code: str) -> tuple[sdq.Informant, ...]:
    """The SDQ forms a grade of the school uses (students.sdq.informants_for_grade): the parent
    form from ป.1 unless School.policy["sdq_parent_from_p4"] keeps it from ป.4."""
    return sdq.informants_for_grade(grade_code, parent_from_p4=sdq.parent_from_p4(school.policy))


@transaction.atomic
def sdq_parent_form_policy_update(*, school: School, from_p4: bool, by) -> School:
    """Offer the parent SDQ form from ป.1 (False, the default) or from ป.4 only (True)."""
    school = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(school.policy or {})
    if from_p4:
        policy[sdq.PARENT_FROM_P4_POLICY] = True
    else:
        policy.pop(sdq.PARENT_FROM_P4_POLICY, None)
    school.policy = policy
    with audited(by=by, reason="กำหนดชั้นที่ใช้แบบประเมิน SDQ ฉบับผู้ปกครอง"):
        school.save(update_fields=["policy"])
    return school


def sdq_cutoffs(school: School) -> sdq.SdqCutoffs:
    """The bands the school scores SDQ forms with: its own table over the defaults."""
    try:
        return sdq.cutoffs_from_data(_policy(school).get(SDQ_POLICY_KEY))
    except ValueError as error:
        # Written only through sdq_cutoffs_update, so this is a hand edit gone wrong: say so.
        raise ValidationError({"answers": f"เกณฑ์การแปลผล SDQ ของโรงเรียนไม่ถูกต้อง ({error}) กรุณาแจ้งผู้ดูแลระบบ"}) from None


@transaction.atomic
def sdq_cutoffs_update(*, school: School, data: dict | None, by, reason: str | None = None) -> School:
    """Set (or with None/{} clear) the school's own SDQ bands; refused in Thai unless every
    table tiles its scale. Forms already scored keep their bands (each stores the bands it was
    scored with), so no stored status moves: the bands apply to forms saved from now on. The
    settings page asks for a reason; the API's callers have none to give."""
    reason = _reason(reason) if reason is not None else ""
    try:
        cutoffs = sdq.cutoffs_from_data(data or None)
    except ValueError as error:
        raise ValidationError({SDQ_POLICY_KEY: str(error)}) from None
    school = School.objects.select_for_update().get(pk=school.pk)
    policy = dict(school.policy or {})
    if data:
        policy[SDQ_POLICY_KEY] = sdq.cutoffs_data(cutoffs)
    else:
        policy.pop(SDQ_POLICY_KEY, None)
    school.policy = policy
    with audited(by=by, reason="แก้ไขเกณฑ์การแปลผล SDQ ของโรงเรียน" + (f": {reason}" if reason else "")):
        school.save(update_fields=["policy"])
    return school


@transaction.atomic
def sdq_assessment_create(
    *, student: Student, informant: str, answers: Sequence, by, filled_on: date | None = None
) -> SdqAssessment:
    year = care_year(student)
    if informant not in SdqAssessment.Informant.values:
        raise ValidationError({"informant": "ผู้ประเมินต้องเป็น ครู ผู้ปกครอง หรือนักเรียน"})
    grade_code = student_grade_code(student, year)
    if grade_code is None:
        raise ValidationError({"informant": f"นักเรียนยังไม่ได้ลงทะเบียนชั้นเรียนในปีการศึกษา {year.year}"})
    allowed = sdq_informants(student.school, grade_code)
    if sdq.Informant(informant) not in allowed:
        who = " ".join(i.label for i in allowed) or "ไม่มี"
        raise ValidationError(
            {"informant": f"แบบประเมิน SDQ ฉบับ{sdq.Informant(informant).label}ไม่ใช้กับชั้นนี้ (ใช้ได้: {who})"}
        )
    clean = _answers(answers)
    try:
        result = sdq.score(clean, informant, cutoffs=sdq_cutoffs(student.school))
    except sdq.SdqInputError as error:
        raise ValidationError({"answers": list(error.errors)}) from None
    filled_on = filled_on or timezone.localdate()
    if filled_on > timezone.localdate():
        raise ValidationError({"filled_on": "วันที่ประเมินต้องไม่เกินวันนี้"})
    assessment = SdqAssessment(
        school_id=student.school_id,
        student=student,
        academic_year=year,
        informant=informant,
        answers=clean,
        scores={str(scale): value for scale, value in result.scores.items()},
        bands={str(scale): str(band) for scale, band in result.bands.items()},
        total_difficulties=result.total_difficulties,
        prosocial=result.prosocial,
        status=str(result.status),
        filled_on=filled_on,
        filled_by=by,
    )
    assessment.full_clean()
    with audited(by=by, reason=f"บันทึกแบบประเมิน SDQ ฉบับ{result.informant.label}"):
        assessment.save()
    hooks.notify(hooks.STUDENTS_CHANGED, [student.pk])  # the family flags (earlywarning)
    return assessment
