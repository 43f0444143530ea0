from django.urls import path

from students.apis import status as apis_status
from students.views import records as views
from students.views import status as views_status

app_name = "status"

urlpatterns = [
    path("students/<uuid:code>/status/new/", views_status.status_change_create, name="create"),
    # The photo is part of the student record; it is served here, through the access check,
    # and never from a public MEDIA URL.
    path("students/<uuid:code>/photo/", views.student_photo, name="photo"),
    path("status/", views_status.status_current, name="current"),
    path("schools/<uuid:code>/status/", views_status.status_report, name="report"),
    path("transfers/in/", views_status.transfer_in, name="transfer_in"),
    path("transfers/requests/", views_status.transfer_requests, name="transfer_requests"),
    path("transfers/requests/<uuid:code>/", views_status.transfer_request_decide, name="transfer_request_decide"),
    path(
        "api/v1/students/<uuid:code>/status-changes/",
        apis_status.StatusChangeListApi.as_view(),
        name="api-status-changes",
    ),
    path("api/v1/transfers/in/", apis_status.TransferInApi.as_view(), name="api-transfer-in"),
    path("api/v1/transfers/requests/", apis_status.TransferRequestListApi.as_view(), name="api-transfer-requests"),
    path(
        "api/v1/transfers/requests/<uuid:code>/",
        apis_status.TransferRequestDetailApi.as_view(),
        name="api-transfer-request",
    ),
]
