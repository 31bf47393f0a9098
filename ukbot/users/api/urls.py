from django.urls import path

from ukbot.users.api import apartments, invitations, privacy, verification, views

app_name = "users"

urlpatterns = [
    path("users", views.UserListApi.as_view(), name="list"),
    path("users/me", views.UserMeApi.as_view(), name="me"),
    path("users/me/role", views.UserActiveRoleApi.as_view(), name="active-role"),
    path("users/<int:account_id>", views.UserDetailApi.as_view(), name="detail"),
    path("users/me/consent", privacy.ConsentApi.as_view(), name="consent"),
    path("users/<int:account_id>/export", privacy.UserExportApi.as_view(), name="export"),
    path("users/<int:account_id>/forget", privacy.UserForgetApi.as_view(), name="forget"),
    path("users/<int:account_id>/verify", verification.UserVerifyApi.as_view(), name="verify"),
    path("invitations", invitations.InvitationListApi.as_view(), name="invitations"),
    path("invitations/accept", invitations.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<int:invitation_id>/revoke", invitations.InvitationRevokeApi.as_view(), name="invitation-revoke"),
    path("verification", verification.VerificationListApi.as_view(), name="verification"),
    path("verification/<int:application_id>/status", verification.VerificationStatusApi.as_view(), name="v-status"),
    path(
        "verification/<int:application_id>/documents",
        verification.VerificationDocumentsApi.as_view(),
        name="v-documents",
    ),
    path("users/me/apartments", apartments.MyApartmentLinkListApi.as_view(), name="my-apartments"),
    path("users/me/apartments/<int:link_id>", apartments.MyApartmentLinkDeleteApi.as_view(), name="my-apartment"),
    path(
        "users/me/apartments/<int:link_id>/primary",
        apartments.MyApartmentPrimarySetApi.as_view(),
        name="my-apartment-primary",
    ),
    path(
        "users/me/apartments/<int:link_id>/document",
        apartments.MyApartmentLinkDocumentApi.as_view(),
        name="my-apartment-document",
    ),
    path("apartment-links", apartments.ApartmentLinkListApi.as_view(), name="apartment-links"),
    path(
        "apartment-links/<int:link_id>/approve",
        apartments.ApartmentLinkApproveApi.as_view(),
        name="apartment-link-approve",
    ),
    path(
        "apartment-links/<int:link_id>/reject",
        apartments.ApartmentLinkRejectApi.as_view(),
        name="apartment-link-reject",
    ),
    path("buildings", views.BuildingListApi.as_view(), name="buildings"),
    path("buildings/<int:building_id>", views.BuildingDetailApi.as_view(), name="building"),
]
