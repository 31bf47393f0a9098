from django.urls import path

from ukbot.assignment.api import views

app_name = "assignment"

urlpatterns = [
    path("assignments", views.AssignmentListApi.as_view(), name="list"),
    path("assignments/recommendations", views.AssignmentRecommendationsApi.as_view(), name="recommendations"),
    path("assignments/manual-assign", views.AssignmentManualAssignApi.as_view(), name="manual-assign"),
]
