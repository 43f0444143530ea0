from django.urls import path

from . import apis, views

app_name = "risk"

urlpatterns = [
    path("risk/", views.risk_list, name="list"),
    path("risk/summary/", views.risk_summary, name="summary"),
    path("risk/follow-up/", views.follow_up, name="follow_up"),
    path("risk/follow-up/days/", views.follow_up_days, name="follow_up_days"),
    path("risk/rules/", views.rule_list, name="rules"),
    path("risk/rules/grace-days/", views.grace_days, name="grace_days"),
    path("risk/rules/area/<uuid:code>/", views.area_rule_list, name="area_rules"),
    path("risk/rules/area/<uuid:code>/<slug:key>/", views.area_rule_update, name="area_rule_update"),
    path("risk/rules/<slug:key>/", views.rule_update, name="rule_update"),
    path("risk/students/<uuid:code>/", views.student_risk, name="student"),
    path("risk/students/<uuid:code>/interventions/", views.intervention_create, name="intervention_create"),
    path("risk/interventions/<uuid:code>/close/", views.intervention_close, name="intervention_close"),
    path("alerts/", views.alert_inbox, name="alerts"),
    path("alerts/read-all/", views.alerts_read_all, name="alerts_read_all"),
    path("alerts/preferences/", views.alert_preferences, name="alert_preferences"),
    path("alerts/deliveries/", views.alert_deliveries, name="alert_deliveries"),
    path("alerts/deliveries/<uuid:code>/retry/", views.delivery_retry, name="delivery_retry"),
    path("alerts/<uuid:code>/", views.alert_detail, name="alert"),
    path("alerts/<uuid:code>/read/", views.alert_read, name="alert_read"),
    path("api/v1/alerts/", apis.AlertListApi.as_view(), name="api-alerts"),
    path("api/v1/alerts/<uuid:code>/", apis.AlertDetailApi.as_view(), name="api-alert"),
    path("api/v1/alert-preferences/", apis.AlertPreferenceApi.as_view(), name="api-alert-preferences"),
    path("api/v1/schools/<uuid:code>/risk-rules/", apis.RiskRuleListApi.as_view(), name="api-rules"),
    path("api/v1/areas/<uuid:code>/risk-rules/", apis.AreaRiskRuleListApi.as_view(), name="api-area-rules"),
    path("api/v1/areas/<uuid:code>/risk-rules/<slug:key>/", apis.AreaRiskRuleDetailApi.as_view(), name="api-area-rule"),
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
