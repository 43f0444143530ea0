from django.urls import path

from academics.urls.results import urlpatterns as results_urlpatterns
from academics.views import structure as views

app_name = "academics"

urlpatterns = [
    path("academics/subjects/", views.subject_list, name="subject_list"),
    path("academics/subjects/new/", views.subject_create, name="subject_create"),
    path("academics/subjects/import/", views.subject_import, name="subject_import"),
    path("academics/subjects/<uuid:code>/edit/", views.subject_edit, name="subject_edit"),
    path("academics/plans/", views.study_plan_list, name="study_plan_list"),
    path("academics/plans/<uuid:code>/", views.study_plan_detail, name="study_plan_detail"),
    path(
        "academics/plans/<uuid:code>/items/<int:item_id>/remove/",
        views.study_plan_item_remove,
        name="study_plan_item_remove",
    ),
    path("academics/classrooms/", views.classroom_manage, name="classroom_manage"),
    path("academics/classrooms/<uuid:code>/edit/", views.classroom_edit, name="classroom_edit"),
    path("academics/classrooms/<uuid:code>/placement/", views.classroom_placement, name="classroom_placement"),
    path("academics/promotion/", views.promotion, name="promotion"),
    path("academics/sections/", views.section_list, name="section_list"),
    path("academics/sections/generate/", views.sections_generate, name="sections_generate"),
    path("academics/sections/groups/", views.section_group_create, name="section_group_create"),
    path("academics/sections/<uuid:code>/", views.section_detail, name="section_detail"),
    path("academics/sections/<uuid:code>/update/", views.section_update, name="section_update"),
]
urlpatterns += results_urlpatterns
