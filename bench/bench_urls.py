"""The project's URLs plus ``/api/v1/bench/bare``: the benchmark's baseline for ``/api/v1/requests``.

The bare endpoint goes through the same middleware, authentication (bearer JWT of an open session), permission
and JSON envelope as the real API, but is a plain DRF ``APIView`` over raw SQL on one plain table (created by
``bench/requests_api.py``): POST inserts a row, GET counts and lists the caller's rows with the same filters and
page size as the real list. Whatever the real endpoint costs beyond this is the application's own work.
"""

from __future__ import annotations

from django.db import connection
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ukbot.core.api.renderers import mark_enveloped
from ukbot.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here
from ukbot.urls import urlpatterns as app_urlpatterns

TABLE_SQL = """
    CREATE TABLE IF NOT EXISTS public.bench_bare (
        id bigserial PRIMARY KEY,
        applicant_id bigint NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'new',
        category varchar(20) NOT NULL,
        urgency varchar(10) NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS bench_bare_applicant ON public.bench_bare (applicant_id);
    CREATE INDEX IF NOT EXISTS bench_bare_status ON public.bench_bare (status)
"""
COLUMNS = ("id", "status", "category", "urgency", "description", "created_at")
MAX_PER_PAGE = 100


class BareInput(serializers.Serializer):
    category = serializers.CharField(max_length=20)
    urgency = serializers.CharField(max_length=10)
    description = serializers.CharField(max_length=4000)


class BareApi(APIView):
    """Insert into and list ``public.bench_bare``, with the project's default authentication and permissions."""

    schema = None

    def get(self, request):
        params = request.query_params
        where, args = ["applicant_id = %s"], [request.user.pk]
        for column in ("status", "category"):
            if column in params:
                where.append(f"{column} = %s")
                args.append(params[column])
        try:
            per_page = max(1, min(int(params.get("per_page", 20)), MAX_PER_PAGE))
        except ValueError:
            per_page = 20
        condition = " AND ".join(where)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM public.bench_bare WHERE {condition}", args)
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT {', '.join(COLUMNS)} FROM public.bench_bare WHERE {condition} "
                "ORDER BY created_at DESC LIMIT %s",
                [*args, per_page],
            )
            rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        body = {"data": rows, "meta": {"total": total, "page": 1, "per_page": per_page}}
        return mark_enveloped(Response(body))

    def post(self, request):
        data = BareInput(data=request.data)
        data.is_valid(raise_exception=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO public.bench_bare (applicant_id, category, urgency, description) "
                f"VALUES (%s, %s, %s, %s) RETURNING {', '.join(COLUMNS)}",
                [request.user.pk, *(data.validated_data[k] for k in ("category", "urgency", "description"))],
            )
            row = dict(zip(COLUMNS, cursor.fetchone(), strict=True))
        return Response(row, status=201)


# First: the API's catch-all (JSON 404 for unknown paths) would answer it otherwise.
urlpatterns = [path("api/v1/bench/bare", BareApi.as_view(), name="bench-bare"), *app_urlpatterns]
