from django.urls import path

from ukbot.media.api import views

app_name = "media"

urlpatterns = [
    path("media/upload", views.MediaUploadApi.as_view(), name="upload"),
    path("media/signed-url", views.MediaSignedUrlApi.as_view(), name="signed-url"),
    path("media/signed/<str:token>", views.MediaSignedDownloadApi.as_view(), name="signed"),
    path("media/<uuid:media_id>", views.MediaDetailApi.as_view(), name="detail"),
    path("media/<uuid:media_id>/download", views.MediaDownloadApi.as_view(), name="download"),
]
