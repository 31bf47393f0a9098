# syntax=docker/dockerfile:1
# One image for every process of UK Management Bot: web (the default command), Celery worker and beat, the
# Telegram bot and the migrate job; docker-compose.yml shows each one's command.

# --- builder: the project and its dependencies in a virtual environment -------------------------------------
FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone (empty packages stand in for the code), so that a change to the
# code reuses this slow layer. The embedded servers of `make run` (the `devstack` extra) are not installed.
COPY pyproject.toml ./
RUN mkdir ukbot bot \
    && touch ukbot/__init__.py bot/__init__.py \
    && pip install . \
    && rm -rf ukbot bot build ./*.egg-info
COPY . ./
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# --- runtime ------------------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
# PYTHONPATH puts the source under /app first: templates, static and locale files live there, beside the code.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=ukbot.settings \
    UKBOT_VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    WEB_WORKERS=3
# PostgreSQL's client tools for `manage.py backup` and `restore`, from the PostgreSQL project's own apt repository
# (Debian's are older than the server), of the server's major version: pg_dump refuses a newer server, and a newer
# pg_dump writes settings an older server rejects on restore. Keep it equal to compose's postgres image.
ARG PG_CLIENT_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && . /etc/os-release \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc]" \
        "https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_CLIENT_MAJOR}" \
    && apt-get purge -y --auto-remove curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ukbot \
    && useradd --system --uid 10001 --gid ukbot --create-home --home-dir /home/ukbot --shell /usr/sbin/nologin ukbot
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The context holds only what .dockerignore lets through: manage.py, pyproject.toml, the packages, locale/.
COPY . ./
# Static files are collected once, at build time, and served by whitenoise. Settings refuse to load without
# their variables, so this step alone gets throw-away values; none of them reaches the running container.
RUN DJANGO_DEBUG=0 SECRET_KEY=build-time-only-not-a-secret-0123456789abcdef ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost:5432/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput
# The code stays root-owned and read-only for the app; only var/ (local media files) is writable.
RUN mkdir -p /app/var/media && chown -R ukbot:ukbot /app/var
USER ukbot
EXPOSE 8000
# Django answers only hosts in ALLOWED_HOSTS, so the probe names the first of them (".example.com" -> example.com).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-c", "import os, sys, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]
# gunicorn does not rewrite REMOTE_ADDR from X-Forwarded-For (its --forwarded-allow-ips covers the scheme
# headers only): behind a reverse proxy, set TRUSTED_PROXIES to its network (e.g. TRUSTED_PROXIES=10.0.0.0/8) so
# the app reads the client's address from the header; the default trusts nobody.
# --preload loads the app once in the master: a configuration error stops the container with one line instead
# of gunicorn respawning workers that die at import. Workers share their Prometheus metrics through a fresh
# directory (prometheus_client's multi-process mode). exec hands signals straight to gunicorn.
CMD ["sh", "-c", "export PROMETHEUS_MULTIPROC_DIR=/tmp/ukbot-metrics && rm -rf $PROMETHEUS_MULTIPROC_DIR && mkdir -p $PROMETHEUS_MULTIPROC_DIR && exec gunicorn ukbot.wsgi --preload --bind 0.0.0.0:8000 --workers ${WEB_WORKERS:-3} --timeout 60 --graceful-timeout 30 --keep-alive 5 --max-requests 2000 --max-requests-jitter 200 --worker-tmp-dir /dev/shm --access-logfile -"]
