"""A school's document settings: the signing certificate its admin or registrar uploads, the
printer offset for the Ministry's pre-printed ปพ.1, and the calibration page to measure it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reports import access
from reports.forms import DocumentOptionsForm, PrinterOffsetForm, SigningCertificateForm
from reports.models import DocumentType
from reports.selectors import options as options_selectors
from reports.selectors import signing as selectors
from reports.services import documents as document_services
from reports.services import options as options_services
from reports.services import signing as services


def _options_form(school, data=None) -> DocumentOptionsForm:
    labels = {value: label.split(" ", 1)[0] for value, label in DocumentType.choices}
    defaults = {
        value: settings.DOCUMENT_RETENTION_DAYS.get(value, settings.DOCUMENT_RETENTION_DEFAULT_DAYS)
        for value in DocumentType.values
    }
    own = (school.policy or {}).get(options_selectors.RETENTION_KEY) or {}
    initial = {"thai_digits": options_selectors.uses_thai_digits(school)}
    initial.update({f"retention_{value}": own.get(value) for value in DocumentType.values})
    return DocumentOptionsForm(data, initial=initial, defaults=defaults, labels=labels)


def _page(request, school, *, certificate_form=None, offset_form=None, options_form=None, status=200):
    offset = selectors.school_printer_offset(school)
    if offset_form is None:
        initial = {"x_mm": offset.x_mm, "y_mm": offset.y_mm} if offset else {"x_mm": "0", "y_mm": "0"}
        offset_form = PrinterOffsetForm(initial=initial)
    context = {
        "school": school,
        "certificate": selectors.school_certificate(school),
        "offset": offset,
        "certificate_form": certificate_form or SigningCertificateForm(),
        "offset_form": offset_form,
        "options_form": options_form or _options_form(school),
        "thai_digits": options_selectors.uses_thai_digits(school),
    }
    return render(request, "reports/documents/settings.html", context, status=status)


def _add_errors(form, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)


@login_required
def document_settings(request, code):
    school = access.access_school_document_settings(request.user, code)
    return _page(request, school)


@login_required
@require_POST
def certificate_upload(request, code):
    school = access.access_school_document_settings(request.user, code)
    form = SigningCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.signing_certificate_upload(
                school=school,
                data=form.cleaned_data["bundle"].read(),
                password=form.cleaned_data["password"] or "",
                by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "บันทึกใบรับรองแล้ว เอกสารที่ออกต่อจากนี้จะลงนามด้วยใบรับรองนี้")
            return redirect("reports:documents_settings", code=school.code)
    return _page(request, school, certificate_form=form, status=400)


@login_required
@require_POST
def printer_offset(request, code):
    school = access.access_school_document_settings(request.user, code)
    form = PrinterOffsetForm(request.POST)
    if form.is_valid():
        try:
            services.printer_offset_set(
                school=school, x_mm=form.cleaned_data["x_mm"], y_mm=form.cleaned_data["y_mm"], by=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "บันทึกค่าชดเชยเครื่องพิมพ์แล้ว พิมพ์หน้าทดสอบอีกครั้งเพื่อตรวจ")
            return redirect("reports:documents_settings", code=school.code)
    return _page(request, school, offset_form=form, status=400)


@login_required
@require_POST
def document_options(request, code):
    school = access.access_school_document_settings(request.user, code)
    form = _options_form(school, request.POST)
    if form.is_valid():
        try:
            options_services.document_options_set(
                school=school,
                thai_digits=form.cleaned_data["thai_digits"],
                retention=form.retention(),
                by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "บันทึกการตั้งค่าเอกสารแล้ว มีผลกับเอกสารที่ออกต่อจากนี้")
            return redirect("reports:documents_settings", code=school.code)
    return _page(request, school, options_form=form, status=400)


@login_required
def calibration_pdf(request, code):
    school = access.access_school_document_settings(request.user, code)
    pdf = document_services.render_calibration_pdf(school)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="pp1-printer-calibration.pdf"'
    return response
