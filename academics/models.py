"""Curriculum and teaching: learning areas, subjects, study plans, course sections,
registrations, the bell schedule and the timetable."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from academics import grading
from schools.models import AcademicYear, School, Term
from students.models import Classroom, GradeLevel, Student


class LearningArea(models.Model):
    """กลุ่มสาระการเรียนรู้ with its code letter (ท ค ว ...); national reference data."""

    letter = models.CharField("อักษรรหัสวิชา", max_length=2, unique=True)
    name = models.CharField("กลุ่มสาระการเรียนรู้", max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "letter"]
        verbose_name = "กลุ่มสาระการเรียนรู้"
        verbose_name_plural = "กลุ่มสาระการเรียนรู้"

    def __str__(self) -> str:
        return self.name


# Bounds of a subject's numbers: above them a value is a typing mistake (and past 32,767 the
# database could not even hold it). Forms, the API and the model share them.
MAX_CREDITS = Decimal("20.0")
MAX_HOURS = 1000
MAX_PERIODS_PER_WEEK = 20


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Subject(models.Model):
    """A subject in a school's curriculum (รายวิชา), or a learner-development activity."""

    class Kind(models.TextChoices):
        BASIC = "basic", "พื้นฐาน"
        ADDITIONAL = "additional", "เพิ่มเติม"
        ACTIVITY = "activity", "กิจกรรมพัฒนาผู้เรียน"

    class Activity(models.TextChoices):
        GUIDANCE = "guidance", "แนะแนว"
        SCOUTS = "scouts", "ลูกเสือ/เนตรนารี/ยุวกาชาด/ผู้บำเพ็ญประโยชน์/รด."
        CLUB = "club", "ชุมนุม"
        SOCIAL = "social", "กิจกรรมเพื่อสังคมและสาธารณประโยชน์"

    class Stage(models.IntegerChoices):
        PRIMARY = 1, "ประถมศึกษา"
        LOWER_SECONDARY = 2, "มัธยมศึกษาตอนต้น"
        UPPER_SECONDARY = 3, "มัธยมศึกษาตอนปลาย"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="subjects")
    subject_code = models.CharField("รหัสวิชา", max_length=12)
    name = models.CharField("ชื่อรายวิชา", max_length=200)
    name_en = models.CharField("ชื่อภาษาอังกฤษ", max_length=200, blank=True)
    learning_area = models.ForeignKey(
        LearningArea, verbose_name="กลุ่มสาระ", null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField("ประเภท", max_length=12, choices=Kind.choices)
    activity = models.CharField("ประเภทกิจกรรม", max_length=12, choices=Activity.choices, blank=True)
    stage = models.PositiveSmallIntegerField("ระดับ", choices=Stage.choices)
    year_in_stage = models.PositiveSmallIntegerField("ชั้นปี (0 = ทุกชั้นปีของระดับ)", default=0)
    credits = models.DecimalField(
        "หน่วยกิต",
        max_digits=3,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_CREDITS)],
    )
    hours = models.PositiveSmallIntegerField(
        "เวลาเรียน (ชั่วโมงต่อภาค/ปี)", default=0, validators=[MaxValueValidator(MAX_HOURS)]
    )
    periods_per_week = models.PositiveSmallIntegerField(
        "คาบต่อสัปดาห์", default=0, validators=[MaxValueValidator(MAX_PERIODS_PER_WEEK)]
    )

    class Meta:
        ordering = ["school_id", "subject_code"]
        verbose_name = "รายวิชา"
        verbose_name_plural = "รายวิชา"
        constraints = [
            models.UniqueConstraint(fields=["school", "subject_code"], name="subject_code_unique_per_school"),
            models.CheckConstraint(
                condition=Q(kind="activity") | Q(learning_area__isnull=False), name="subject_has_learning_area"
            ),
            models.CheckConstraint(
                condition=~Q(kind="activity") | ~Q(activity=""), name="activity_subject_has_activity_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_code} {self.name}"

    @property
    def is_activity(self) -> bool:
        return self.kind == self.Kind.ACTIVITY


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class StudyPlan(models.Model):
    """แผนการเรียน: which subjects each grade level studies in each term (e.g. วิทย์-คณิต)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="study_plans")
    name = models.CharField("ชื่อแผนการเรียน", max_length=100)
    description = models.CharField("รายละเอียด", max_length=300, blank=True)

    class Meta:
        ordering = ["school_id", "name"]
        verbose_name = "แผนการเรียน"
        verbose_name_plural = "แผนการเรียน"
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="study_plan_name_unique")]

    def __str__(self) -> str:
        return self.name


class StudyPlanItem(models.Model):
    """A subject of a grade level in a term, or all year long (term 0: a primary year course,
    DOMAIN.md §2 — its hours are per year and its result is decided once for the year, or per
    term with each term's share of the hours, as the school's policy says)."""

    WHOLE_YEAR = 0

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    study_plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="items")
    grade_level = models.ForeignKey(GradeLevel, verbose_name="ชั้น", on_delete=models.PROTECT)
    term_number = models.PositiveSmallIntegerField("ภาคเรียนที่ (0 = ทั้งปี)")
    subject = models.ForeignKey(Subject, verbose_name="รายวิชา", on_delete=models.PROTECT, related_name="plan_items")

    class Meta:
        ordering = ["grade_level__order", "term_number", "subject__subject_code"]
        verbose_name = "รายวิชาในแผนการเรียน"
        verbose_name_plural = "รายวิชาในแผนการเรียน"
        constraints = [
            models.UniqueConstraint(
                fields=["study_plan", "grade_level", "term_number", "subject"], name="study_plan_item_unique"
            ),
            models.CheckConstraint(condition=Q(term_number__in=[0, 1, 2, 3]), name="study_plan_item_term_0_3"),
        ]

    def __str__(self) -> str:
        return f"{self.grade_level} {self.term_label}: {self.subject}"

    @property
    def is_whole_year(self) -> bool:
        return self.term_number == self.WHOLE_YEAR

    @property
    def term_label(self) -> str:
        return "ทั้งปี" if self.is_whole_year else f"ภาคเรียนที่ {self.term_number}"


class ClassroomPlan(models.Model):
    """Which study plan a classroom follows (kept here because plans belong to academics)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    classroom = models.OneToOneField(Classroom, on_delete=models.CASCADE, related_name="plan")
    study_plan = models.ForeignKey(StudyPlan, on_delete=models.PROTECT, related_name="classroom_plans")

    class Meta:
        verbose_name = "แผนการเรียนของห้อง"
        verbose_name_plural = "แผนการเรียนของห้อง"

    def __str__(self) -> str:
        return f"{self.classroom}: {self.study_plan}"


class ResultStatus(models.TextChoices):
    """Where a section's results are in the approval chain (DESIGN.md data flow 4)."""

    DRAFT = "draft", "ครูกำลังบันทึก"
    SUBMITTED = "submitted", "ส่งหัวหน้ากลุ่มสาระ"
    AREA_APPROVED = "area_approved", "ส่งงานทะเบียน-วัดผล"
    REGISTRAR_APPROVED = "registrar_approved", "เสนอผู้อำนวยการ"
    APPROVED = "approved", "อนุมัติแล้ว"


class CourseSectionQuerySet(models.QuerySet):
    def in_term(self, term: Term) -> CourseSectionQuerySet:
        """The sections taught in a term: its own, and the year courses of its academic year."""
        return self.filter(in_term_q(term))

    def in_year(self, academic_year_id: int) -> CourseSectionQuerySet:
        return self.filter(term__academic_year_id=academic_year_id)


def in_term_q(term: Term, prefix: str = "") -> Q:
    """Q for "taught in this term" on CourseSection (prefix "section__" from a related model):
    a year course (spans_year) hangs on the first term of its year and is taught in every term."""
    return Q(**{f"{prefix}term": term}) | Q(
        **{f"{prefix}spans_year": True, f"{prefix}term__academic_year_id": term.academic_year_id}
    )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CourseSection(models.Model):
    """A subject taught to a classroom (or a mixed elective group) in a term by its teachers.

    A primary year course (DOMAIN.md §2: hours per year, results per year) is one section for
    the whole academic year: `spans_year`, attached to the year's first term, with one result
    per student for the year. In the per-term mode of a school's policy, each term has its own
    section instead, carrying its share of the subject's hours in `hours`.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="sections")
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.PROTECT, related_name="sections")
    subject = models.ForeignKey(Subject, verbose_name="รายวิชา", on_delete=models.PROTECT, related_name="sections")
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้อง", null=True, blank=True, on_delete=models.PROTECT, related_name="sections"
    )
    group_name = models.CharField("ชื่อกลุ่ม (วิชาเลือก/ชุมนุม)", max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField("จำนวนรับ", null=True, blank=True)
    result_status = models.CharField(
        "สถานะผลการเรียน", max_length=20, choices=ResultStatus.choices, default=ResultStatus.DRAFT
    )
    spans_year = models.BooleanField("เรียนทั้งปี (ตัดสินผลรายปี)", default=False)
    hours = models.PositiveSmallIntegerField(
        "เวลาเรียนของกลุ่มนี้ (ชั่วโมง; ว่าง = ตามรายวิชา)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_HOURS)],
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SectionTeacher", related_name="taught_sections", verbose_name="ครูผู้สอน"
    )

    objects = CourseSectionQuerySet.as_manager()

    class Meta:
        ordering = ["subject__subject_code", "classroom__grade_level__order", "classroom__room", "group_name"]
        verbose_name = "กลุ่มการเรียน (รายวิชา-ห้อง)"
        verbose_name_plural = "กลุ่มการเรียน"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "term", "subject", "classroom"],
                condition=Q(classroom__isnull=False),
                name="section_one_per_subject_classroom_term",
            ),
            models.UniqueConstraint(
                fields=["school", "term", "subject", "group_name"],
                condition=Q(classroom__isnull=True),
                name="section_group_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(classroom__isnull=False) | ~Q(group_name=""), name="section_has_classroom_or_group"
            ),
        ]
        indexes = [models.Index(fields=["school", "term"], name="section_school_term")]

    def __str__(self) -> str:
        return f"{self.subject.subject_code} {self.label}"

    @property
    def label(self) -> str:
        return self.classroom.name if self.classroom_id else self.group_name

    @property
    def course_hours(self) -> int:
        """The hours this section teaches: its share in per-term mode, else the subject's."""
        return self.hours if self.hours is not None else self.subject.hours

    @property
    def weight(self) -> Decimal:
        """Its weight in the GPA: credits, or hours/40 in primary."""
        return grading.course_weight(self.subject.credits, self.course_hours)

    @property
    def in_hours(self) -> bool:
        """Measured in hours with weight hours/40 (primary), not in credits (secondary)."""
        return not self.subject.credits

    @property
    def period_label(self) -> str:
        """ทั้งปี 2569 for a year course, else ภาคเรียนที่ 1/2569."""
        if self.spans_year:
            return f"ทั้งปีการศึกษา {self.term.academic_year.year}"
        return f"ภาคเรียนที่ {self.term.number}/{self.term.academic_year.year}"

    def taught_terms(self) -> list[Term]:
        """The terms this section meets in: every term of its year for a year course."""
        if not self.spans_year:
            return [self.term]
        return list(Term.objects.filter(academic_year_id=self.term.academic_year_id).order_by("number"))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SectionTeacher(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE)
    section = models.ForeignKey(CourseSection, on_delete=models.CASCADE, related_name="section_teachers")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="section_roles")
    is_primary = models.BooleanField("ผู้สอนหลัก", default=True)

    class Meta:
        verbose_name = "ครูผู้สอนของกลุ่มการเรียน"
        verbose_name_plural = "ครูผู้สอนของกลุ่มการเรียน"
        constraints = [models.UniqueConstraint(fields=["section", "teacher"], name="section_teacher_unique")]

    def __str__(self) -> str:
        return f"{self.teacher} — {self.section}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Registration(models.Model):
    """A student registered in a course section (from their classroom, or an elective)."""

    class Source(models.TextChoices):
        CLASSROOM = "classroom", "ตามห้องเรียน"
        ELECTIVE = "elective", "เลือกเรียน"
        MANUAL = "manual", "งานทะเบียนเพิ่ม"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    section = models.ForeignKey(
        CourseSection, verbose_name="กลุ่มการเรียน", on_delete=models.CASCADE, related_name="registrations"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.CASCADE, related_name="registrations")
    source = models.CharField("ที่มา", max_length=10, choices=Source.choices, default=Source.CLASSROOM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "การลงทะเบียนรายวิชา"
        verbose_name_plural = "การลงทะเบียนรายวิชา"
        constraints = [models.UniqueConstraint(fields=["section", "student"], name="registration_unique")]
        indexes = [models.Index(fields=["school", "student"], name="registration_school_student")]

    def __str__(self) -> str:
        return f"{self.student} — {self.section}"


class Period(models.Model):
    """A period of the school's bell schedule (คาบที่ 1 08:30–09:20 ...)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField("คาบที่")
    start_time = models.TimeField("เริ่ม")
    end_time = models.TimeField("สิ้นสุด")

    class Meta:
        ordering = ["school_id", "number"]
        verbose_name = "คาบเรียน"
        verbose_name_plural = "คาบเรียน"
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="period_unique_number"),
            models.CheckConstraint(condition=Q(start_time__lt=models.F("end_time")), name="period_times_ordered"),
        ]

    def __str__(self) -> str:
        return f"คาบ {self.number}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TimetableSlot(models.Model):
    """One weekly meeting of a section: a weekday and period, in a room.

    The classroom is copied from the section so the database itself refuses two sections
    of one classroom in the same slot; teacher clashes are checked by the service because a
    section may have several teachers.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "จันทร์"
        TUESDAY = 1, "อังคาร"
        WEDNESDAY = 2, "พุธ"
        THURSDAY = 3, "พฤหัสบดี"
        FRIDAY = 4, "ศุกร์"
        SATURDAY = 5, "เสาร์"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.CASCADE, related_name="timetable_slots")
    section = models.ForeignKey(
        CourseSection, verbose_name="กลุ่มการเรียน", on_delete=models.CASCADE, related_name="slots"
    )
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้องเรียน", null=True, blank=True, on_delete=models.CASCADE, related_name="slots"
    )
    weekday = models.PositiveSmallIntegerField("วัน", choices=Weekday.choices)
    period = models.PositiveSmallIntegerField("คาบที่")
    room = models.CharField("ห้องเรียน/สถานที่", max_length=50, blank=True)

    class Meta:
        ordering = ["weekday", "period"]
        verbose_name = "ตารางสอน"
        verbose_name_plural = "ตารางสอน"
        constraints = [
            # Per term: a year course meets in the same slot in each term of its year.
            models.UniqueConstraint(
                fields=["section", "term", "weekday", "period"], name="slot_section_once_per_term_period"
            ),
            models.UniqueConstraint(
                fields=["term", "classroom", "weekday", "period"],
                condition=Q(classroom__isnull=False),
                name="slot_classroom_not_double_booked",
            ),
            models.UniqueConstraint(
                fields=["school", "term", "room", "weekday", "period"],
                condition=~Q(room=""),
                name="slot_room_not_double_booked",
            ),
        ]
        indexes = [models.Index(fields=["school", "term", "weekday", "period"], name="slot_school_term_time")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} คาบ {self.period}: {self.section}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PromotionDecision(models.Model):
    """The year-end decision for one student: promote, repeat or graduate (DOMAIN.md §3)."""

    class Decision(models.TextChoices):
        PROMOTE = "promote", "เลื่อนชั้น"
        REPEAT = "repeat", "ซ้ำชั้น"
        GRADUATE = "graduate", "จบการศึกษา"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.CASCADE, related_name="promotion_decisions"
    )
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.CASCADE, related_name="promotion_decisions"
    )
    proposed = models.CharField("ระบบเสนอ", max_length=10, choices=Decision.choices)
    proposal_reason = models.CharField("เหตุผลที่เสนอ", max_length=300, blank=True)
    decision = models.CharField("ผลการตัดสิน", max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ตัดสิน", null=True, blank=True, on_delete=models.PROTECT
    )
    decided_at = models.DateTimeField("ตัดสินเมื่อ", null=True, blank=True)
    applied_at = models.DateTimeField("เลื่อนชั้นในระบบเมื่อ", null=True, blank=True)

    class Meta:
        verbose_name = "การเลื่อนชั้น"
        verbose_name_plural = "การเลื่อนชั้น"
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "student"], name="promotion_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.get_decision_display() or self.get_proposed_display()}"


# --- Assessment, attendance, results (grade entry and evaluation) ---------------------------------


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AssessmentPlan(models.Model):
    """How a section is assessed: the in-term:final ratio and how attendance is kept."""

    class AttendanceMode(models.TextChoices):
        MEETINGS = "meetings", "บันทึกรายคาบ"
        HOURS = "hours", "บันทึกเป็นชั่วโมงที่ขาด"

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    section = models.OneToOneField(CourseSection, on_delete=models.CASCADE, related_name="assessment_plan")
    in_term_ratio = models.PositiveSmallIntegerField("สัดส่วนคะแนนระหว่างภาค (ร้อยละ)", validators=[MaxValueValidator(100)])
    attendance_mode = models.CharField(
        "วิธีบันทึกเวลาเรียน", max_length=10, choices=AttendanceMode.choices, default=AttendanceMode.MEETINGS
    )
    planned_hours = models.PositiveSmallIntegerField("เวลาเรียนตามโครงสร้าง (ชั่วโมง)", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "แผนการวัดผล"
        verbose_name_plural = "แผนการวัดผล"
        constraints = [models.CheckConstraint(condition=Q(in_term_ratio__lte=100), name="plan_ratio_at_most_100")]

    def __str__(self) -> str:
        return f"{self.section} {self.in_term_ratio}:{100 - self.in_term_ratio}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AssessmentItem(models.Model):
    """A scored component of a section: an assignment, a quiz, the midterm, the final."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", "งาน/ชิ้นงาน"
        QUIZ = "quiz", "ทดสอบย่อย"
        PROJECT = "project", "โครงงาน"
        PRACTICE = "practice", "ปฏิบัติ"
        MIDTERM = "midterm", "สอบกลางภาค"
        FINAL = "final", "สอบปลายภาค"
        OTHER = "other", "อื่น ๆ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE)
    section = models.ForeignKey(CourseSection, on_delete=models.CASCADE, related_name="assessment_items")
    name = models.CharField("ชื่อรายการ", max_length=100)
    kind = models.CharField("ประเภท", max_length=12, choices=Kind.choices, default=Kind.ASSIGNMENT)
    max_score = models.DecimalField("คะแนนเต็ม", max_digits=5, decimal_places=2)
    is_final = models.BooleanField("เป็นคะแนนปลายภาค", default=False)
    order = models.PositiveSmallIntegerField("ลำดับ", default=0)

    class Meta:
        ordering = ["section_id", "is_final", "order", "id"]
        verbose_name = "รายการวัดผล"
        verbose_name_plural = "รายการวัดผล"
        constraints = [
            models.UniqueConstraint(fields=["section", "name"], name="assessment_item_name_unique"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="assessment_item_max_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.max_score})"


SCORE_WITHIN_MAX = """
    IF NEW.value IS NOT NULL AND (
        NEW.value < 0 OR NEW.value > (SELECT max_score FROM academics_assessmentitem WHERE id = NEW.item_id)
    ) THEN
        RAISE EXCEPTION 'score % outside 0..max for item %', NEW.value, NEW.item_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
"""


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Score(models.Model):
    """One cell of the grade grid: a student's score on an item, or a mark (ร/มส).

    `version` grows with every change so that a save based on an old value is detected as a
    conflict instead of silently overwriting another teacher's entry.
    """

    class Mark(models.TextChoices):
        NONE = "", "—"
        INCOMPLETE = "ร", "ร (ยังไม่ส่งงาน/รอการตัดสิน)"
        NOT_ELIGIBLE = "มส", "มส (ไม่มีสิทธิ์สอบ)"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    # PROTECT: entered scores never disappear with the item, section or student they belong to.
    section = models.ForeignKey(
        CourseSection, verbose_name="กลุ่มการเรียน", on_delete=models.PROTECT, related_name="scores"
    )
    item = models.ForeignKey(
        AssessmentItem, verbose_name="ชิ้นงาน/การประเมิน", on_delete=models.PROTECT, related_name="scores"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="scores")
    value = models.DecimalField("คะแนน", max_digits=6, decimal_places=2, null=True, blank=True)
    mark = models.CharField("เครื่องหมาย", max_length=2, choices=Mark.choices, blank=True)
    version = models.PositiveIntegerField("ฉบับที่", default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "คะแนน"
        verbose_name_plural = "คะแนน"
        constraints = [
            models.UniqueConstraint(fields=["item", "student"], name="score_one_per_item_student"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(mark=""), name="score_value_or_mark"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="score_not_negative"),
        ]
        indexes = [models.Index(fields=["section", "student"], name="score_section_student")]
        triggers = [
            pgtrigger.Trigger(
                name="score_within_max",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=SCORE_WITHIN_MAX,
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id}/{self.item_id}: {self.mark or self.value}"


class AttendanceSession(models.Model):
    """One meeting of a section (a date and, when known, the period) and its length in hours."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE)
    section = models.ForeignKey(CourseSection, on_delete=models.CASCADE, related_name="attendance_sessions")
    date = models.DateField("วันที่")
    period = models.PositiveSmallIntegerField("คาบที่", null=True, blank=True)
    hours = models.DecimalField("ชั่วโมง", max_digits=3, decimal_places=1, default=Decimal("1"))

    class Meta:
        ordering = ["section_id", "date", "period"]
        verbose_name = "คาบที่บันทึกเวลาเรียน"
        verbose_name_plural = "คาบที่บันทึกเวลาเรียน"
        constraints = [
            models.UniqueConstraint(
                fields=["section", "date", "period"], name="attendance_session_unique", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="attendance_session_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.section} {self.date} คาบ {self.period or '-'}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AttendanceMark(models.Model):
    class Status(models.TextChoices):
        PRESENT = "/", "มา"
        LATE = "ส", "สาย"
        LEAVE = "ล", "ลา"
        SICK = "ป", "ป่วย"
        ABSENT = "ข", "ขาด"

    # Late still counts as attended time; leave, sick and absent do not (DOMAIN.md §1: time attended).
    ATTENDED = (Status.PRESENT, Status.LATE)

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    session = models.ForeignKey(
        AttendanceSession, verbose_name="คาบที่เช็กชื่อ", on_delete=models.CASCADE, related_name="marks"
    )
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="course_attendance"
    )
    status = models.CharField("สถานะ", max_length=1, choices=Status.choices, default=Status.PRESENT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "การมาเรียนรายคาบ"
        verbose_name_plural = "การมาเรียนรายคาบ"
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="attendance_mark_unique")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.status}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AttendanceHours(models.Model):
    """Hours-mode attendance: how many of the course's hours a student missed."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    section = models.ForeignKey(
        CourseSection, verbose_name="กลุ่มการเรียน", on_delete=models.PROTECT, related_name="attendance_hours"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="+")
    absent_hours = models.DecimalField("ชั่วโมงที่ขาด", max_digits=5, decimal_places=1, default=Decimal("0"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "ชั่วโมงที่ขาดเรียน"
        verbose_name_plural = "ชั่วโมงที่ขาดเรียน"
        constraints = [
            models.UniqueConstraint(fields=["section", "student"], name="attendance_hours_unique"),
            models.CheckConstraint(condition=Q(absent_hours__gte=0), name="attendance_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.absent_hours}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Result(models.Model):
    """A student's result in a section (0–4, ร, มส, ผ, มผ), computed from the scores and
    attendance and frozen when the section is approved."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    section = models.ForeignKey(
        CourseSection, verbose_name="กลุ่มการเรียน", on_delete=models.PROTECT, related_name="results"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="results")
    in_term = models.DecimalField("คะแนนระหว่างภาค", max_digits=5, decimal_places=2, null=True, blank=True)
    final = models.DecimalField("คะแนนปลายภาค", max_digits=5, decimal_places=2, null=True, blank=True)
    total = models.DecimalField("คะแนนรวม", max_digits=5, decimal_places=2, null=True, blank=True)
    attendance_percent = models.DecimalField("ร้อยละเวลาเรียน", max_digits=5, decimal_places=2, null=True, blank=True)
    result = models.CharField("ผลการเรียน", max_length=3, blank=True)
    original_result = models.CharField("ผลการเรียนเดิม (ก่อนแก้ไข)", max_length=3, blank=True)
    attempt = models.PositiveSmallIntegerField("ครั้งที่แก้ไข", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ผลการเรียน"
        verbose_name_plural = "ผลการเรียน"
        constraints = [
            models.UniqueConstraint(fields=["section", "student"], name="result_one_per_section_student"),
            models.CheckConstraint(
                condition=Q(result__in=["", "4", "3.5", "3", "2.5", "2", "1.5", "1", "0", "ร", "มส", "ผ", "มผ"]),
                name="result_is_a_thai_result",
            ),
        ]
        indexes = [models.Index(fields=["school", "student"], name="result_school_student")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.section_id}: {self.result}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ResultChange(models.Model):
    """A change to an approved result: a remedial exam, the special exam after มส, resolving
    ร, or a correction — each with its reason, attempt, capped grade and approver."""

    class Kind(models.TextChoices):
        REMEDIAL = "remedial", "สอบแก้ตัว (0)"
        SPECIAL_EXAM = "special_exam", "สอบพิเศษแก้ มส"
        RESOLVE_INCOMPLETE = "resolve_incomplete", "แก้ ร"
        RESTUDY = "restudy", "เรียนซ้ำ"
        CORRECTION = "correction", "แก้ไขความผิดพลาด"

    class Status(models.TextChoices):
        PENDING = "pending", "รออนุมัติ"
        APPROVED = "approved", "อนุมัติแล้ว"
        REJECTED = "rejected", "ไม่อนุมัติ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    result = models.ForeignKey(Result, verbose_name="ผลการเรียนที่แก้", on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField("ประเภท", max_length=20, choices=Kind.choices)
    attempt = models.PositiveSmallIntegerField("ครั้งที่", default=1)
    new_total = models.DecimalField("คะแนนใหม่", max_digits=5, decimal_places=2, null=True, blank=True)
    old_result = models.CharField("ผลเดิม", max_length=3)
    new_result = models.CharField("ผลใหม่ (หลังใช้เกณฑ์สูงสุด)", max_length=3)
    reason = models.CharField("เหตุผล", max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ขอ", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("ขอเมื่อ", auto_now_add=True)
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ผู้อนุมัติ",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("อนุมัติเมื่อ", null=True, blank=True)
    decision_note = models.CharField("หมายเหตุการอนุมัติ", max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "การแก้ไขผลการเรียน"
        verbose_name_plural = "การแก้ไขผลการเรียน"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.old_result} → {self.new_result}"


class LearningAreaHead(models.Model):
    """หัวหน้ากลุ่มสาระ: reviews and forwards the results of their learning area's sections."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="learning_area_heads")
    learning_area = models.ForeignKey(LearningArea, on_delete=models.PROTECT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="headed_areas")

    class Meta:
        verbose_name = "หัวหน้ากลุ่มสาระ"
        verbose_name_plural = "หัวหน้ากลุ่มสาระ"
        constraints = [
            models.UniqueConstraint(fields=["school", "learning_area", "user"], name="learning_area_head_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.learning_area}"


class ResultReview(models.Model):
    """One step of a section's results through the approval chain, with its comment."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    section = models.ForeignKey(CourseSection, on_delete=models.CASCADE, related_name="reviews")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField("ความเห็น", max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        verbose_name = "การพิจารณาผลการเรียน"
        verbose_name_plural = "การพิจารณาผลการเรียน"

    def __str__(self) -> str:
        return f"{self.section_id}: {self.from_label} → {self.to_label}"

    @property
    def from_label(self) -> str:
        return ResultStatus(self.from_status).label if self.from_status in ResultStatus.values else self.from_status

    @property
    def to_label(self) -> str:
        return ResultStatus(self.to_status).label if self.to_status in ResultStatus.values else self.to_status


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Evaluation(models.Model):
    """Reading-thinking-writing (item 0) and the 8 desired characteristics (items 1–8) of a
    student in a term: ดีเยี่ยม 3 / ดี 2 / ผ่าน 1 / ไม่ผ่าน 0."""

    class Kind(models.TextChoices):
        RTW = "rtw", "การอ่าน คิดวิเคราะห์ และเขียน"
        CHARACTERISTIC = "characteristic", "คุณลักษณะอันพึงประสงค์"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="evaluations")
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.CASCADE, related_name="evaluations")
    kind = models.CharField("ด้านที่ประเมิน", max_length=15, choices=Kind.choices)
    item = models.PositiveSmallIntegerField("ข้อที่", default=0)
    level = models.PositiveSmallIntegerField("ระดับ", validators=[MaxValueValidator(3)])
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ผลการประเมิน"
        verbose_name_plural = "ผลการประเมิน"
        constraints = [
            models.UniqueConstraint(fields=["student", "term", "kind", "item"], name="evaluation_unique"),
            models.CheckConstraint(condition=Q(level__lte=3), name="evaluation_level_0_3"),
            models.CheckConstraint(condition=Q(item__lte=8), name="evaluation_item_0_8"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.kind}{self.item}: {self.level}"


# --- Early childhood (อ.1–อ.3): development by the standards of หลักสูตรการศึกษาปฐมวัย 2560 ----------


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HomeroomComment(models.Model):
    """The homeroom teacher's comment on a student's term, printed on the ปพ.6 for parents."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="homeroom_comments"
    )
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.PROTECT, related_name="+")
    text = models.CharField("ความเห็นของครูประจำชั้น", max_length=600)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("บันทึกล่าสุด", auto_now=True)

    class Meta:
        verbose_name = "ความเห็นของครูประจำชั้น"
        verbose_name_plural = "ความเห็นของครูประจำชั้น"
        constraints = [models.UniqueConstraint(fields=["student", "term"], name="homeroom_comment_one_per_term")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.term_id}"


class EarlyChildhoodDomain(models.TextChoices):
    PHYSICAL = "physical", "ด้านร่างกาย"
    EMOTIONAL = "emotional", "ด้านอารมณ์ จิตใจ"
    SOCIAL = "social", "ด้านสังคม"
    INTELLECTUAL = "intellectual", "ด้านสติปัญญา"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EarlyChildhoodStandard(models.Model):
    """A school's copy of a standard (มาตรฐานที่ 1–12) of the early-childhood curriculum [P]:
    loaded from the national 2560 texts (academics.early_childhood), editable per school."""

    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="early_childhood_standards"
    )
    number = models.PositiveSmallIntegerField("มาตรฐานที่")
    domain = models.CharField("พัฒนาการ", max_length=15, choices=EarlyChildhoodDomain.choices)
    name = models.CharField("มาตรฐาน", max_length=300)

    class Meta:
        ordering = ["school_id", "number"]
        verbose_name = "มาตรฐานคุณลักษณะที่พึงประสงค์ (ปฐมวัย)"
        verbose_name_plural = "มาตรฐานคุณลักษณะที่พึงประสงค์ (ปฐมวัย)"
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="ec_standard_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="ec_standard_number_positive"),
        ]

    def __str__(self) -> str:
        return f"มาตรฐานที่ {self.number} {self.name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EarlyChildhoodIndicator(models.Model):
    """An indicator (ตัวบ่งชี้, e.g. 1.1) of a standard: what the teacher gives a level to."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    standard = models.ForeignKey(
        EarlyChildhoodStandard, verbose_name="มาตรฐาน", on_delete=models.CASCADE, related_name="indicators"
    )
    number = models.CharField("ตัวบ่งชี้ที่", max_length=6)
    order = models.PositiveSmallIntegerField("ลำดับ", default=0)
    name = models.CharField("ตัวบ่งชี้", max_length=300)

    class Meta:
        ordering = ["school_id", "standard__number", "order"]
        verbose_name = "ตัวบ่งชี้ (ปฐมวัย)"
        verbose_name_plural = "ตัวบ่งชี้ (ปฐมวัย)"
        constraints = [models.UniqueConstraint(fields=["school", "number"], name="ec_indicator_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EarlyChildhoodLevel(models.Model):
    """A level of the school's scale (3 ดี / 2 พอใช้ / 1 ควรส่งเสริม by default [P]); the
    school may rename them. A higher value is better development."""

    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="early_childhood_levels"
    )
    value = models.PositiveSmallIntegerField("ระดับ")
    label = models.CharField("คำอธิบายระดับ", max_length=50)

    class Meta:
        ordering = ["school_id", "-value"]
        verbose_name = "ระดับผลการประเมินพัฒนาการ"
        verbose_name_plural = "ระดับผลการประเมินพัฒนาการ"
        constraints = [
            models.UniqueConstraint(fields=["school", "value"], name="ec_level_value_unique"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=9), name="ec_level_value_1_9"),
        ]

    def __str__(self) -> str:
        return f"{self.value} {self.label}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EarlyChildhoodAssessment(models.Model):
    """One cell of the development grid: a child's level on an indicator in a term."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="development_assessments"
    )
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(
        EarlyChildhoodIndicator, verbose_name="ตัวบ่งชี้", on_delete=models.PROTECT, related_name="assessments"
    )
    level = models.PositiveSmallIntegerField("ระดับ")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ผลการประเมินพัฒนาการ"
        verbose_name_plural = "ผลการประเมินพัฒนาการ"
        constraints = [
            models.UniqueConstraint(fields=["student", "term", "indicator"], name="ec_assessment_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=9), name="ec_assessment_level_1_9"),
        ]
        indexes = [models.Index(fields=["school", "term"], name="ec_assessment_school_term")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.indicator_id} ภาค {self.term_id}: {self.level}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EarlyChildhoodAbsence(models.Model):
    """Days a kindergarten child missed in a term (kindergarten has no course sections, so no
    course attendance): the share of the term's school days attended goes into promotion."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE)
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, verbose_name="ภาคเรียน", on_delete=models.CASCADE, related_name="+")
    days_absent = models.PositiveSmallIntegerField("จำนวนวันที่ขาดเรียน", default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "วันขาดเรียน (ปฐมวัย)"
        verbose_name_plural = "วันขาดเรียน (ปฐมวัย)"
        constraints = [models.UniqueConstraint(fields=["student", "term"], name="ec_absence_unique")]

    def __str__(self) -> str:
        return f"{self.student_id} ภาค {self.term_id}: ขาด {self.days_absent} วัน"


class GPARecord(models.Model):
    """Computed GPA for a student: per term, per academic year, and cumulative (GPAX).
    A cache of the results, recomputed when they change; never typed by hand."""

    class Scope(models.TextChoices):
        TERM = "term", "ภาคเรียน"
        YEAR = "year", "ปีการศึกษา"
        CUMULATIVE = "cumulative", "สะสม (GPAX)"

    # No index of their own: gpa_school_scope starts with the school and gpa_record_unique with
    # the student, and each index less is less to write when a term's records are recomputed.
    school = models.ForeignKey(School, on_delete=models.CASCADE, db_index=False)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="gpa_records", db_index=False)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.CASCADE)
    academic_year = models.ForeignKey(AcademicYear, null=True, blank=True, on_delete=models.CASCADE)
    gpa = models.DecimalField(max_digits=3, decimal_places=2, null=True)
    attempted = models.DecimalField(max_digits=6, decimal_places=1, default=Decimal("0"))
    earned = models.DecimalField(max_digits=6, decimal_places=1, default=Decimal("0"))
    earned_basic = models.DecimalField(max_digits=6, decimal_places=1, default=Decimal("0"))
    earned_additional = models.DecimalField(max_digits=6, decimal_places=1, default=Decimal("0"))
    unresolved = models.PositiveSmallIntegerField(default=0)
    failed = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ผลการเรียนเฉลี่ย"
        verbose_name_plural = "ผลการเรียนเฉลี่ย"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "scope", "term", "academic_year"], name="gpa_record_unique", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(gpa__isnull=True) | Q(gpa__gte=0, gpa__lte=4), name="gpa_within_0_4"),
        ]
        indexes = [models.Index(fields=["school", "scope", "gpa"], name="gpa_school_scope")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.scope}: {self.gpa}"
