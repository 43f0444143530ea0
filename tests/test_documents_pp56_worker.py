"""ปพ.5 and a classroom's ปพ.6 rendered by a real Celery worker on the real broker, requested
from the pages by the teacher: the zip holds one checked ปพ.6 per student and the merged PDF,
and the ปพ.5 is one PDF with its landscape sheets."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from pypdf import PdfReader

from reports.models import IssuedDocument, ReportJob

from .conftest import wait_for
from .test_documents import ink, png_pages
from .test_documents_pp56 import build_section, fill_term

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_rows_put_back"),
]


@pytest.fixture
def media(settings, tmp_path, monkeypatch):
    """The worker is another process: it stores the files under the same MEDIA_ROOT."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


def finished(job: ReportJob):
    job.refresh_from_db()
    return job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED) and job


def requested(client: Client, url: str, data=None) -> ReportJob:
    response = client.post(url, data=data or {})
    assert response.status_code == 302, response
    return ReportJob.objects.get(code=response.url.split("/")[-2])


def test_the_worker_renders_a_teachers_pp5_and_a_classrooms_pp6(media, world, celery_worker, tmp_path):
    section = build_section(world)
    fill_term(world, section)
    client = Client()
    client.force_login(world.user("teacher_a"))

    pp6 = requested(client, f"/documents/pp6/classrooms/{world.class_a.code}/", {"term": "2"})
    pp5 = requested(client, f"/documents/sections/{section.code}/pp5/")
    pp6, pp5 = wait_for(lambda: finished(pp6), timeout=180), wait_for(lambda: finished(pp5), timeout=180)
    assert (pp6.status, pp5.status) == (ReportJob.Status.DONE, ReportJob.Status.DONE), (pp6.error, pp5.error)
    assert (pp6.progress_done, pp6.progress_total) == (2, 2)

    response = client.get(f"/documents/jobs/{pp6.code}/download/")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('pp6-M1-1.zip"')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 3 and "รวมทุกคน.pdf" in archive.namelist()
    assert len(PdfReader(io.BytesIO(archive.read("รวมทุกคน.pdf"))).pages) == 2
    documents = IssuedDocument.objects.filter(job=pp6)
    assert documents.count() == 2 and all(d.term.number == 2 and d.pages == 1 for d in documents)
    for index, name in enumerate(sorted(n for n in archive.namelist() if n != "รวมทุกคน.pdf")):
        page = png_pages(archive.read(name), tmp_path / f"pp6-{index}")[0]
        assert 0.03 < ink(page) < 0.5

    response = client.get(f"/documents/jobs/{pp5.code}/download/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    pages = png_pages(pdf, tmp_path / "pp5")
    assert [page.width > page.height for page in pages] == [False, False, True, True, False]
