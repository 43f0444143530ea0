from django.urls import path

from schools.views import calendar as views

app_name = "calendar"

urlpatterns = [
    path("calendar/", views.calendar_current, name="current"),
    path("schools/<uuid:code>/calendar/", views.calendar_school, name="school"),
    path("schools/<uuid:code>/calendar/<int:year>/", views.calendar_month_view, name="month"),
    path("schools/<uuid:code>/calendar/<int:year>/events/new/", views.event_create, name="event_create"),
    path("schools/<uuid:code>/calendar/<int:year>/terms/", views.terms_edit, name="terms"),
    path("schools/<uuid:code>/calendar/<int:year>/copy/", views.calendar_copy, name="copy"),
    path("calendar/events/<uuid:code>/", views.event_edit, name="event_edit"),
    path("calendar/events/<uuid:code>/delete/", views.event_delete, name="event_delete"),
]
