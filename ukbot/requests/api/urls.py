from django.urls import path

from ukbot.requests.api import actions, materials, views

app_name = "requests"

urlpatterns = [
    path("requests", views.RequestListApi.as_view(), name="list"),
    path("requests/pool", views.RequestPoolApi.as_view(), name="pool"),
    path("requests/<str:number>", views.RequestDetailApi.as_view(), name="detail"),
    path("requests/<str:number>/status", views.RequestStatusApi.as_view(), name="status"),
    path("requests/<str:number>/comments", views.RequestCommentsApi.as_view(), name="comments"),
    path("requests/<str:number>/history", views.RequestHistoryApi.as_view(), name="history"),
    path("requests/<str:number>/materials", materials.RequestMaterialsApi.as_view(), name="materials"),
    path(
        "requests/<str:number>/materials/<int:material_id>",
        materials.RequestMaterialDecideApi.as_view(),
        name="material",
    ),
    path("requests/<str:number>/attachments", materials.RequestAttachmentsApi.as_view(), name="attachments"),
    path("requests/<str:number>/claim", actions.RequestClaimApi.as_view(), name="claim"),
    path("requests/<str:number>/assign", actions.RequestAssignApi.as_view(), name="assign"),
    path("requests/<str:number>/clarification", actions.RequestClarificationApi.as_view(), name="clarification"),
    path(
        "requests/<str:number>/clarification/answer",
        actions.RequestClarificationAnswerApi.as_view(),
        name="clarification-answer",
    ),
    path("requests/<str:number>/complete", actions.RequestCompleteApi.as_view(), name="complete"),
    path("requests/<str:number>/confirm", actions.RequestConfirmApi.as_view(), name="confirm"),
    path("requests/<str:number>/accept", actions.RequestAcceptApi.as_view(), name="accept"),
    path("requests/<str:number>/return", actions.RequestReturnApi.as_view(), name="return"),
    path("requests/<str:number>/rate", actions.RequestRateApi.as_view(), name="rate"),
    path("requests/<str:number>/cancel", actions.RequestCancelApi.as_view(), name="cancel"),
]
