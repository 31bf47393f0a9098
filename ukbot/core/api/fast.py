"""The API's speed-ups that lean on private DRF, django-filter, simplejwt and Django internals, in one place.

Each one replaces a framework path that costs more CPU per call than the work it does (decision 0015), and each
relies on something its framework does not promise to keep. They were checked against the versions in
:data:`CHECKED_AGAINST`. ``ukbot/core/tests/test_fast_paths.py`` fails on another minor version, and when the
source of a framework function in :data:`FRAMEWORK_CODE` changes, until somebody re-reads what is listed below
for it, runs the comparisons, and updates :data:`CHECKED_AGAINST`, :data:`FRAMEWORK_CODE` and the pins in
pyproject.toml together (decision 0017).

**FilterBackend**: the ``FilterSet`` of a view's ``filterset_fields`` built once per view class.
    Relies on ``DjangoFilterBackend.get_filterset_class`` building an ``AutoFilterSet`` that depends only on the
    view's ``filterset_fields`` and the queryset's model (django-filter). Checked by ``test_api_filters``.

**FastFilterSet**: a ``FilterSet`` that works only the filters a query names, copied shallowly.
    Relies on ``BaseFilterSet.__init__`` deep-copying ``base_filters`` and then setting each filter's ``model``
    and ``parent``, on ``get_form_class``/``form`` building the form from each filter's ``field``, on
    ``Filter.field`` caching in ``Filter._field``, on assigning ``Filter.method`` rebinding its ``FilterMethod``,
    on ``FilterSet._meta.form`` (django-filter), and on ``BaseForm.__init__`` deep-copying ``base_fields``
    (Django). Checked by ``test_a_fast_filterset_validates_and_filters_like_a_plain_one`` and
    ``test_requests_page_matches_the_orm``.

**OneQueryPagination**: a page and the list's total in one query, and a page read elsewhere taken as the page.
    Relies on ``QuerySet._iterable_class``/``ModelIterable`` and ``Query.distinct``, ``combinator``,
    ``is_sliced`` and ``group_by`` (Django) to tell a plain list of rows; on setting ``Paginator.count`` (a cached
    property) and building ``Page`` directly; and on ``page_of`` leaving the paginator as the rest of
    ``PageNumberPagination.paginate_queryset`` would (``self.request``, ``self.page``,
    ``display_page_controls``) and ``page_bounds`` accepting only what ``get_page_number`` and
    ``Paginator.validate_number`` turn into the same page (DRF, Django). Checked by
    ``test_a_page_read_with_its_total_matches_counting_apart`` and ``test_requests_page_matches_the_orm``.

**declared_fields_copy**: a serializer's fields copied shallowly, not deep-copied per instance.
    Relies on ``Serializer._declared_fields`` and on ``Serializer.get_fields`` being where DRF deep-copies them,
    on ``Field.bind`` setting the parent of a copy, and on a field with a ``child`` binding it to itself (DRF).
    Checked by ``test_api_serializers`` and ``test_shallow_fields_validate_as_deep_copied_ones``.

**datetimes_in**: ``DateTimeField.to_representation`` with the current zone looked up once, not per field.
    Copies DRF's ``DateTimeField.to_representation`` and ``enforce_timezone`` for an aware value under
    ``DATETIME_FORMAT = "iso-8601"`` (``+00:00`` written ``Z``). Used by the requests list's row builder
    (``requests.api.common``), which also skips ``Serializer.to_representation``. Checked by
    ``test_datetimes_in_matches_drf`` and ``test_fast_representation_matches_the_declared_fields``.

**token_user_id / check_token_user**: simplejwt's ``JWTAuthentication.get_user`` around a caller's own read.
    Copies its claim, ``user_not_found``, ``user_inactive`` and ``password_changed`` checks (messages and codes
    included) and its settings ``USER_ID_CLAIM``, ``CHECK_USER_IS_ACTIVE``, ``CHECK_REVOKE_TOKEN`` and
    ``REVOKE_TOKEN_CLAIM``, so that ``auth`` can read the account with its session in one statement. Checked by
    ``test_token_user_checks_match_simplejwt`` and the token tests of ``auth``.

Other private DRF and Django attributes the code uses are not speed-ups and stay with their features:
``Request._request`` and ``HttpRequest._body``/``_stream`` (idempotency, the body limit, media uploads) and
drf-spectacular's ``AutoSchema._get_response_for_code`` (the envelope in the schema), each tested there.
"""

from __future__ import annotations

import copy
import threading

import django_filters
from django.core.paginator import Page
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import ISO_8601, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings as drf_settings
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

# The releases everything above was read and compared against; test_fast_paths holds the installed ones to the
# same minor versions, and so do the pins in pyproject.toml.
CHECKED_AGAINST = {
    "django": "5.2.19",
    "djangorestframework": "3.18.3",
    "django-filter": "26.2",
    "djangorestframework-simplejwt": "5.5.1",
}

# The framework code these tricks copy or hook into, by a fingerprint of its source as read at those releases
# (test_fast_paths computes it): a patch release that changes one of them fails that test until it is re-read.
FRAMEWORK_CODE = {
    "django_filters.rest_framework.backends.DjangoFilterBackend.get_filterset_class": "94857b0a412b7e78",
    "django_filters.filterset.BaseFilterSet.__init__": "9c30207cbb2499f6",
    "django_filters.filterset.BaseFilterSet.get_form_class": "0cbd12df9824f9d7",
    "django_filters.filterset.BaseFilterSet.form": "d7869e28e5c3b0b2",
    "django_filters.filters.Filter.field": "35dde63e89c815f3",
    "django.forms.forms.BaseForm.__init__": "de192f4a72bdd0eb",
    "rest_framework.pagination.PageNumberPagination.paginate_queryset": "2dba76b3687ba863",
    "rest_framework.pagination.PageNumberPagination.get_page_number": "e9e114d2386d54f9",
    "django.core.paginator.Paginator.validate_number": "f35111a439c15331",
    "rest_framework.serializers.Serializer.get_fields": "22f6d4094e96dbaa",
    "rest_framework.fields.DateTimeField.to_representation": "b125ea6f778dea98",
    "rest_framework.fields.DateTimeField.enforce_timezone": "8d0f412934ad080f",
    "rest_framework_simplejwt.authentication.JWTAuthentication.get_user": "dd10ef17d7fa41af",
}


# --- django-filter ---------------------------------------------------------------------------------------------


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, minus the per-request class: the ``FilterSet`` of ``filterset_fields`` is built once.

    ``DjangoFilterBackend`` defines a new ``AutoFilterSet`` class for every request of a view that names
    ``filterset_fields``; its metaclass then inspects the model and creates every filter again, which costs about
    as much as a small query. The class depends only on the view, the model and the fields, so it is kept per view
    class.
    """

    _built: dict = {}
    _lock = threading.Lock()

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_class", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        fields = getattr(view, "filterset_fields", None)
        if not fields:
            return None
        key = (type(self), type(view), queryset.model)
        cached = self._built.get(key)
        if cached is not None and cached[0] == fields:
            return cached[1]
        built = super().get_filterset_class(view, queryset)
        with self._lock:
            self._built[key] = (fields, built)
        return built


class _SharedFields(dict):
    """The fields of a filter form: Django deep-copies a form's fields for every instance; filter forms never
    change theirs, so the instances share them (a shallow copy)."""

    def __deepcopy__(self, memo):
        return dict(self)


def _named(filters: dict, data) -> dict:
    """The filters a query string names (its own name, or a widget's suffixed one such as ``created_after``)."""
    if data is None:
        return filters
    keys = tuple(data.keys())
    return {
        name: filter_
        for name, filter_ in filters.items()
        if any(key == name or key.startswith(f"{name}_") for key in keys)
    }


class FastFilterSet(django_filters.FilterSet):
    """A FilterSet that does not rebuild itself on every request, and works only the filters a query names.

    ``FilterSet`` deep-copies its filters, builds a form class and deep-copies the form's fields per request, then
    validates every field: for a dozen filters that costs more than the query it narrows. Here only the filters
    the query string names take part: an absent filter has an empty value, which django-filter skips anyway, so
    the result is the same. Those are copied shallowly (each instance still gets its own ``parent``), and the
    form class is built once per FilterSet class and set of named filters, with fields shared read-only by its
    instances. Not for filters whose form fields depend on the request (e.g. a ``ModelChoiceFilter`` with a
    queryset callable) nor for filters that act when absent.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        base = self.base_filters
        self.base_filters = {}  # the parent's deepcopy then copies nothing
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.base_filters
        model = self.queryset.model
        self.filters = {}
        for name, filter_ in _named(base, None if prefix else data).items():
            if "_field" not in filter_.__dict__:
                # A filter builds its form field (and label) lazily and keeps it; a multiple-choice filter asks for
                # it on every query. Built once on the class's filter, it is shared by the copies as the form's is.
                filter_.model = model
                filter_.field  # noqa: B018 - evaluated for its cached side effect
            mine = copy.copy(filter_)
            mine.model, mine.parent = model, self
            if filter_.method is not None:
                mine.method = filter_.method  # a method filter resolves its method through its own parent
            self.filters[name] = mine

    def get_form_class(self):
        cls = type(self)
        forms = cls.__dict__.get("_form_classes")
        if forms is None:
            forms = cls._form_classes = {}
        key = frozenset(self.filters)
        form = forms.get(key)
        if form is None:
            fields = {name: filter_.field for name, filter_ in self.filters.items()}
            form = type(str(f"{cls.__name__}Form"), (self._meta.form,), fields)
            form.base_fields = _SharedFields(form.base_fields)
            forms[key] = form
        return form


# --- pagination ------------------------------------------------------------------------------------------------

TOTAL = "pagination_total"  # the annotation carrying the total on each row of a page read in one query
BIGINT_MAX = 2**63 - 1  # the largest OFFSET (and LIMIT) PostgreSQL takes


def _page_number(raw) -> int | None:
    """A plain page number (1, 2, …) or None for anything else (``last``, junk), which the generic path handles."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def one_query(queryset) -> bool:
    """Whether ``COUNT(*) OVER ()`` on the page's rows is the count of the whole list: a plain list of model rows,
    not made distinct, grouped, combined or already sliced."""
    if not isinstance(queryset, QuerySet) or queryset._iterable_class is not ModelIterable:
        return False
    query = queryset.query
    return not (query.distinct or query.combinator or query.is_sliced or query.group_by is not None)


class OneQueryPagination(PageNumberPagination):
    """``PageNumberPagination`` that reads a page and the list's total in one query where it can.

    DRF counts the list and then reads the page: two queries, each built and compiled by the ORM, which for a
    small list cost more than the database's work. A page of plain model rows is read with its total as a window
    count instead. An empty page (an empty list, or a page past the end) and anything that is not a plain list of
    model rows take DRF's path, so totals, errors and links are the same either way. A view that reads a page its
    own way (a hand-written statement) asks :meth:`page_bounds` and hands the rows to :meth:`page_of`.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        bounds = self.page_bounds(request)
        if bounds is None or not one_query(queryset):
            return super().paginate_queryset(queryset, request, view)
        number, page_size = bounds
        offset = (number - 1) * page_size
        rows = list(queryset.annotate(**{TOTAL: Window(Count("*"))})[offset : offset + page_size])
        if not rows:
            return super().paginate_queryset(queryset, request, view)
        total = getattr(rows[0], TOTAL)
        for row in rows:
            delattr(row, TOTAL)
        return self.page_of(rows, total=total, number=number, page_size=page_size, request=request)

    def page_bounds(self, request) -> tuple[int, int] | None:
        """The page number and size a query asks for, or None where only DRF's path can tell (``?page=last``,
        junk, no pagination)."""
        page_size = self.get_page_size(request)
        number = _page_number(request.query_params.get(self.page_query_param) or 1)
        if not page_size or number is None or number * page_size > BIGINT_MAX:
            # A page whose OFFSET PostgreSQL cannot take (a bigint) is past the end of any list: DRF's path answers
            # it as it does every page past the end, without reading a row.
            return None
        return number, page_size

    def page_of(self, rows: list, *, total: int, number: int, page_size: int, request) -> list:
        """Take ``rows``, a non-empty page read together with the list's ``total``, as the page to answer with."""
        self.request = request
        paginator = self.django_paginator_class(rows, page_size)
        paginator.count = total  # a cached property: this is the value it would have counted
        self.page = Page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows


# --- serializers -----------------------------------------------------------------------------------------------


def _copy_field(field):
    # A nested serializer or a field with a child binds that child to itself, so it needs a copy of its own.
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child"):
        return copy.deepcopy(field)
    return copy.copy(field)


def declared_fields_copy(serializer: serializers.Serializer) -> dict:
    """The serializer's declared fields for one instance, for its ``get_fields``: copied shallowly.

    DRF deep-copies every declared field (re-running its constructor) so that an instance may change its own
    fields, which costs more than validating a create's input. For serializers that never change theirs, a shallow
    copy does: each copy is still bound to its own serializer; validators and choices, fixed when the class is
    declared, are shared.
    """
    return {name: _copy_field(field) for name, field in serializer._declared_fields.items()}


_datetime = serializers.DateTimeField().to_representation  # None stays None; else ISO 8601 in the current zone


def datetimes_in(zone):
    """``DateTimeField().to_representation`` with the current zone looked up once (per page or row rather than per
    field): an aware datetime, which is what the database gives, is converted and formatted here; anything else
    (None, naive, out of range, another ``DATETIME_FORMAT``) takes DRF's path, so the output and the errors stay
    the serializer field's."""
    generic = _datetime
    if str(drf_settings.DATETIME_FORMAT).lower() != ISO_8601:
        return generic

    def when(value):
        if value is not None and value.tzinfo is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return generic(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return generic(value)

    return when


# --- simplejwt -------------------------------------------------------------------------------------------------


def token_user_id(validated_token):
    """The user id a validated token names, as ``JWTAuthentication.get_user`` reads it.

    :raises InvalidToken: the token has no user id claim.
    """
    try:
        return validated_token[jwt_settings.USER_ID_CLAIM]
    except KeyError as exc:
        raise InvalidToken(_("Token contained no recognizable user identification")) from exc


def check_token_user(user, validated_token):
    """Return ``user``, read for the token's user id (None if there is none), after the checks
    ``JWTAuthentication.get_user`` makes of it.

    :raises AuthenticationFailed: no such user, an inactive one, or (with ``CHECK_REVOKE_TOKEN``) a token issued
        before the password changed.
    """
    if user is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
        jwt_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    return user
