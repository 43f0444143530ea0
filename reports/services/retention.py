"""The retention of generated document files: the nightly sweep (task `reports.expire_files`)
deletes, through the storage API, the files older than their type's retention
(reports.selectors.options.retention_days) and marks the rows expired, so the pages say
ไฟล์หมดอายุแล้ว — ขอใหม่ได้. It never deletes an IssuedDocument row: serials and verification
codes stay valid.

Per row, the row is marked (file emptied, expired_at set) in a transaction and the file is
deleted once that commits: a crash between the two leaves a file nobody points at, never a row
pointing at a missing file. Jobs still queued or running are left alone, with their documents.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qinfo.audit import audited
from reports.models import DocumentType, IssuedDocument, ReportJob
from reports.selectors.options import retention_days
from reports.storage import private_storage
from schools.models import School

logger = logging.getLogger(__name__)
REASON = "ลบไฟล์เอกสารที่พ้นระยะเวลาเก็บ"
FINISHED = (ReportJob.Status.DONE, ReportJob.Status.FAILED)


def _delete_later(names: list[str]) -> None:
    def delete() -> None:
        storage = private_storage()
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete expired document file %s", name, exc_info=True)

    transaction.on_commit(delete)


def files_expire(*, now=None) -> dict[str, int]:
    """Expire every school's files past retention. Returns {"jobs": n, "documents": n}."""
    now = now or timezone.now()
    counts = {"jobs": 0, "documents": 0}
    schools = School.objects.filter(report_jobs__isnull=False).distinct().only("pk", "policy")
    for school in schools:
        for doc_type in DocumentType.values:
            cutoff = now - timedelta(days=retention_days(school, doc_type))
            with transaction.atomic(), audited(None, REASON):
                jobs = list(
                    ReportJob.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(school=school, type=doc_type, status__in=FINISHED, finished_at__lt=cutoff, expired_at=None)
                    .only("pk", "file")
                )
                # A failed job has no file of its own, but its documents expire: no retry then.
                names = [job.file.name for job in jobs if job.file]
                ReportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(file="", expired_at=now)
                documents = list(
                    IssuedDocument.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(school=school, type=doc_type, issued_at__lt=cutoff)
                    .exclude(file="")
                    .exclude(job__status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING])
                    .only("pk", "file")
                )
                names += [document.file.name for document in documents]
                IssuedDocument.objects.filter(pk__in=[d.pk for d in documents]).update(file="", file_expired_at=now)
                _delete_later(names)
            counts["jobs"] += len(jobs)
            counts["documents"] += len(documents)
    if any(counts.values()):
        logger.info("expired document files: %s", counts)
    return counts
