from django.urls import path

from ukbot.notifications.api import views

app_name = "notifications"

urlpatterns = [
    path("notifications/send", views.NotificationSendApi.as_view(), name="send"),
    path("notifications/bulk", views.BulkSendApi.as_view(), name="bulk"),
    path("notifications/bulk/<int:job_id>", views.BulkJobDetailApi.as_view(), name="bulk-job"),
    path("notifications/templates", views.TemplateListApi.as_view(), name="templates"),
    path("notifications/templates/preview", views.TemplatePreviewApi.as_view(), name="template-preview"),
    path("notifications/templates/<int:template_id>", views.TemplateDetailApi.as_view(), name="template"),
    path("notifications/history", views.NotificationHistoryApi.as_view(), name="history"),
    path("notifications/preferences", views.NotificationPreferencesApi.as_view(), name="preferences"),
]
