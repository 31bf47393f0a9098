"""Django settings, read from the environment (see the table in README.md).

A missing or malformed required variable raises ConfigError naming it; entry points print it as one line.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers

from ukbot.core.client_address import trusted_proxies_parse
from ukbot.core.env import ConfigError, env_bool, env_int, env_list, env_parsed, env_str
from ukbot.core.rates import rate_setting

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("UKBOT_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY", None)
    if key:
        if not DEBUG and len(key) < 32:
            raise ConfigError("SECRET_KEY: must be at least 32 characters when DJANGO_DEBUG is off")
        return key
    if not DEBUG:
        raise ConfigError("SECRET_KEY: required when DJANGO_DEBUG is off")
    # Local runs: one generated key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS: required when DJANGO_DEBUG is off (comma-separated host names)")

# --- applications -------------------------------------------------------------------------------------------
DOMAIN_APPS = [
    "ukbot.auth",
    "ukbot.users",
    "ukbot.requests",
    "ukbot.assignment",
    "ukbot.shifts",
    "ukbot.notifications",
    "ukbot.media",
    "ukbot.integrations",
    "ukbot.analytics",
]

INSTALLED_APPS = [
    "ukbot.auth.admin_config.AdminConfig",  # django.contrib.admin whose site asks staff with a device for the code
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "corsheaders",
    # Second factor (TOTP and backup codes); like django_celery_beat's, their tables stay in public.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ukbot.core",
    *DOMAIN_APPS,
    "bot",
]

MIDDLEWARE = [
    "ukbot.core.middleware.MetricsMiddleware",  # outermost: counts and times every answer, 413s included
    "ukbot.core.csp.ContentSecurityPolicyMiddleware",  # a policy on every answer: liveness, 413s, static files
    "ukbot.core.middleware.HealthzMiddleware",  # liveness answers whatever the Host header says
    "ukbot.core.middleware.TraceIdMiddleware",
    "ukbot.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() for the admin site
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ukbot.urls"
WSGI_APPLICATION = "ukbot.wsgi.application"
ASGI_APPLICATION = "ukbot.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# --- database -------------------------------------------------------------------------------------------------
def _database(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"only PostgreSQL is supported, not {scheme or 'an empty scheme'!r}")
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
    if not config.get("NAME"):
        raise ValueError("the URL names no database")
    config["ENGINE"] = "ukbot.core.db.backends.postgresql"
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {
    "default": env_parsed(
        "DATABASE_URL", _database, expected="a PostgreSQL URL such as postgres://user:pass@host:5432/ukbot"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- redis, celery ------------------------------------------------------------------------------------------
def _redis(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ValueError(f"scheme must be redis, rediss or unix, not {parts.scheme or 'empty'!r}")
    if parts.scheme == "unix" and not parts.path:
        raise ValueError("a unix URL needs a socket path")
    return url


REDIS_URL = env_parsed("REDIS_URL", _redis, expected="a Redis URL such as redis://127.0.0.1:6379/0")


def _timeout_seconds(value: str) -> float:
    seconds = float(value)
    if not 0 < seconds <= 60:  # also refuses nan and inf
        raise ValueError("more than 0 and at most 60")
    return seconds


# Every Redis client of the project waits at most this long for an answer, and for a connection (decision 0033):
# a Redis that hangs costs a request this much, never the request itself.
REDIS_SOCKET_TIMEOUT = env_parsed("REDIS_SOCKET_TIMEOUT", _timeout_seconds, 1.0, expected="seconds such as 1 or 0.5")
REDIS_CONNECT_TIMEOUT = env_parsed("REDIS_CONNECT_TIMEOUT", _timeout_seconds, 1.0, expected="seconds such as 1 or 0.5")


def _celery_url(redis_url: str) -> str:
    # kombu names Unix-socket Redis "redis+socket://"; redis-py names it "unix://".
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", _celery_url(REDIS_URL))


def _queue_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,200}", name):
        raise ValueError("1 to 200 of the characters A-Z a-z 0-9 . _ : -")
    return name


# The queue every task goes to and every worker consumes: deployments (or test runs) sharing one broker keep
# their tasks apart by naming their own.
CELERY_TASK_DEFAULT_QUEUE = env_parsed(
    "CELERY_TASK_DEFAULT_QUEUE", _queue_name, "celery", expected="a queue name such as celery"
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish (``.delay()``) gives up after a bounded time when the broker does not answer: one retry, each try
# waiting at most the broker's timeouts below (decision 0033). Callers that must not fail log and drop.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    # kombu's Redis transport waits forever by default. Not below 2 s: a consumer's BRPOP is answered after kombu's
    # 1 s brpop_timeout when the queue is empty, and must not count as a hang.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 2.0),
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    }

# Survive a lost broker (decision 0034): retry for ever instead of 100 times, with a consumer that does not die on
# kombu's close of a lost Redis connection; tasks still running finish (they are idempotent) instead of being killed.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "ukbot.celery_consumer:Consumer"
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = None  # set below from TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # uploads whose scan task was lost (broker down) or gave up while clamd was down
    "media-rescan-pending": {"task": "ukbot.media.rescan_pending", "schedule": 600.0},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ukbot",
        # Given to redis-py's connection pool: a hung Redis fails a cache call after these, like every client.
        "OPTIONS": {"socket_timeout": REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT},
    }
}

# --- event bus (ukbot.core.events) ------------------------------------------------------------------------
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 8, minimum=1)
EVENTS_BACKOFF_BASE_SECONDS = env_int("EVENTS_BACKOFF_BASE_SECONDS", 2, minimum=0)
EVENTS_BACKOFF_MAX_SECONDS = env_int("EVENTS_BACKOFF_MAX_SECONDS", 3600, minimum=1)
EVENTS_RELAY_BATCH = env_int("EVENTS_RELAY_BATCH", 500, minimum=1)
EVENTS_SWEEP_SECONDS = env_int("EVENTS_SWEEP_SECONDS", 5, minimum=1)
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 30, minimum=1)


# --- i18n, time ---------------------------------------------------------------------------------------------
def _time_zone(name: str) -> str:
    ZoneInfo(name)
    return name


def _language(code: str) -> str:
    if code not in {"ru", "uz", "en"}:
        raise ValueError("one of ru, uz, en")
    return code


TIME_ZONE = env_parsed("TIME_ZONE", _time_zone, "Asia/Tashkent", expected="an IANA time zone such as Asia/Tashkent")
try:
    ZoneInfo(TIME_ZONE)
except ZoneInfoNotFoundError as exc:  # pragma: no cover - env_parsed validated it already
    raise ConfigError(f"TIME_ZONE: {exc}") from None
CELERY_TIMEZONE = TIME_ZONE
USE_TZ = True
LANGUAGE_CODE = env_parsed("LANGUAGE_CODE", _language, "ru", expected="ru, uz or en")
LANGUAGES = [("ru", "Русский"), ("uz", "Oʻzbekcha"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True

# --- static, media storage --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
USE_S3 = env_bool("USE_S3", False)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
if USE_S3:
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL", None)
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "us-east-1")
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
    # Presigned download links (ukbot.media): Signature V4, which every region and MinIO accept, with X-Amz-Expires.
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# Uploads (ukbot.media): per-type size limits, checked after the type is read from the file's bytes.
MEDIA_MAX_IMAGE_BYTES = env_int("MEDIA_MAX_IMAGE_BYTES", 15 * 1024 * 1024, minimum=1)
MEDIA_MAX_PDF_BYTES = env_int("MEDIA_MAX_PDF_BYTES", 20 * 1024 * 1024, minimum=1)
MEDIA_MAX_VIDEO_BYTES = env_int("MEDIA_MAX_VIDEO_BYTES", 100 * 1024 * 1024, minimum=1)
# The most one person may keep stored (the sum of their live uploads); an upload beyond it is refused.
MEDIA_QUOTA_BYTES = env_int("MEDIA_QUOTA_BYTES", 2 * 1024 * 1024 * 1024, minimum=1)


def _clamd_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        raise ValueError("the form tcp://host:port")
    return url


# A clamd (ClamAV daemon) to scan uploads with; without it files are served unscanned (status not_scanned).
CLAMAV_URL = env_parsed("CLAMAV_URL", _clamd_url, None, expected="a clamd address such as tcp://127.0.0.1:3310")
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root on local runs

# --- email ----------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ukbot@localhost")


# --- telegram -------------------------------------------------------------------------------------------------
def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("an http(s) URL with a host")
    return url.rstrip("/")


def _bot_token(token: str) -> str:
    bot_id, _, secret = token.partition(":")
    if not bot_id.isdigit() or not secret:
        raise ValueError("the form <digits>:<secret> that @BotFather gives")
    return token


TELEGRAM_BOT_TOKEN = env_parsed("TELEGRAM_BOT_TOKEN", _bot_token, None, expected="a bot token")
TELEGRAM_API_URL = env_parsed("TELEGRAM_API_URL", _http_url, "https://api.telegram.org", expected="an http(s) URL")


def _webhook_secret(secret: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ValueError("1 to 256 of the characters A-Z a-z 0-9 _ -")
    return secret


# Webhook mode (`manage.py setwebhook URL`): Telegram sends this in X-Telegram-Bot-Api-Secret-Token; unset: off.
TELEGRAM_WEBHOOK_SECRET = env_parsed("TELEGRAM_WEBHOOK_SECRET", _webhook_secret, None, expected="a webhook secret")
# How old the signed data of a Telegram Login Widget or Mini App may be when exchanged for tokens.
# The bot's flood control: at most BOT_FLOOD_RATE updates of one person per BOT_FLOOD_PERIOD seconds.
BOT_FLOOD_RATE = env_int("BOT_FLOOD_RATE", 20, minimum=1)
BOT_FLOOD_PERIOD = env_int("BOT_FLOOD_PERIOD", 10, minimum=1)
TELEGRAM_AUTH_MAX_AGE_SECONDS = env_int("TELEGRAM_AUTH_MAX_AGE_SECONDS", 86400, minimum=60)

# --- notification delivery (ukbot.notifications, docs/decisions/0011) -------------------------------------------
# SMS and push go to an HTTP provider (POST JSON with a bearer token); unset URL: the channel is unavailable.
SMS_PROVIDER_URL = env_parsed("SMS_PROVIDER_URL", _http_url, None, expected="an http(s) URL")
SMS_PROVIDER_TOKEN = env_str("SMS_PROVIDER_TOKEN", "")
PUSH_PROVIDER_URL = env_parsed("PUSH_PROVIDER_URL", _http_url, None, expected="an http(s) URL")
PUSH_PROVIDER_TOKEN = env_str("PUSH_PROVIDER_TOKEN", "")
# Telegram's limits (about 30 messages/s per bot, 1/s per chat), kept slightly under them by default.
TELEGRAM_RATE_PER_SECOND = env_int("TELEGRAM_RATE_PER_SECOND", 28, minimum=1)
TELEGRAM_CHAT_INTERVAL_MS = env_int("TELEGRAM_CHAT_INTERVAL_MS", 1050, minimum=0)
NOTIFICATIONS_HTTP_TIMEOUT_SECONDS = env_int("NOTIFICATIONS_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
# How long a worker owns a claimed row without renewing it; a killed worker's rows are taken over after it. A live
# loop's heartbeat renews its leases every second, however long a call takes (docs/decisions/0035), so the lease
# need not outlast a call: it is how long a crash keeps its rows waiting.
NOTIFICATIONS_LEASE_SECONDS = env_int("NOTIFICATIONS_LEASE_SECONDS", 10, minimum=3)
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 8, minimum=1)
NOTIFICATIONS_BACKOFF_BASE_SECONDS = env_int("NOTIFICATIONS_BACKOFF_BASE_SECONDS", 5, minimum=0)
NOTIFICATIONS_BACKOFF_MAX_SECONDS = 3600
NOTIFICATIONS_SWEEP_SECONDS = env_int("NOTIFICATIONS_SWEEP_SECONDS", 2, minimum=1)

# --- security, web clients ------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
# Browsers may read these on cross-origin responses (trace id, replayed write, throttle wait).
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Idempotent-Replayed", "Retry-After"]
# Browsers may send these; writes take Idempotency-Key (DESIGN §8), which a preflight must allow.
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
BEHIND_TLS = env_bool("BEHIND_TLS", False)
# Reverse proxies whose X-Forwarded-For is believed (ukbot/core/client_address.py); none by default, so that a
# client cannot choose its own address for the sign-in lockout by sending the header itself.
TRUSTED_PROXIES = env_parsed(
    "TRUSTED_PROXIES", trusted_proxies_parse, (), expected="comma-separated networks such as 10.0.0.0/8,127.0.0.1/32"
)
if BEHIND_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Request bodies above this are refused with 413 in the error format (uploads: MAX_REQUEST_BODY_BYTES_BY_PATH).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# Paths whose bodies may be larger: the upload endpoint takes the largest file allowed plus room for the form.
MAX_REQUEST_BODY_BYTES_BY_PATH = {
    "/api/v1/media/upload": max(
        MAX_REQUEST_BODY_BYTES, MEDIA_MAX_IMAGE_BYTES, MEDIA_MAX_PDF_BYTES, MEDIA_MAX_VIDEO_BYTES
    )
    + 64 * 1024,
}


# --- Content-Security-Policy (decision 0025; django-csp, ukbot/core/csp.py) ----------------------------------------
def _csp_media_origins() -> list[str]:
    """Origins of the presigned links that admin thumbnails load from with S3 (else they are ours: 'self')."""
    if not USE_S3:
        return []
    if AWS_S3_ENDPOINT_URL:  # MinIO, another S3: path-style or virtual-hosted links
        endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
        return [
            f"{endpoint.scheme}://{endpoint.netloc}",
            f"{endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{endpoint.netloc}",
        ]
    return [
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com",
    ]


# HTML pages (admin, API docs): everything from this origin, no inline script, no plugins, no framing. Swagger UI
# and the admin draw icons from data: images. The ReDoc page alone adds inline styles (ukbot/core/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_csp_media_origins()],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Every other answer (JSON API, schema, /metrics, static and media files): nothing to load, never framed.
CSP_NON_HTML_DIRECTIVES = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}

# --- API ------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["ukbot.core.api.renderers.EnvelopeJSONRenderer"],
    # JSON only: form bodies carry every value as text, which the strict input serializers could not check
    # against the document's types (decision 0026); uploads declare their own MultiPartParser.
    "DEFAULT_PARSER_CLASSES": [
        "ukbot.core.api.parsers.JSONParser",  # a too deeply nested body is a PARSE_ERROR, not a 500
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",  # APIClient sends what the API reads
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ukbot.auth.api.authentication.SessionJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "ukbot.core.api.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "ukbot.core.api.filters.FilterBackend",  # django-filter, its FilterSet built once per view
        "rest_framework.filters.SearchFilter",
        "ukbot.core.api.filters.OrderingFilter",  # DRF's, the primary key breaking ties (stable pages)
    ],
    "EXCEPTION_HANDLER": "ukbot.core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ukbot.core.api.schema.ApiAutoSchema",
    # One throttle for every view: the user or anon bucket, plus the stricter buckets a view or query names.
    "DEFAULT_THROTTLE_CLASSES": ["ukbot.core.api.throttling.ApiRateThrottle"],
}
# Rate limits (DESIGN §8, docs/decisions/0023), counted in Redis. A request counts in the user bucket (signed in,
# per account) or the anon bucket (per client address), and also in each stricter bucket that applies to it.
# Sign-in counts per address, and per username on password sign-in.
_RATE = "a rate such as 600/min, 10/30s or off"
API_RATE_USER = env_parsed("API_RATE_USER", rate_setting, "600/min", expected=_RATE)
API_RATE_ANON = env_parsed("API_RATE_ANON", rate_setting, "120/min", expected=_RATE)
API_RATE_SIGN_IN = env_parsed("API_RATE_SIGN_IN", rate_setting, "30/min", expected=_RATE)
API_RATE_UPLOADS = env_parsed("API_RATE_UPLOADS", rate_setting, "120/hour", expected=_RATE)
API_RATE_EXPORTS = env_parsed("API_RATE_EXPORTS", rate_setting, "10/hour", expected=_RATE)
API_RATE_SEARCHES = env_parsed("API_RATE_SEARCHES", rate_setting, "60/min", expected=_RATE)
API_RATE_BULK_NOTIFICATIONS = env_parsed("API_RATE_BULK_NOTIFICATIONS", rate_setting, "20/hour", expected=_RATE)
API_MAX_PER_PAGE = env_int("API_MAX_PER_PAGE", 100, minimum=1)
IDEMPOTENCY_TTL = timedelta(hours=24)
# The OpenAPI schema and docs: public in development, for signed-in staff in production unless turned on.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", DEBUG)
# /metrics: a scraper sends this bearer token; unset, only direct calls from this machine's loopback are served.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or None
# Sign-in and token endpoints answer with live tokens: never stored, never replayed (decision 0003).
IDEMPOTENCY_EXEMPT_PATHS = ("/api/v1/auth/",)
SPECTACULAR_SETTINGS = {
    "TITLE": "UK Management Bot API",
    "DESCRIPTION": "REST API of the housing management service desk. Errors use the envelope of DESIGN §8.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["ukbot.core.api.permissions.ApiDocsReader"],  # public only with API_DOCS_PUBLIC
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ukbot.core.api.schema.add_error_catalogue",
    ],
}

# --- logging: JSON lines with the trace id ------------------------------------------------------------------
LOG_LEVEL = env_parsed(
    "LOG_LEVEL",
    lambda v: {"DEBUG", "INFO", "WARNING", "ERROR"}.intersection([v.upper()]).pop(),
    "INFO",
    expected="DEBUG, INFO, WARNING or ERROR",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace": {"()": "ukbot.core.logging.TraceIdFilter"}},
    "formatters": {"json": {"()": "ukbot.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["trace"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "httpx": {"level": "WARNING"},  # its INFO line per request shows the URL, which holds the bot token
    },
}

AUTH_USER_MODEL = "ukbot_auth.Account"

# --- sign-in: JWT access tokens, rotating refresh tokens, brute-force lockout ---------------------------------
ACCESS_TOKEN_MINUTES = env_int("ACCESS_TOKEN_MINUTES", 15, minimum=1)
REFRESH_TOKEN_DAYS = env_int("REFRESH_TOKEN_DAYS", 7, minimum=1)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ALGORITHM": "HS256",
    # A key of its own, derived from SECRET_KEY unless given: rotating it signs everybody out, nothing else.
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", None) or hashlib.sha256(f"jwt:{SECRET_KEY}".encode()).hexdigest(),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "LEEWAY": 5,
}
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 20, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 60, minimum=1)
# Second factor (docs/decisions/0007-mfa.md): a login challenge lives this long and works once.
MFA_CHALLENGE_SECONDS = 300
# Turning two-step sign-in on needs the password again, unless the session was opened this recently.
MFA_REAUTH_SECONDS = 300
# Staff with a second factor confirm it in the bot before staff actions, once per this many hours.
MFA_STEP_UP_HOURS = env_int("MFA_STEP_UP_HOURS", 12, minimum=1)
OTP_TOTP_ISSUER = "UK Management Bot"
# Wrong codes count toward the sign-in lockout above instead: django-otp's own per-device throttle would refuse
# even the right code for a while after a typo, with a second, differently worded answer.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
EVENTS_EXTRA_HANDLER_MODULES = env_list("EVENTS_EXTRA_HANDLER_MODULES", [])

# --- retention: old rows purged daily by beat, each app its own tables (docs/decisions/0030) -----------------
# Sent, failed and cancelled notifications (with their delivery attempts) finished this many days ago; queued
# and sending ones stay whatever their age.
NOTIFICATIONS_RETENTION_DAYS = env_int("NOTIFICATIONS_RETENTION_DAYS", 90, minimum=1)
# Sign-in attempts older than this; never fewer than the lockout still counts (its window and its day of strikes).
AUTH_ATTEMPTS_RETENTION_DAYS = env_int("AUTH_ATTEMPTS_RETENTION_DAYS", 90, minimum=1)
if AUTH_ATTEMPTS_RETENTION_DAYS * 86400 < LOGIN_FAILURE_WINDOW_SECONDS:
    raise ConfigError(
        "AUTH_ATTEMPTS_RETENTION_DAYS: must cover LOGIN_FAILURE_WINDOW_SECONDS, "
        "or attempts the lockout still counts would be purged"
    )
# Sign-in sessions this many days after they ended (revoked or expired); open sessions stay.
SESSIONS_RETENTION_DAYS = env_int("SESSIONS_RETENTION_DAYS", 30, minimum=1)
# Rows one purge deletes per transaction: short locks, and a purge that stops half-way keeps what it did.
RETENTION_BATCH = env_int("RETENTION_BATCH", 1000, minimum=1)

# --- demo data (manage.py seed_demo, run by `make run`) --------------------------------------------------------
DEMO = env_bool("DEMO", True)
# Demo people get this password; without it they exist but cannot sign in by password (no secret in the repo).
DEMO_PASSWORD = env_str("DEMO_PASSWORD", None)
