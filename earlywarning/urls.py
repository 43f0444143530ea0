from django.urls import path

from . import apis, views

app_name = "risk"

urlpatterns = [
    path("risk/", views.risk_list, name="list"),
    path("risk/summary/", views.risk_summary, name="summary"),
    path("risk/follow-up/", views.follow_up, name="follow_up"),
    path("risk/follow-up/days/", views.follow_up_days, name="follow_up_days"),
    path("risk/rules/", views.rule_list, name="rules"),
    path("risk/rules/<slug:key>/", views.rule_update, name="rule_update"),
    path("risk/students/<uuid:code>/", views.student_risk, name="student"),
    path("risk/students/<uuid:code>/interventions/", views.intervention_create, name="intervention_create"),
    path("risk/interventions/<uuid:code>/close/", views.intervention_close, name="intervention_close"),
    path("api/v1/schools/<uuid:code>/risk-rules/", apis.RiskRuleListApi.as_view(), name="api-rules"),
    path("api/v1/schools/<uuid:code>/risk-rules/<slug:key>/", apis.RiskRuleUpdateApi.as_view(), name="api-rule"),
    path("api/v1/schools/<uuid:code>/risk-statuses/", apis.RiskStatusSchoolListApi.as_view(), name="api-school"),
    path(
        "api/v1/classrooms/<uuid:code>/risk-statuses/", apis.RiskStatusClassroomListApi.as_view(), name="api-classroom"
    ),
    path("api/v1/students/<uuid:code>/risk/", apis.StudentRiskApi.as_view(), name="api-student"),
    path(
        "api/v1/students/<uuid:code>/interventions/",
        apis.StudentInterventionListApi.as_view(),
        name="api-student-interventions",
    ),
    path("api/v1/interventions/<uuid:code>/", apis.InterventionDetailApi.as_view(), name="api-intervention"),
    path("api/v1/schools/<uuid:code>/risk-follow-up/", apis.FollowUpListApi.as_view(), name="api-follow-up"),
]
