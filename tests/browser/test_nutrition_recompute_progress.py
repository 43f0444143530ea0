"""A system admin watches a nutrition recompute on the references page: the job's row polls its
progress (htmx, under the Content-Security-Policy) and stops once the job is done."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from students.models import NutritionRecomputeJob

from .conftest import signed_in

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_the_admin_sees_a_recompute_progress_until_it_is_done(world, live_server, page: Page):
    # A job a worker is running, halfway through (no worker here: the test moves it on).
    job = NutritionRecomputeJob.objects.create(school=world.school_a, status="running", total=40, processed=20)
    page.add_init_script(RECORD_VIOLATIONS)
    signed_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/health/references/")
    row = page.locator(f"#recompute-{job.code}")
    expect(row).to_contain_text("กำลังคำนวณ")
    expect(row).to_contain_text("20 / 40")
    NutritionRecomputeJob.objects.filter(pk=job.pk).update(status="done", processed=40, changed=7)
    expect(row).to_contain_text("คำนวณเสร็จแล้ว", timeout=10_000)
    expect(row).to_contain_text("40 / 40")
    expect(row).not_to_have_attribute("hx-trigger", "every 2s")
    assert page.evaluate("window.__csp") == []
