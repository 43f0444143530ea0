"""Student 360: one page per student with everything the school knows, for those allowed to see
each part (reports.selectors.overview says which part is whose)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from earlywarning.selectors import intervention_panel
from reports import access
from reports.selectors import overview as selectors
from reports.services.overview import overview_reads_log


@login_required
def student_overview(request, code):
    student = access.access_student_overview(request.user, code)
    overview = selectors.student_overview(user=request.user, student=student)
    overview_reads_log(user=request.user, overview=overview, via=request.path)
    # The interventions on each flag, with their forms, for those who may record them (None: not shown).
    panel = intervention_panel(student=student, user=request.user) if overview.risk else None
    return render(request, "reports/student_360.html", {"student": student, "o": overview, "panel": panel})
