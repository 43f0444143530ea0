"""API for schools and the signed-in user's roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from schools.access.organisation import access_school, active_memberships, schools_visible_to, scope_for
from schools.models import School


class SchoolOutputSerializer(serializers.ModelSerializer):
    affiliation = serializers.CharField(source="affiliation.short_name")
    area = serializers.CharField(source="area.name")

    class Meta:
        model = School
        fields = [
            "code",
            "ministry_code",
            "obec_code",
            "name",
            "name_en",
            "affiliation",
            "area",
            "subdistrict",
            "district",
            "province",
            "postcode",
        ]


class SchoolListApi(ListAPIView):
    serializer_class = SchoolOutputSerializer

    def get_queryset(self):
        queryset = schools_visible_to(self.request.user).order_by("name")
        if query := self.request.query_params.get("q"):
            queryset = queryset.filter(name__icontains=query)
        return queryset


class SchoolDetailApi(RetrieveAPIView):
    serializer_class = SchoolOutputSerializer

    def get_object(self):
        return access_school(self.request.user, self.kwargs["code"])


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class MembershipSerializer(serializers.Serializer):
            role = serializers.CharField()
            role_label = serializers.CharField()
            school = serializers.UUIDField(allow_null=True)
            area = serializers.UUIDField(allow_null=True)

        username = serializers.CharField()
        name = serializers.CharField()
        is_admin = serializers.BooleanField()
        memberships = MembershipSerializer(many=True)

    @extend_schema(responses=OutputSerializer, summary="ผู้ใช้ปัจจุบันและบทบาท")
    def get(self, request):
        memberships = active_memberships(request.user).select_related("school", "area")
        data = {
            "username": request.user.username,
            "name": request.user.display_name,
            "is_admin": scope_for(request.user).is_admin,
            "memberships": [
                {
                    "role": m.role,
                    "role_label": m.get_role_display(),
                    "school": m.school.code if m.school else None,
                    "area": m.area.code if m.area else None,
                }
                for m in memberships
            ],
        }
        return Response(self.OutputSerializer(data).data)
