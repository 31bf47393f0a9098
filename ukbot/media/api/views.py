"""`/api/v1/media…`: upload a file, read its metadata, download it (with a token or a signed link), delete it.

Who may read a file follows the object it is attached to (see :mod:`ukbot.media.owners`); a file the caller may
not read is NOT_FOUND, as if it did not exist.
"""

from __future__ import annotations

import io

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from ukbot.core.api.permissions import has_scope
from ukbot.core.api.serializers import StrictSerializer
from ukbot.core.api.throttling import UPLOADS
from ukbot.core.api.views import Api
from ukbot.core.errors import AppError, NotFoundError, PermissionDeniedError
from ukbot.media import links, owners, selectors, services, storage
from ukbot.media.models import MediaFile, ScanStatus
from ukbot.media.public import DOWNLOADABLE

WRITE_MEDIA = "write:media"
MANAGER_SCOPES = ("admin:requests", "write:users")  # dispatchers and admins: they read what they moderate


def actor_kind_of(request) -> str:
    """How the caller acts: a manager (holds a moderating scope), an executor (active role), else an applicant."""
    if any(has_scope(request, scope) for scope in MANAGER_SCOPES):
        return owners.MANAGER
    token = getattr(request, "auth", None)
    role = token.get("role") if token is not None and hasattr(token, "get") else None
    return owners.EXECUTOR if role == "executor" else owners.APPLICANT


def readable(request, media_id) -> MediaFile:
    """The live file if the caller may read it, else NOT_FOUND (another person's file looks like no file)."""
    row = selectors.file_get(media_id=media_id)
    if row is None or not selectors.file_readable(
        file=row, account_id=request.user.pk, actor_kind=actor_kind_of(request)
    ):
        raise NotFoundError()
    return row


def check_downloadable(row: MediaFile) -> None:
    if row.scan_status == ScanStatus.INFECTED:
        raise AppError("MEDIA_INFECTED", _("This file failed the virus scan and is quarantined."))
    if row.scan_status not in DOWNLOADABLE:
        raise AppError("MEDIA_NOT_READY", _("This file is waiting for its virus scan; try again shortly."))


def file_response(row: MediaFile) -> FileResponse:
    response = FileResponse(storage.open_stream(row.storage_key), content_type=row.content_type)
    response["Content-Length"] = str(row.size)
    response["Content-Disposition"] = links.content_disposition(row)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class AnyAccept(BaseContentNegotiation):
    """Downloads answer bytes whatever the Accept header says; errors still render as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MediaOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    scan_status = serializers.ChoiceField(choices=ScanStatus.choices)
    owner_id = serializers.IntegerField()
    attached_kind = serializers.CharField(help_text="The kind of object the file belongs to; empty if none yet.")
    attached_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, row) -> str:
        return reverse("media:download", kwargs={"media_id": row.pk})


class MediaUploadApi(Api):
    rate_buckets = (UPLOADS,)
    permission_classes = (IsAuthenticated,)
    parser_classes = (MultiPartParser,)
    OutputSerializer = MediaOutput

    class InputSerializer(StrictSerializer):
        file = serializers.FileField(allow_empty_file=True, help_text="JPEG, PNG, WebP, HEIC, PDF or MP4.")

    def initial(self, request, *args, **kwargs):
        if self._idempotency_applies(request) and not hasattr(request._request, "_body"):
            # With an Idempotency-Key the whole body is hashed; Django's request.body refuses bodies above
            # DATA_UPLOAD_MAX_MEMORY_SIZE, so read it here (BodySizeLimitMiddleware bounds it by the upload limit).
            body = request._request.read()
            request._request._body, request._request._stream = body, io.BytesIO(body)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Upload a file (multipart, field `file`): type judged by its bytes, size limits per type",
        description="Accepted: JPEG, PNG, WebP, HEIC (images up to MEDIA_MAX_IMAGE_BYTES), PDF "
        "(MEDIA_MAX_PDF_BYTES), MP4 (MEDIA_MAX_VIDEO_BYTES). Identical bytes are stored once. With a virus scanner "
        "configured the file starts `pending` and downloads only once `clean`; without one it is `not_scanned`.",
        request={"multipart/form-data": InputSerializer},
        responses={201: MediaOutput},
    )
    def post(self, request):
        if not has_scope(request, WRITE_MEDIA):
            raise PermissionDeniedError()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        row = services.media_upload(owner_id=request.user.pk, file=upload, name=upload.name, size=upload.size)
        return Response(self.OutputSerializer(row).data, status=201)


class MediaDetailApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = MediaOutput

    @extend_schema(summary="A file's metadata, if the caller may see the object it belongs to")
    def get(self, request, media_id):
        return Response(self.OutputSerializer(readable(request, media_id)).data)

    @extend_schema(summary="Delete a file (the uploader or a manager); publishes media.deleted", responses={204: None})
    def delete(self, request, media_id):
        if not has_scope(request, WRITE_MEDIA):
            raise PermissionDeniedError()
        readable(request, media_id)
        services.media_delete(media_id=media_id, actor_id=request.user.pk, actor_kind=actor_kind_of(request))
        return Response(status=204)


_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes, as an attachment.")


class MediaDownloadApi(Api):
    permission_classes = (IsAuthenticated,)
    error_statuses = (409, 423)  # not scanned yet; quarantined (another person's file is NOT_FOUND)
    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="Download a file (streamed); MEDIA_NOT_READY while scanning, MEDIA_INFECTED if quarantined",
        responses={(200, "application/octet-stream"): _FILE},
    )
    def get(self, request, media_id):
        row = readable(request, media_id)
        check_downloadable(row)
        return file_response(row)


class SignedUrlOutput(serializers.Serializer):
    url = serializers.CharField(help_text="Works without a token until expires_at.")
    expires_at = serializers.DateTimeField()


class MediaSignedUrlApi(Api):
    permission_classes = (IsAuthenticated,)
    OutputSerializer = SignedUrlOutput
    error_statuses = (404, 409, 423)  # no such file the caller may read; not scanned yet; quarantined

    class InputSerializer(StrictSerializer):
        media_id = serializers.UUIDField()
        ttl = serializers.IntegerField(
            min_value=1, max_value=links.MAX_TTL, default=links.DEFAULT_TTL, help_text="Seconds the link works."
        )

    @extend_schema(
        summary="A download link that works without a token for `ttl` seconds (presigned by S3 when used)",
        request=InputSerializer,
        responses={201: SignedUrlOutput},
        examples=[
            OpenApiExample("five minutes", value={"media_id": "6f1c1a1e-9a55-4d0b-8a4e-2f3f0e3c9b11", "ttl": 300})
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = readable(request, data.validated_data["media_id"])
        check_downloadable(row)
        url, expires = links.link_for(row, ttl=data.validated_data["ttl"])
        if url.startswith("/"):
            url = request.build_absolute_uri(url)
        return Response(self.OutputSerializer({"url": url, "expires_at": expires}).data, status=201)


class MediaSignedDownloadApi(Api):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    error_statuses = (403, 409, 410, 423)  # an altered or expired link; a file not scanned yet or quarantined
    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="Download through a signed link (no token); SIGNED_URL_INVALID if altered, SIGNED_URL_EXPIRED",
        auth=[],
        responses={(200, "application/octet-stream"): _FILE},
    )
    def get(self, request, token: str):
        row = selectors.file_get(media_id=links.token_resolve(token=token))
        if row is None:
            raise NotFoundError()
        check_downloadable(row)
        return file_response(row)
