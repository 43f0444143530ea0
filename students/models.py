"""Students, their guardians, their enrolment in a school year and classroom."""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinfo.jobs import LeasedJob
from qinfo.validators import SingleLineText
from schools.models import AcademicYear, School


class GradeLevel(models.Model):
    """อ.1–3, ป.1–6, ม.1–6: national reference data, loaded by a migration."""

    class Stage(models.TextChoices):
        KINDERGARTEN = "kindergarten", "อนุบาล"
        PRIMARY = "primary", "ประถมศึกษา"
        LOWER_SECONDARY = "lower_secondary", "มัธยมศึกษาตอนต้น"
        UPPER_SECONDARY = "upper_secondary", "มัธยมศึกษาตอนปลาย"

    code = models.CharField(max_length=4, unique=True)
    short_name = models.CharField("ชั้น", max_length=10, unique=True)
    name = models.CharField("ชื่อชั้น", max_length=50)
    stage = models.CharField("ระดับ", max_length=20, choices=Stage.choices)
    order = models.PositiveSmallIntegerField(unique=True)
    year_in_stage = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        verbose_name = "ระดับชั้น"
        verbose_name_plural = "ระดับชั้น"

    def __str__(self) -> str:
        return self.short_name

    @property
    def is_secondary(self) -> bool:
        return self.stage in (self.Stage.LOWER_SECONDARY, self.Stage.UPPER_SECONDARY)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Classroom(models.Model):
    """A homeroom class of one school year, e.g. ม.1/1.

    It lives with the students rather than with the curriculum because daily attendance,
    home visits and the homeroom teacher's care all hang off it.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="classrooms")
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.CASCADE, related_name="classrooms"
    )
    grade_level = models.ForeignKey(GradeLevel, verbose_name="ระดับชั้น", on_delete=models.PROTECT)
    room = models.PositiveSmallIntegerField("ห้อง")
    capacity = models.PositiveSmallIntegerField("จำนวนที่รับได้", default=40)
    homeroom_teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="ครูประจำชั้น", blank=True, related_name="homeroom_classes"
    )

    class Meta:
        ordering = ["grade_level__order", "room"]
        verbose_name = "ห้องเรียน"
        verbose_name_plural = "ห้องเรียน"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year", "grade_level", "room"], name="classroom_unique_per_year"
            ),
            models.CheckConstraint(condition=Q(room__gte=1), name="classroom_room_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.grade_level.short_name}/{self.room}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Student(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", "ชาย"
        FEMALE = "F", "หญิง"

    class Status(models.TextChoices):
        STUDYING = "studying", "กำลังศึกษา"
        ON_LEAVE = "on_leave", "พักการเรียน"
        TRANSFERRED_OUT = "transferred_out", "ย้ายออก"
        DROPPED_OUT = "dropped_out", "ออกกลางคัน"
        GRADUATED = "graduated", "จบการศึกษา"
        DECEASED = "deceased", "เสียชีวิต"

    class Religion(models.TextChoices):
        BUDDHISM = "พุทธ", "พุทธ"
        ISLAM = "อิสลาม", "อิสลาม"
        CHRISTIANITY = "คริสต์", "คริสต์"
        HINDUISM = "ฮินดู", "ฮินดู"
        SIKHISM = "ซิกข์", "ซิกข์"
        NONE = "ไม่นับถือศาสนา", "ไม่นับถือศาสนา"
        OTHER = "อื่น ๆ", "อื่น ๆ"

    class BloodGroup(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        AB = "AB", "AB"
        O = "O", "O"  # noqa: E741 — the blood group's own name

    class Disadvantage(models.TextChoices):
        """Disadvantage types of the DMC census (พฐ.4), DOMAIN.md §5."""

        FORCED_LABOUR = "forced_labour", "ถูกบังคับให้ขายแรงงาน"
        SEX_TRADE = "sex_trade", "อยู่ในธุรกิจทางเพศ"
        ABANDONED = "abandoned", "ถูกทอดทิ้ง/กำพร้า"
        DETENTION = "detention", "อยู่ในสถานพินิจและคุ้มครองเด็กและเยาวชน"
        HOMELESS = "homeless", "เด็กเร่ร่อน"
        AIDS = "aids", "ได้รับผลกระทบจากเอดส์"
        MINORITY = "minority", "ชนกลุ่มน้อย"
        ABUSED = "abused", "ถูกทำร้ายทารุณ"
        POOR = "poor", "ยากจน"
        DRUGS = "drugs", "มีปัญหาเกี่ยวกับยาเสพติด"
        DISABLED = "disabled", "พิการ"
        CONSTRUCTION = "construction", "ลูกกรรมกรก่อสร้าง"

    PREFIXES = ("ด.ช.", "ด.ญ.", "นาย", "นางสาว", "นาง")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="students")
    student_number = models.CharField(
        "เลขประจำตัวนักเรียน", max_length=20, validators=[SingleLineText("เลขประจำตัวนักเรียน")]
    )
    national_id = models.CharField("เลขประจำตัวประชาชน", max_length=13, null=True, blank=True)
    g_code = models.CharField("รหัส G", max_length=13, null=True, blank=True)
    prefix = models.CharField("คำนำหน้าชื่อ", max_length=20, validators=[SingleLineText("คำนำหน้าชื่อ")])
    first_name = models.CharField("ชื่อ", max_length=100, validators=[SingleLineText("ชื่อ")])
    last_name = models.CharField("นามสกุล", max_length=100, validators=[SingleLineText("นามสกุล")])
    first_name_en = models.CharField(
        "ชื่อ (อังกฤษ)", max_length=100, blank=True, validators=[SingleLineText("ชื่อ (อังกฤษ)")]
    )
    last_name_en = models.CharField(
        "นามสกุล (อังกฤษ)", max_length=100, blank=True, validators=[SingleLineText("นามสกุล (อังกฤษ)")]
    )
    sex = models.CharField("เพศ", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("วันเกิด", null=True, blank=True)
    status = models.CharField("สถานภาพ", max_length=20, choices=Status.choices, default=Status.STUDYING)
    religion = models.CharField("ศาสนา", max_length=20, choices=Religion.choices, blank=True)
    nationality = models.CharField(
        "สัญชาติ", max_length=50, blank=True, default="ไทย", validators=[SingleLineText("สัญชาติ")]
    )
    ethnicity = models.CharField(
        "เชื้อชาติ", max_length=50, blank=True, default="ไทย", validators=[SingleLineText("เชื้อชาติ")]
    )
    blood_group = models.CharField("กลุ่มเลือด", max_length=2, choices=BloodGroup.choices, blank=True)
    house_no = models.CharField("บ้านเลขที่", max_length=30, blank=True, validators=[SingleLineText("บ้านเลขที่")])
    moo = models.CharField("หมู่", max_length=10, blank=True, validators=[SingleLineText("หมู่")])
    street = models.CharField("ถนน/ซอย", max_length=100, blank=True, validators=[SingleLineText("ถนน/ซอย")])
    subdistrict = models.CharField("ตำบล/แขวง", max_length=100, blank=True, validators=[SingleLineText("ตำบล/แขวง")])
    district = models.CharField("อำเภอ/เขต", max_length=100, blank=True, validators=[SingleLineText("อำเภอ/เขต")])
    province = models.CharField("จังหวัด", max_length=100, blank=True, validators=[SingleLineText("จังหวัด")])
    postcode = models.CharField("รหัสไปรษณีย์", max_length=5, blank=True, validators=[SingleLineText("รหัสไปรษณีย์")])
    phone = models.CharField("โทรศัพท์", max_length=30, blank=True, validators=[SingleLineText("โทรศัพท์")])
    disadvantages = ArrayField(
        models.CharField(max_length=20, choices=Disadvantage.choices),
        verbose_name="ความด้อยโอกาส",
        default=list,
        blank=True,
    )
    photo = models.ImageField("รูปถ่าย", upload_to="students/photos/", blank=True)
    entry_date = models.DateField("วันเข้าเรียน", null=True, blank=True)
    previous_school = models.CharField(
        "โรงเรียนเดิม", max_length=200, blank=True, validators=[SingleLineText("โรงเรียนเดิม")]
    )
    previous_school_province = models.CharField(
        "จังหวัดของโรงเรียนเดิม", max_length=100, blank=True, validators=[SingleLineText("จังหวัดของโรงเรียนเดิม")]
    )
    previous_grade = models.CharField(
        "ชั้นเรียนสุดท้ายที่โรงเรียนเดิม", max_length=10, blank=True, validators=[SingleLineText("ชั้นเรียนสุดท้ายที่โรงเรียนเดิม")]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_id", "student_number"]
        verbose_name = "นักเรียน"
        verbose_name_plural = "นักเรียน"
        constraints = [
            models.UniqueConstraint(fields=["school", "student_number"], name="student_number_unique_per_school"),
            models.UniqueConstraint(
                fields=["national_id"], condition=Q(national_id__isnull=False), name="student_national_id_unique"
            ),
            models.UniqueConstraint(fields=["g_code"], condition=Q(g_code__isnull=False), name="student_g_code_unique"),
            models.CheckConstraint(
                condition=Q(national_id__isnull=True) | Q(national_id__regex=r"^\d{13}$"),
                name="student_national_id_13_digits",
            ),
            models.CheckConstraint(
                condition=Q(g_code__isnull=True) | Q(g_code__regex=r"^G\d{12}$"), name="student_g_code_format"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "last_name", "first_name"], name="student_school_name"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.prefix}{self.first_name} {self.last_name}"

    @property
    def identifier(self) -> str:
        return self.national_id or self.g_code or ""


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Enrolment(models.Model):
    """A student's place in a school for one academic year: grade level, classroom, number."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="enrolments")
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="enrolments")
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="enrolments"
    )
    grade_level = models.ForeignKey(GradeLevel, verbose_name="ระดับชั้น", on_delete=models.PROTECT)
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้องเรียน", null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    number = models.PositiveSmallIntegerField("เลขที่", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grade_level__order", "classroom__room", "number"]
        verbose_name = "การลงทะเบียนเรียนรายปี"
        verbose_name_plural = "การลงทะเบียนเรียนรายปี"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "academic_year"], name="enrolment_one_per_student_year"
            ),
            models.UniqueConstraint(
                fields=["school", "classroom", "number"],
                condition=Q(classroom__isnull=False, number__isnull=False),
                name="enrolment_number_unique_in_classroom",
            ),
        ]
        indexes = [models.Index(fields=["school", "academic_year", "grade_level"], name="enrolment_school_year")]

    def __str__(self) -> str:
        return f"{self.student} {self.grade_level} ({self.academic_year.year})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Guardian(models.Model):
    """A parent or guardian of one student. Once activated with the one-time code the school
    gives them, it links a parent's user account to this student (and only this student)."""

    class Relationship(models.TextChoices):
        FATHER = "father", "บิดา"
        MOTHER = "mother", "มารดา"
        GRANDPARENT = "grandparent", "ปู่/ย่า/ตา/ยาย"
        RELATIVE = "relative", "ญาติ"
        OTHER = "other", "อื่น ๆ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="guardians")
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.CASCADE, related_name="guardians")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="บัญชีผู้ใช้",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guardianships",
    )
    prefix = models.CharField("คำนำหน้าชื่อ", max_length=20, blank=True, validators=[SingleLineText("คำนำหน้าชื่อ")])
    first_name = models.CharField("ชื่อ", max_length=100, validators=[SingleLineText("ชื่อ")])
    last_name = models.CharField("นามสกุล", max_length=100, validators=[SingleLineText("นามสกุล")])
    relationship = models.CharField("ความเกี่ยวข้อง", max_length=20, choices=Relationship.choices)
    phone = models.CharField("โทรศัพท์", max_length=30, blank=True, validators=[SingleLineText("โทรศัพท์")])
    email = models.EmailField("อีเมล", blank=True)
    occupation = models.CharField("อาชีพ", max_length=100, blank=True, validators=[SingleLineText("อาชีพ")])
    is_primary = models.BooleanField("ผู้ปกครองหลัก", default=False)
    # Only a hash of the one-time code is stored; the code itself is printed once.
    activation_code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    activation_code_expires_at = models.DateTimeField("รหัสเปิดใช้งานหมดอายุ", null=True, blank=True)
    activated_at = models.DateTimeField("เปิดใช้งานบัญชีเมื่อ", null=True, blank=True)

    class Meta:
        verbose_name = "ผู้ปกครอง"
        verbose_name_plural = "ผู้ปกครอง"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "user"], condition=Q(user__isnull=False), name="guardian_user_once_per_student"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.first_name} {self.last_name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class StatusChange(models.Model):
    """A dated event that changes where a student stands: the student's current status is
    derived from these (the latest one wins)."""

    class Kind(models.TextChoices):
        TRANSFER_IN = "transfer_in", "รับย้ายเข้า"
        TRANSFER_OUT = "transfer_out", "ย้ายออก"
        LEAVE = "leave", "พักการเรียน"
        RETURN = "return", "กลับเข้าเรียน"
        DROPOUT = "dropout", "ออกกลางคัน"
        DEATH = "death", "เสียชีวิต"
        GRADUATION = "graduation", "จบการศึกษา"

    class DropoutReason(models.TextChoices):
        POVERTY = "poverty", "ฐานะยากจน"
        FAMILY = "family", "ปัญหาครอบครัว"
        MARRIAGE = "marriage", "สมรสแล้ว"
        HEALTH = "health", "มีปัญหาด้านสุขภาพ/เจ็บป่วย"
        ADJUSTMENT = "adjustment", "ปรับตัวไม่ได้"
        WORK = "work", "ต้องทำงานหาเลี้ยงครอบครัว"
        MIGRATION = "migration", "อพยพตามผู้ปกครอง/ไม่ทราบที่อยู่"
        LEGAL = "legal", "มีคดี/ถูกจับ"
        PREGNANCY = "pregnancy", "ตั้งครรภ์"
        OTHER = "other", "อื่น ๆ"

    # What each kind does to the student's status.
    RESULTING_STATUS = {
        Kind.TRANSFER_IN: Student.Status.STUDYING,
        Kind.TRANSFER_OUT: Student.Status.TRANSFERRED_OUT,
        Kind.LEAVE: Student.Status.ON_LEAVE,
        Kind.RETURN: Student.Status.STUDYING,
        Kind.DROPOUT: Student.Status.DROPPED_OUT,
        Kind.DEATH: Student.Status.DECEASED,
        Kind.GRADUATION: Student.Status.GRADUATED,
    }

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="status_changes")
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="status_changes")
    kind = models.CharField("ประเภท", max_length=15, choices=Kind.choices)
    date = models.DateField("วันที่")
    reason_code = models.CharField("สาเหตุ", max_length=15, choices=DropoutReason.choices, blank=True)
    reason = models.CharField("รายละเอียด/เหตุผล", max_length=300, blank=True)
    other_school = models.CharField("โรงเรียนต้นทาง/ปลายทาง", max_length=200, blank=True)
    other_school_province = models.CharField("จังหวัด", max_length=100, blank=True)
    last_grade = models.CharField("ชั้นเรียนสุดท้าย", max_length=10, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึก", null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = "การเปลี่ยนสถานภาพ"
        verbose_name_plural = "การเปลี่ยนสถานภาพ"
        indexes = [models.Index(fields=["school", "kind", "date"], name="status_change_school_kind")]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="dropout") | ~Q(reason_code=""), name="dropout_has_reason_code"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class ImportMapping(models.Model):
    """A school's remembered column mapping for one file layout (source header -> field)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_mappings")
    layout = models.CharField(max_length=20)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "layout"], name="import_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.school_id}: {self.layout}"


# The job's history keeps what a registrar asks about (who imported which file, when, with what
# outcome); the row errors, summary and the worker's lease heartbeats stay out of it.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(
        condition=pghistory.AnyChange("status", "file", "total_rows", "valid_rows", "processed_rows", "finished_at")
    ),
    pghistory.DeleteEvent(),
    exclude=["errors", "summary", "mapping", "lease_owner", "heartbeat_at"],
)
class ImportJob(LeasedJob):
    """An uploaded student file on its way through preview to commit (a leased job: see
    qinfo.jobs)."""

    class Status(models.TextChoices):
        # A big file waits for the worker to read and check it (uploaded), is being read and
        # checked (parsing), then shows its mapping and preview like a small one.
        UPLOADED = "uploaded", "รอตรวจสอบไฟล์"
        PARSING = "parsing", "กำลังตรวจสอบไฟล์"
        PREVIEW = "preview", "ตรวจสอบแล้ว รอยืนยัน"
        QUEUED = "queued", "รอนำเข้า"
        RUNNING = "running", "กำลังนำเข้า"
        DONE = "done", "นำเข้าเรียบร้อย"
        FAILED = "failed", "นำเข้าไม่สำเร็จ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    layout = models.CharField(max_length=20)
    encoding = models.CharField(max_length=20, blank=True)
    mapping = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "งานนำเข้าข้อมูลนักเรียน"
        verbose_name_plural = "งานนำเข้าข้อมูลนักเรียน"

    def __str__(self) -> str:
        return self.original_name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TransferRequest(models.Model):
    """A school's request to receive a child from another school of the install (ขอรับย้ายเข้า).

    The record moves only when the sending school releases the child, or at once when the
    sending school had already recorded the transfer out. `school` is the receiving school."""

    class Status(models.TextChoices):
        PENDING = "pending", "รอโรงเรียนเดิมอนุมัติ"
        COMPLETED = "completed", "ย้ายแล้ว"
        REFUSED = "refused", "โรงเรียนเดิมไม่อนุมัติ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(
        School, verbose_name="โรงเรียนที่ขอรับย้าย", on_delete=models.CASCADE, related_name="transfer_requests_in"
    )
    from_school = models.ForeignKey(
        School, verbose_name="โรงเรียนเดิม", on_delete=models.CASCADE, related_name="transfer_requests_out"
    )
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.CASCADE, related_name="transfer_requests"
    )
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.PENDING)
    student_number = models.CharField("เลขประจำตัวนักเรียน (โรงเรียนที่รับ)", max_length=20)
    date = models.DateField("วันที่รับย้ายเข้า", null=True, blank=True)
    academic_year = models.ForeignKey(AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT)
    grade_level = models.ForeignKey(GradeLevel, verbose_name="ชั้นที่รับเข้า", on_delete=models.PROTECT)
    classroom = models.ForeignKey(Classroom, verbose_name="ห้อง", null=True, blank=True, on_delete=models.SET_NULL)
    number = models.PositiveSmallIntegerField("เลขที่", null=True, blank=True)
    last_grade = models.CharField("ชั้นเรียนสุดท้ายที่โรงเรียนเดิม", max_length=10, blank=True)
    reason = models.CharField("เหตุผล", max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="ผู้ขอ"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField("เหตุผลที่ไม่อนุมัติ", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "คำขอรับย้ายนักเรียน"
        verbose_name_plural = "คำขอรับย้ายนักเรียน"
        constraints = [
            # A child has at most one open request at a time.
            models.UniqueConstraint(
                fields=["student"], condition=Q(status="pending"), name="transfer_request_one_pending_per_student"
            ),
            models.CheckConstraint(
                condition=~Q(school=models.F("from_school")), name="transfer_request_between_two_schools"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} → {self.school} ({self.get_status_display()})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class DailyAttendance(models.Model):
    """One student's homeroom attendance (การมาเรียนรายวัน) on one school day.

    A row exists for every student of a classroom once its roll is taken for the day ("มาครบ"
    writes a present row for each), so "not yet taken" and "present" are never confused. The
    history triggers record every change with who and why (late edits need a reason).
    """

    class Status(models.TextChoices):
        PRESENT = "/", "มา"
        LATE = "ส", "สาย"
        LEAVE = "ล", "ลา"
        SICK = "ป", "ป่วย"
        ABSENT = "ข", "ขาด"

    # Late is at school; leave, sickness and absence are days missed (chronic absence counts them
    # all, excused or not: Balfanz et al. 2007, DOMAIN.md §7).
    MISSED = (Status.LEAVE, Status.SICK, Status.ABSENT)

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้องเรียน", on_delete=models.PROTECT, related_name="daily_attendance"
    )
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="daily_attendance"
    )
    date = models.DateField("วันที่")
    status = models.CharField("สถานะ", max_length=1, choices=Status.choices, default=Status.PRESENT)
    note = models.CharField("หมายเหตุ", max_length=200, blank=True, validators=[SingleLineText()])
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้บันทึกล่าสุด", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("บันทึกล่าสุด", auto_now=True)

    class Meta:
        verbose_name = "การมาเรียนรายวัน"
        verbose_name_plural = "การมาเรียนรายวัน"
        constraints = [
            models.UniqueConstraint(fields=["school", "student", "date"], name="daily_attendance_one_per_day"),
        ]
        indexes = [
            models.Index(fields=["school", "classroom", "date"], name="daily_attendance_class_day"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.date} {self.status}"


# --- Student care (ระบบดูแลช่วยเหลือนักเรียน): home visits, the poverty pre-screen, SDQ ------------
# Sensitive personal data (PDPA): who may read it is students.access.care_students_visible_to, and
# every read is written to SensitiveRead.


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HomeVisit(models.Model):
    """One home visit (การเยี่ยมบ้านนักเรียน) by a teacher, with the OBEC form's headings."""

    class MetWhom(models.TextChoices):
        PARENTS = "parents", "บิดาและมารดา"
        FATHER = "father", "บิดา"
        MOTHER = "mother", "มารดา"
        GRANDPARENT = "grandparent", "ปู่/ย่า/ตา/ยาย"
        RELATIVE = "relative", "ญาติ"
        OTHER = "other", "ผู้อื่น"
        NOBODY = "nobody", "ไม่พบผู้ปกครอง"

    class Housing(models.TextChoices):
        OWN = "own", "บ้านของตนเอง"
        RENT = "rent", "บ้านเช่า"
        RELATIVES = "relatives", "อาศัยอยู่กับญาติ/ผู้อื่น"
        EMPLOYER = "employer", "บ้านพักของนายจ้าง/สถานที่ทำงาน"
        DORMITORY = "dormitory", "หอพัก/วัด/มูลนิธิ"
        OTHER = "other", "อื่น ๆ"

    class Family(models.TextChoices):
        TOGETHER = "together", "บิดามารดาอยู่ด้วยกัน"
        SEPARATED = "separated", "บิดามารดาแยกกันอยู่"
        DIVORCED = "divorced", "บิดามารดาหย่าร้าง"
        FATHER_DIED = "father_died", "บิดาเสียชีวิต"
        MOTHER_DIED = "mother_died", "มารดาเสียชีวิต"
        BOTH_DIED = "both_died", "บิดาและมารดาเสียชีวิต"
        OTHER = "other", "อื่น ๆ"

    class Risk(models.TextChoices):
        """The risk headings of OBEC's home-visit and screening form (ระบบดูแลช่วยเหลือนักเรียน)."""

        LEARNING = "learning", "ด้านการเรียน"
        HEALTH = "health", "ด้านสุขภาพ (ร่างกาย/จิตใจ)"
        ECONOMY = "economy", "ด้านเศรษฐกิจ/ครอบครัว"
        SAFETY = "safety", "ด้านความปลอดภัย/การคุ้มครองนักเรียน"
        DRUGS = "drugs", "ด้านสารเสพติด"
        VIOLENCE = "violence", "ด้านความรุนแรง"
        SEXUAL = "sexual", "ด้านพฤติกรรมทางเพศ"
        GAMES = "games", "ด้านการติดเกม"
        DEVICES = "devices", "ด้านการใช้เครื่องมือสื่อสารอิเล็กทรอนิกส์"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="home_visits")
    academic_year = models.ForeignKey(AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField("วันที่เยี่ยมบ้าน")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้เยี่ยมบ้าน", on_delete=models.PROTECT, related_name="+"
    )
    met_whom = models.CharField("ผู้ที่พบ", max_length=20, choices=MetWhom.choices)
    housing = models.CharField("ลักษณะที่อยู่อาศัย", max_length=20, choices=Housing.choices)
    housing_notes = models.CharField("สภาพบ้านและสิ่งแวดล้อม", max_length=500, blank=True)
    family = models.CharField("สถานภาพครอบครัว", max_length=20, choices=Family.choices)
    family_notes = models.CharField("ความสัมพันธ์ในครอบครัว", max_length=500, blank=True)
    household_members = models.PositiveSmallIntegerField("จำนวนสมาชิกในครัวเรือน", null=True, blank=True)
    income_per_person = models.DecimalField(
        "รายได้เฉลี่ยต่อคนต่อเดือน (บาท)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    risks = ArrayField(
        models.CharField(max_length=20, choices=Risk.choices), verbose_name="พฤติกรรมเสี่ยงที่พบ", default=list, blank=True
    )
    risk_notes = models.CharField("รายละเอียดพฤติกรรมเสี่ยง", max_length=1000, blank=True)
    help_needed = models.CharField("ความช่วยเหลือที่ต้องการ", max_length=1000, blank=True)
    latitude = models.DecimalField("ละติจูด", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("ลองจิจูด", max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-visited_on", "-created_at"]
        verbose_name = "การเยี่ยมบ้านนักเรียน"
        verbose_name_plural = "การเยี่ยมบ้านนักเรียน"
        indexes = [models.Index(fields=["school", "academic_year", "student"], name="home_visit_school_year")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="home_visit_latitude"
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="home_visit_longitude",
            ),
            models.CheckConstraint(
                condition=Q(income_per_person__isnull=True) | Q(income_per_person__gte=0),
                name="home_visit_income_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"เยี่ยมบ้าน {self.student_id} {self.visited_on}"

    @property
    def risk_labels(self) -> list[str]:
        labels = dict(self.Risk.choices)
        return [labels.get(risk, risk) for risk in self.risks]


def _home_visit_photo_path(instance, filename: str) -> str:
    # A random name, never the phone's: nothing of the child or the place leaks through it.
    return f"care/visits/{uuid.uuid4().hex}.jpg"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class HomeVisitPhoto(models.Model):
    """A photo of a home visit, resized and stripped of EXIF; served only by an access-checked view."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(HomeVisit, verbose_name="การเยี่ยมบ้าน", on_delete=models.PROTECT, related_name="photos")
    file = models.FileField("รูปถ่าย", upload_to=_home_visit_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField("ขนาดไฟล์ (ไบต์)", default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "รูปถ่ายการเยี่ยมบ้าน"
        verbose_name_plural = "รูปถ่ายการเยี่ยมบ้าน"

    def __str__(self) -> str:
        return str(self.code)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PovertyScreening(models.Model):
    """A student's EEF pre-screen (นร./กสศ.01) for one academic year, with the result of
    students.poverty.screen and the rules it was computed with."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="poverty_screenings"
    )
    academic_year = models.ForeignKey(AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="+")
    members = models.JSONField("สมาชิกในครัวเรือน", default=list)
    household = models.JSONField("สภาพครัวเรือน", default=dict)
    member_count = models.PositiveSmallIntegerField("จำนวนสมาชิก", default=0)
    income_per_person = models.DecimalField("รายได้เฉลี่ยต่อคนต่อเดือน (บาท)", max_digits=12, decimal_places=2)
    eligible = models.BooleanField("ผ่านเกณฑ์คัดกรอง", default=False)
    hardship = ArrayField(models.CharField(max_length=20), verbose_name="สภาพครัวเรือนยากลำบาก", default=list, blank=True)
    unanswered = ArrayField(models.CharField(max_length=20), verbose_name="ข้อที่ยังไม่ได้ตอบ", default=list, blank=True)
    reason = models.CharField("ผลการคัดกรอง", max_length=500)
    rules = models.JSONField("เกณฑ์ที่ใช้", default=dict)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้คัดกรอง", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "การคัดกรองนักเรียนยากจน"
        verbose_name_plural = "การคัดกรองนักเรียนยากจน"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "academic_year"], name="poverty_screening_one_per_student_year"
            ),
            models.CheckConstraint(condition=Q(income_per_person__gte=0), name="poverty_income_not_negative"),
        ]

    def __str__(self) -> str:
        return f"คัดกรอง {self.student_id} ({'ผ่าน' if self.eligible else 'ไม่ผ่าน'})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SdqAssessment(models.Model):
    """One SDQ form (25 items) filled by a teacher, a parent or the student, scored by students.sdq."""

    class Informant(models.TextChoices):
        TEACHER = "teacher", "ครู"
        PARENT = "parent", "ผู้ปกครอง"
        STUDENT = "student", "นักเรียน"

    class Status(models.TextChoices):
        NORMAL = "normal", "ปกติ"
        RISK = "risk", "เสี่ยง"
        PROBLEM = "problem", "มีปัญหา"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="sdq_assessments"
    )
    academic_year = models.ForeignKey(AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="+")
    informant = models.CharField("ผู้ประเมิน", max_length=10, choices=Informant.choices)
    answers = ArrayField(models.PositiveSmallIntegerField(null=True), size=25, verbose_name="คำตอบ")
    scores = models.JSONField("คะแนนรายด้าน", default=dict)
    bands = models.JSONField("ผลรายด้าน", default=dict)
    total_difficulties = models.PositiveSmallIntegerField("คะแนนรวมด้านปัญหา")
    prosocial = models.PositiveSmallIntegerField("ด้านสัมพันธภาพทางสังคม")
    status = models.CharField("ผลการประเมิน", max_length=10, choices=Status.choices)
    filled_on = models.DateField("วันที่ประเมิน")
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้กรอก", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-filled_on", "-created_at"]
        verbose_name = "แบบประเมิน SDQ"
        verbose_name_plural = "แบบประเมิน SDQ"
        indexes = [models.Index(fields=["school", "academic_year", "student"], name="sdq_school_year_student")]
        constraints = [
            models.CheckConstraint(condition=Q(total_difficulties__lte=40), name="sdq_total_within_40"),
            models.CheckConstraint(condition=Q(prosocial__lte=10), name="sdq_prosocial_within_10"),
        ]

    def __str__(self) -> str:
        return f"SDQ {self.get_informant_display()} {self.student_id} {self.filled_on}"


class SensitiveRead(models.Model):
    """One read of sensitive data (PDPA access log): who read what of which student, where.

    Written by students.services.care.sensitive_read_log on every page and API that shows a
    home visit, a poverty screening, an SDQ result or a photo, and where a guardian reads their
    child's nutrition status or attendance (the school's staff read attendance every day as their
    work; a guardian's account is outside the school, so its reads of the child's personal data are
    logged like health reads). The log itself is append-only
    and not tracked by history triggers (it is the history)."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "การเยี่ยมบ้าน"
        PHOTO = "photo", "รูปถ่ายการเยี่ยมบ้าน"
        POVERTY = "poverty", "การคัดกรองนักเรียนยากจน"
        SDQ = "sdq", "แบบประเมิน SDQ"
        SUMMARY = "summary", "สรุปการดูแลนักเรียน"
        EXPORT = "export", "ส่งออกข้อมูลการดูแลนักเรียน"
        HEALTH = "health", "น้ำหนัก ส่วนสูง และภาวะโภชนาการ"
        ATTENDANCE = "attendance", "การมาเรียน (ผู้ปกครองเปิดดู)"

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้เข้าถึง", on_delete=models.PROTECT, related_name="+"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("ข้อมูล", max_length=12, choices=Kind.choices)
    record_code = models.UUIDField("รหัสรายการ", null=True, blank=True)
    via = models.CharField("ช่องทาง", max_length=200)
    read_at = models.DateTimeField("เวลา", default=timezone.now)

    class Meta:
        ordering = ["-read_at", "-pk"]
        verbose_name = "บันทึกการเข้าถึงข้อมูลอ่อนไหว"
        verbose_name_plural = "บันทึกการเข้าถึงข้อมูลอ่อนไหว"
        indexes = [
            models.Index(fields=["school", "-read_at"], name="sensitive_read_school_time"),
            models.Index(fields=["school", "student", "-read_at"], name="sensitive_read_student"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.student_id}"


class NutritionReference(models.Model):
    """A growth reference an admin loaded from a CSV file (students.nutrition.load_reference_csv),
    e.g. the Department of Health's 2564 reference (กรมอนามัย), which has no public data tables.

    The file's text is kept as uploaded so the reference can be rebuilt and audited; a school
    chooses it with School.policy["nutrition_reference"] = its code (DOMAIN.md §6)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("ชื่อเกณฑ์อ้างอิง", max_length=100, validators=[SingleLineText("ชื่อเกณฑ์อ้างอิง")])
    version = models.CharField("ฉบับ/ปี", max_length=20, validators=[SingleLineText("ฉบับ/ปี")])
    content = models.TextField("ข้อมูลตาราง (CSV)")
    original_name = models.CharField("ชื่อไฟล์", max_length=255, blank=True)
    min_age_months = models.PositiveSmallIntegerField("ใช้ตั้งแต่อายุ (เดือน)", null=True, blank=True)
    max_age_months = models.PositiveSmallIntegerField("ใช้ถึงอายุ (เดือน)", null=True, blank=True)
    is_active = models.BooleanField("เปิดให้โรงเรียนเลือกใช้", default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ผู้นำเข้า",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("นำเข้าเมื่อ", auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = "เกณฑ์อ้างอิงภาวะโภชนาการ"
        verbose_name_plural = "เกณฑ์อ้างอิงภาวะโภชนาการ"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="nutrition_reference_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class MeasurementRound(models.Model):
    """A weighing-and-measuring round of a school year (usually one per semester, DOMAIN.md §6)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    academic_year = models.ForeignKey(
        AcademicYear, verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="measurement_rounds"
    )
    name = models.CharField("ชื่อรอบ", max_length=100, validators=[SingleLineText("ชื่อรอบ")])
    start_date = models.DateField("วันเริ่มชั่ง/วัด")
    end_date = models.DateField("วันสิ้นสุด", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้สร้าง", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["academic_year__year", "start_date", "pk"]
        verbose_name = "รอบการชั่งน้ำหนักวัดส่วนสูง"
        verbose_name_plural = "รอบการชั่งน้ำหนักวัดส่วนสูง"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year", "name"], name="measurement_round_name_unique_per_year"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="measurement_round_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year.year})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Measurement(models.Model):
    """One child's weight and height in one round, with the nutrition status computed from it
    (students.nutrition.assess) and stored with the reference that produced each indicator.

    Health data (PDPA sensitive): read through students.access measurement helpers only."""

    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    round = models.ForeignKey(
        MeasurementRound, verbose_name="รอบ", on_delete=models.PROTECT, related_name="measurements"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="measurements")
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้องเรียน", on_delete=models.PROTECT, related_name="measurements"
    )
    measured_on = models.DateField("วันที่ชั่ง/วัด")
    weight_kg = models.DecimalField("น้ำหนัก (กก.)", max_digits=5, decimal_places=2)
    height_cm = models.DecimalField("ส่วนสูง (ซม.)", max_digits=5, decimal_places=1)
    measured_lying = models.BooleanField("วัดท่านอน", null=True, blank=True)
    version = models.PositiveIntegerField("เวอร์ชัน", default=1)
    age_months = models.PositiveSmallIntegerField("อายุ (เดือน)", null=True, blank=True)
    # Wide enough for a confirmed odd figure (a height typed in metres gives a BMI in the thousands).
    bmi = models.DecimalField("ดัชนีมวลกาย", max_digits=9, decimal_places=2, null=True, blank=True)
    wfh_code = models.CharField("น้ำหนักตามเกณฑ์ส่วนสูง (รหัส)", max_length=30, blank=True)
    wfh_label = models.CharField("น้ำหนักตามเกณฑ์ส่วนสูง", max_length=50, blank=True)
    wfh_z = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    wfh_reference = models.CharField(max_length=60, blank=True)
    hfa_code = models.CharField("ส่วนสูงตามเกณฑ์อายุ (รหัส)", max_length=30, blank=True)
    hfa_label = models.CharField("ส่วนสูงตามเกณฑ์อายุ", max_length=50, blank=True)
    hfa_z = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    hfa_reference = models.CharField(max_length=60, blank=True)
    wfa_code = models.CharField("น้ำหนักตามเกณฑ์อายุ (รหัส)", max_length=30, blank=True)
    wfa_label = models.CharField("น้ำหนักตามเกณฑ์อายุ", max_length=50, blank=True)
    wfa_z = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    wfa_reference = models.CharField(max_length=60, blank=True)
    bfa_code = models.CharField("ดัชนีมวลกายตามเกณฑ์อายุ (รหัส)", max_length=30, blank=True)
    bfa_label = models.CharField("ดัชนีมวลกายตามเกณฑ์อายุ", max_length=50, blank=True)
    bfa_z = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    bfa_reference = models.CharField(max_length=60, blank=True)
    reference = models.CharField("เกณฑ์อ้างอิงที่ใช้", max_length=200, blank=True)
    confirmed_questions = ArrayField(
        models.CharField(max_length=40), verbose_name="ค่าผิดปกติที่ครูยืนยันแล้ว", default=list, blank=True
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ผู้บันทึกล่าสุด",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("บันทึกล่าสุด", auto_now=True)

    class Meta:
        verbose_name = "ผลการชั่งน้ำหนักวัดส่วนสูง"
        verbose_name_plural = "ผลการชั่งน้ำหนักวัดส่วนสูง"
        constraints = [
            models.UniqueConstraint(fields=["school", "round", "student"], name="measurement_one_per_round"),
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="measurement_weight_positive"),
            models.CheckConstraint(condition=Q(height_cm__gt=0), name="measurement_height_positive"),
        ]
        indexes = [models.Index(fields=["school", "round", "classroom"], name="measurement_round_class")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.round_id}: {self.weight_kg} กก. {self.height_cm} ซม."

    # The status a report leads with: weight-for-height where the reference has it (WHO 2006
    # under five, the Department of Health's tables), BMI-for-age elsewhere (WHO 2007 has no
    # weight-for-height for school-age children).
    @property
    def headline_code(self) -> str:
        return self.wfh_code or self.bfa_code

    @property
    def headline_label(self) -> str:
        return self.wfh_label or self.bfa_label


class NutritionRecomputeJob(LeasedJob):
    """A system admin's recompute of the stored nutrition status of every measurement of one
    school (or of the whole install, no school) with the references in force now, e.g. after
    loading a new version of a reference (a leased job: see qinfo.jobs). `last_pk` is how far
    the chunks went, so a job resumed after its worker died goes on from there."""

    class Status(models.TextChoices):
        QUEUED = "queued", "รอคำนวณ"
        RUNNING = "running", "กำลังคำนวณ"
        DONE = "done", "คำนวณเสร็จแล้ว"
        FAILED = "failed", "คำนวณไม่สำเร็จ"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField("จำนวนที่ต้องคำนวณ", default=0)
    processed = models.PositiveIntegerField("คำนวณแล้ว", default=0)
    changed = models.PositiveIntegerField("ผลเปลี่ยน", default=0)
    last_pk = models.BigIntegerField(default=0)
    message = models.CharField("ข้อความ", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้สั่ง", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("สั่งเมื่อ", auto_now_add=True)
    finished_at = models.DateTimeField("เสร็จเมื่อ", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "งานคำนวณภาวะโภชนาการใหม่"
        verbose_name_plural = "งานคำนวณภาวะโภชนาการใหม่"
        constraints = [
            # One waiting or running recompute per scope (the install's counts as one scope).
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(status__in=["queued", "running"]),
                nulls_distinct=False,
                name="nutrition_recompute_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.processed}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)
