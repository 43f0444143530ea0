"""ปพ.3 and ปพ.7 rendered by a real Celery worker on the real broker, requested from the pages by
the registrar: the ปพ.3 job stores one PDF (its page shows ink) and its .xlsx, and the ปพ.7 one
PDF with the purpose typed."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from reports.models import IssuedDocument, ReportJob

from .conftest import wait_for
from .test_documents import ink, png_pages
from .test_documents_pp3_pp7 import cohort  # noqa: F401 — the fixture of an ม.3 cohort
from .test_documents_pp56_worker import finished, media, requested  # noqa: F401 — the worker's media root

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_rows_put_back"),
]


def test_the_worker_renders_a_pp3_with_its_xlsx_and_a_pp7(media, cohort, celery_worker, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    world = cohort
    client = Client()
    client.force_login(world.user("registrar"))
    pp3 = requested(
        client,
        f"/documents/pp3/schools/{world.school_a.code}/",
        {"academic_year": world.year.pk, "stage": "M3", "approved_on": "30/11/2569"},
    )
    pp7 = requested(client, f"/documents/students/{world.cohort[0].code}/pp7/", {"purpose": "ศึกษาต่อ"})
    pp3, pp7 = wait_for(lambda: finished(pp3), timeout=180), wait_for(lambda: finished(pp7), timeout=180)
    assert (pp3.status, pp7.status) == (ReportJob.Status.DONE, ReportJob.Status.DONE), (pp3.error, pp7.error)

    response = client.get(f"/documents/jobs/{pp3.code}/download/")
    assert response.status_code == 200
    page = png_pages(b"".join(response.streaming_content), tmp_path / "pp3")[0]
    assert page.width > page.height and 0.02 < ink(page) < 0.5
    document = IssuedDocument.objects.get(job=pp3)
    workbook = client.get(f"/documents/pp3/{document.code}/graduates.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert sheet.max_row == 3 + 3  # title, school, header, three graduates

    pp7_document = IssuedDocument.objects.get(job=pp7)
    assert pp7_document.purpose == "ศึกษาต่อ" and pp7_document.pages == 1
    response = client.get(f"/documents/{pp7_document.code}/download/")
    assert 0.02 < ink(png_pages(b"".join(response.streaming_content), tmp_path / "pp7")[0]) < 0.5
