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


# Documents of one student for one term (ปพ.6): a reissue voids only that term's earlier copy.
PER_TERM_TYPES = frozenset({DocumentType.PP6})
# Documents of a course section (ปพ.5): one file per job, no serial and no IssuedDocument row.
PER_SECTION_TYPES = frozenset({DocumentType.PP5})


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange("status", "file", "error", "finished_at")),
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
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="issued_documents"
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
        ]
        indexes = [models.Index(fields=["school", "student", "type"], name="issued_document_student")]

    def __str__(self) -> str:
        return self.serial

    @property
    def serial(self) -> str:
        """เลขที่ printed on the document: 000123/2569."""
        return f"{self.number:06d}/{self.year}"

    @property
    def issued(self) -> bool:
        return bool(self.file) and self.issued_at is not None
