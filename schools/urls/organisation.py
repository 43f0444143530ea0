from django.urls import path

from schools.views import organisation as views

app_name = "schools"

urlpatterns = [
    path("schools/", views.school_list, name="list"),
    path("schools/<uuid:code>/", views.school_detail, name="detail"),
    path("schools/<uuid:code>/history/", views.school_history, name="history"),
    path("schools/<uuid:code>/years/", views.academic_year_create, name="year_create"),
    path("schools/<uuid:code>/staff/", views.staff_list, name="staff"),
    path("schools/<uuid:code>/staff/<int:membership_id>/revoke/", views.membership_revoke, name="membership_revoke"),
]
