from django.urls import path

from ukbot.users.api import views

app_name = "users"

urlpatterns = [
    path("users", views.UserListApi.as_view(), name="list"),
    path("users/me", views.UserMeApi.as_view(), name="me"),
    path("users/me/role", views.UserActiveRoleApi.as_view(), name="active-role"),
    path("users/<int:account_id>", views.UserDetailApi.as_view(), name="detail"),
    path("buildings", views.BuildingListApi.as_view(), name="buildings"),
    path("buildings/<int:building_id>", views.BuildingDetailApi.as_view(), name="building"),
]
