from django.urls import path

from ukbot.requests.api import views

app_name = "requests"

urlpatterns = [
    path("requests", views.RequestListApi.as_view(), name="list"),
    path("requests/<str:number>", views.RequestDetailApi.as_view(), name="detail"),
    path("requests/<str:number>/status", views.RequestStatusApi.as_view(), name="status"),
    path("requests/<str:number>/comments", views.RequestCommentsApi.as_view(), name="comments"),
]
