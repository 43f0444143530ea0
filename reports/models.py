"""Report jobs (a request's background rendering, leased like an import) and the official
documents they issue, with their serials and verification codes."""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from qinfo.jobs import LeasedJob
from reports.storage import private_storage
from schools.models import School, Term
from students.models import Classroom, Student


class DocumentType(models.TextChoices):
    PP1 = "pp1", "ปพ.1 ระเบียนแสดงผลการเรียน"
    PP5 = "pp5", "ปพ.5 แบบบันทึกผลการพัฒนาคุณภาพผู้เรียน"
    PP6 = "pp6", "ปพ.6 รายงานผลการพัฒนาคุณภาพผู้เรียนรายบุคคล"
    PP3 = "pp3", "ปพ.3 แบบรายงานผู้สำเร็จการศึกษา"
    PP7 = "pp7", "ปพ.7 ใบรับรองผลการศึกษา"


# Documents of one student for one term (ปพ.6): a reissue voids only that term's earlier copy.
PER_TERM_TYPES = frozenset({DocumentType.PP6})
# Documents of a course section (ปพ.5): one file per job, no serial and no IssuedDocument row.
PER_SECTION_TYPES = frozenset({DocumentType.PP5})
# Documents of a cohort (ปพ.3: the graduates of a stage in one year): one IssuedDocument without a
# student, its rows kept as IssuedGraduate (reports.services.pp3_pp7).
PER_COHORT_TYPES = frozenset({DocumentType.PP3})


class PrintMode(models.TextChoices):
    """How a ปพ.1 is printed: the whole form on plain paper (numbered by the system serial), or
    only the data on the Ministry's pre-printed sheet (numbered by the sheet's ชุดที่/เลขที่)."""

    PLAIN = "plain", "กระดาษเปล่า (พิมพ์ทั้งแบบฟอร์ม)"
    PREPRINTED = "preprinted", "แบบพิมพ์ ปพ.1 ของกระทรวง (พิมพ์เฉพาะข้อมูล)"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange("status", "file", "error", "finished_at", "expired_at")),
    pghistory.DeleteEvent(),
)
class ReportJob(LeasedJob):
    """A request for documents, rendered by a Celery worker (a leased job: see qinfo.jobs)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "รอคิว"
        RUNNING = "running", "กำลังสร้างเอกสาร"
        DONE = "done", "เสร็จแล้ว"
        FAILED = "failed", "ไม่สำเร็จ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="report_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ขอ", on_delete=models.PROTECT, related_name="report_jobs"
    )
    type = models.CharField("ชนิดเอกสาร", max_length=10, choices=DocumentType.choices)
    # {"students": [student ids, in print order]} plus what names the batch (a classroom).
    parameters = models.JSONField("รายละเอียดคำขอ", default=dict)
    classroom = models.ForeignKey(
        Classroom, verbose_name="ห้องเรียน", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField("สร้างแล้ว", default=0)
    progress_total = models.PositiveIntegerField("ทั้งหมด", default=0)
    file = models.FileField("ไฟล์", storage=private_storage, upload_to="reports/jobs/%Y/%m/", blank=True)
    error = models.TextField("ข้อผิดพลาด", blank=True)
    created_at = models.DateTimeField("สร้างเมื่อ", auto_now_add=True)
    finished_at = models.DateTimeField("เสร็จเมื่อ", null=True, blank=True)
    # When the retention sweep deleted the job's file (reports.services.retention).
    expired_at = models.DateTimeField("ไฟล์หมดอายุเมื่อ", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "งานสร้างเอกสาร"
        verbose_name_plural = "งานสร้างเอกสาร"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")), name="report_job_progress"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.code}"

    @property
    def student_ids(self) -> list[int]:
        return list(self.parameters.get("students", []))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class IssuedDocument(models.Model):
    """One issued official document: its serial (per school, type and BE year), its public
    verification code, who issued it, and the file as issued. A reissue voids the earlier copy.

    A row without a file is a serial reserved by a job that has not stored the document yet:
    the job resumes it with the same serial, and it is not valid until issued."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="issued_documents"
    )
    # Empty for a document of a cohort (ปพ.3), whose students are its IssuedGraduate rows.
    student = models.ForeignKey(
        Student,
        verbose_name="นักเรียน",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    type = models.CharField("ชนิดเอกสาร", max_length=10, choices=DocumentType.choices)
    year = models.PositiveSmallIntegerField("ปี พ.ศ. ที่ออก")
    number = models.PositiveIntegerField("เลขที่")
    verification_code = models.CharField("รหัสตรวจสอบ", max_length=20, unique=True)
    job = models.ForeignKey(ReportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    # The term a per-term document (ปพ.6) reports on; empty for the others.
    term = models.ForeignKey(
        Term, verbose_name="ภาคเรียน", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ออกเอกสาร", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("ออกเมื่อ", null=True, blank=True)
    file = models.FileField("ไฟล์", storage=private_storage, upload_to="reports/documents/%Y/", blank=True)
    pages = models.PositiveSmallIntegerField("จำนวนหน้า", default=0)
    # When the retention sweep deleted the file: the serial and verification code stay valid.
    file_expired_at = models.DateTimeField("ไฟล์หมดอายุเมื่อ", null=True, blank=True)
    is_void = models.BooleanField("ยกเลิกแล้ว", default=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ผู้ยกเลิก",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voided_at = models.DateTimeField("ยกเลิกเมื่อ", null=True, blank=True)
    void_reason = models.CharField("เหตุที่ยกเลิก", max_length=200, blank=True)
    print_mode = models.CharField("รูปแบบการพิมพ์", max_length=12, choices=PrintMode.choices, default=PrintMode.PLAIN)
    # The Ministry sheet's own numbers, in pre-printed mode (digits as printed, leading zeros kept).
    form_set = models.CharField("ชุดที่ของแบบพิมพ์", max_length=10, blank=True)
    form_number = models.CharField("เลขที่ของแบบพิมพ์", max_length=10, blank=True)
    # SHA-256 of the certificate that signed the file (PAdES); empty when issued unsigned.
    signer_fingerprint = models.CharField("ใบรับรองที่ใช้ลงนาม", max_length=64, blank=True)
    # What a ปพ.7 is asked for (printed as เพื่อใช้ ...); empty for the other types.
    purpose = models.CharField("เพื่อใช้", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "เอกสารที่ออก"
        verbose_name_plural = "เอกสารที่ออก"
        constraints = [
            models.UniqueConstraint(fields=["school", "type", "year", "number"], name="issued_document_serial_unique"),
            models.UniqueConstraint(
                fields=["job", "student"], condition=Q(job__isnull=False), name="issued_document_once_per_job"
            ),
            models.CheckConstraint(
                condition=Q(is_void=False) | (Q(voided_at__isnull=False) & ~Q(void_reason="")),
                name="issued_document_void_has_reason",
            ),
            # A sheet of the Ministry's form is used once, even when its document is voided later.
            models.UniqueConstraint(
                fields=["school", "type", "form_set", "form_number"],
                condition=~Q(form_number=""),
                name="issued_document_form_sheet_unique",
            ),
            models.CheckConstraint(
                condition=(Q(print_mode="preprinted") & ~Q(form_set="") & ~Q(form_number=""))
                | (~Q(print_mode="preprinted") & Q(form_set="") & Q(form_number="")),
                name="issued_document_sheet_number_iff_preprinted",
            ),
            models.CheckConstraint(
                condition=Q(type="pp3", student__isnull=True) | (~Q(type="pp3") & Q(student__isnull=False)),
                name="issued_document_student_unless_cohort",
            ),
        ]
        indexes = [models.Index(fields=["school", "student", "type"], name="issued_document_student")]

    def __str__(self) -> str:
        return self.serial

    @property
    def serial(self) -> str:
        """เลขที่ printed on the document: 000123/2569."""
        return f"{self.number:06d}/{self.year}"

    @property
    def printed_number(self) -> str:
        """The number the paper carries: the sheet's ชุดที่/เลขที่, or the system serial."""
        if self.form_number:
            return f"ชุดที่ {self.form_set} เลขที่ {self.form_number}"
        return f"เลขที่ {self.serial}"

    @property
    def issued(self) -> bool:
        # Stored and marked issued in one transaction; a file deleted by the retention sweep
        # leaves the document issued.
        return self.issued_at is not None and (bool(self.file) or self.file_expired_at is not None)


class StageEnd(models.TextChoices):
    """The stage a ปพ.3 reports the graduates of (its variant :ป, :บ, :พ)."""

    P6 = "P6", "ประถมศึกษา (ป.6)"
    M3 = "M3", "มัธยมศึกษาตอนต้น (ม.3)"
    M6 = "M6", "มัธยมศึกษาตอนปลาย (ม.6)"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class GraduateReport(models.Model):
    """The cohort of an issued ปพ.3: a school's graduates of one stage in one academic year,
    approved on one date; its rows are kept (IssuedGraduate) as printed, with the .xlsx for
    the education service area made of the same rows."""

    document = models.OneToOneField(
        IssuedDocument, verbose_name="เอกสาร", on_delete=models.PROTECT, related_name="graduate_report"
    )
    academic_year = models.ForeignKey(
        "schools.AcademicYear", verbose_name="ปีการศึกษา", on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField("ระดับที่จบ", max_length=2, choices=StageEnd.choices)
    approved_on = models.DateField("วันอนุมัติการจบ")
    xlsx = models.FileField("ไฟล์ .xlsx", storage=private_storage, upload_to="reports/documents/%Y/", blank=True)

    class Meta:
        verbose_name = "รายงานผู้สำเร็จการศึกษา"
        verbose_name_plural = "รายงานผู้สำเร็จการศึกษา"

    def __str__(self) -> str:
        return f"ปพ.3 {self.get_stage_display()} {self.academic_year.year}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class IssuedGraduate(models.Model):
    """One row of an issued ปพ.3, as printed: what the area's officers search by 13-digit ID."""

    report = models.ForeignKey(
        GraduateReport, verbose_name="รายงาน", on_delete=models.PROTECT, related_name="graduates"
    )
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField("ลำดับ")
    student_number = models.CharField("เลขประจำตัวนักเรียน", max_length=20)
    national_id = models.CharField("เลขประจำตัวประชาชน", max_length=13, blank=True)
    prefix = models.CharField("คำนำหน้าชื่อ", max_length=20)
    first_name = models.CharField("ชื่อ", max_length=100)
    last_name = models.CharField("นามสกุล", max_length=100)
    sex = models.CharField("เพศ", max_length=1, choices=Student.Sex.choices)
    birth_date = models.DateField("วันเกิด", null=True, blank=True)
    gpax = models.DecimalField("ผลการเรียนเฉลี่ยตลอดหลักสูตร", max_digits=3, decimal_places=2, null=True)
    earned_basic = models.DecimalField("หน่วยกิตพื้นฐานที่ได้", max_digits=6, decimal_places=1)
    earned_additional = models.DecimalField("หน่วยกิตเพิ่มเติมที่ได้", max_digits=6, decimal_places=1)
    rtw = models.CharField("การอ่าน คิดวิเคราะห์ และเขียน", max_length=20, blank=True)
    characteristics = models.CharField("คุณลักษณะอันพึงประสงค์", max_length=20, blank=True)
    activities = models.CharField("กิจกรรมพัฒนาผู้เรียน", max_length=20, blank=True)
    graduated_on = models.DateField("วันอนุมัติการจบ")
    pp1_number = models.CharField("ปพ.1 ชุดที่/เลขที่", max_length=40, blank=True)

    class Meta:
        ordering = ["report_id", "number"]
        verbose_name = "ผู้สำเร็จการศึกษาในรายงาน"
        verbose_name_plural = "ผู้สำเร็จการศึกษาในรายงาน"
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="issued_graduate_number_unique"),
            models.UniqueConstraint(fields=["report", "student"], name="issued_graduate_once_per_report"),
        ]
        indexes = [models.Index(fields=["national_id"], name="issued_graduate_national_id")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.prefix}{self.first_name} {self.last_name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), exclude=["password_sealed"])
class SigningCertificate(models.Model):
    """A school's document-signing certificate: the PKCS#12 bundle its admin or registrar
    uploaded, kept in private storage (no URL), its password encrypted (reports.signing.seal).
    Replacing it keeps the row (and history); documents signed before keep their signature."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.OneToOneField(
        School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="signing_certificate"
    )
    bundle = models.FileField("ไฟล์ใบรับรอง", storage=private_storage, upload_to="reports/signing/")
    password_sealed = models.TextField("รหัสผ่าน (เข้ารหัสแล้ว)")
    subject = models.CharField("ออกให้แก่", max_length=200)
    issuer = models.CharField("ผู้ออกใบรับรอง", max_length=200)
    serial = models.CharField("หมายเลขใบรับรอง", max_length=80)
    fingerprint = models.CharField("ลายนิ้วมือ SHA-256", max_length=64)
    not_before = models.DateTimeField("ใช้ได้ตั้งแต่")
    not_after = models.DateTimeField("ใช้ได้ถึง")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้อัปโหลด", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("อัปโหลดเมื่อ")

    class Meta:
        verbose_name = "ใบรับรองสำหรับลงนามเอกสาร"
        verbose_name_plural = "ใบรับรองสำหรับลงนามเอกสาร"
        constraints = [
            models.CheckConstraint(
                condition=Q(not_before__lt=models.F("not_after")), name="signing_certificate_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.school})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PrinterOffset(models.Model):
    """How far the school's printer shifts a page, corrected when printing on the Ministry's
    pre-printed ปพ.1: positive x moves the data right, positive y down (millimetres)."""

    school = models.OneToOneField(
        School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="printer_offset"
    )
    x_mm = models.DecimalField("เลื่อนแนวนอน (มม.)", max_digits=4, decimal_places=1, default=0)
    y_mm = models.DecimalField("เลื่อนแนวตั้ง (มม.)", max_digits=4, decimal_places=1, default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ตั้งค่า", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("ตั้งค่าเมื่อ", auto_now=True)

    class Meta:
        verbose_name = "ค่าชดเชยเครื่องพิมพ์"
        verbose_name_plural = "ค่าชดเชยเครื่องพิมพ์"
        constraints = [
            models.CheckConstraint(
                condition=Q(x_mm__gte=-30) & Q(x_mm__lte=30) & Q(y_mm__gte=-30) & Q(y_mm__lte=30),
                name="printer_offset_within_30mm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school}: x {self.x_mm} มม. y {self.y_mm} มม."
