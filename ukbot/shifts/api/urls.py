from django.urls import path

from ukbot.shifts.api import views

app_name = "shifts"

urlpatterns = [
    path("shifts/start", views.ShiftStartNowApi.as_view(), name="start-now"),
    path("shifts/<int:shift_id>/start", views.ShiftStartApi.as_view(), name="start"),
    path("shifts/<int:shift_id>/end", views.ShiftEndApi.as_view(), name="end"),
]
