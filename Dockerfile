# syntax=docker/dockerfile:1.7
#
# Production image for the logistics service.
#
#   docker build -t logistics:local .
#   docker run --rm -p 4103:4103 -p 4104:4104 -e LOGISTICS_DATABASE_URL=... logistics:local
#
# The runtime stage contains only the virtual environment: the project is
# installed non-editable (src/logistics, gen/python/bengobox and the SQL
# migrations are packed into the wheel by hatchling), so no source tree is
# needed at run time. The `embedded` extra and the dev group are never installed.

# Both stages MUST use the same Python image: the venv's interpreter is a
# symlink to /usr/local/bin/python3.12 of the base image.
ARG PYTHON_IMAGE=python:3.12-slim
ARG UV_VERSION=0.13.8

########################################################################
# Builder
########################################################################
FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# 1) Third-party dependencies only: this layer is rebuilt only when the
#    lock file (or pyproject.toml) changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project --no-editable

# 2) The project itself, built as a wheel and installed non-editable.
#    (One COPY per directory: `COPY a b ./` would flatten their contents.)
COPY src ./src
COPY gen ./gen
COPY migrations ./migrations
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable \
 && /app/.venv/bin/python -c "import logistics, bengobox" \
 && test -x /app/.venv/bin/logistics

########################################################################
# Runtime
########################################################################
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/app/.venv/bin:${PATH}"

RUN groupadd --system --gid 10001 logistics \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin logistics \
 && mkdir -p /data/blobs && chown 10001:10001 /data/blobs

WORKDIR /app

# Owned by root and read-only for the service user.
COPY --from=builder /app/.venv /app/.venv

USER 10001:10001

# 4103: HTTP (Connect, gRPC-web, /healthz, /readyz, /metrics); 4104: gRPC.
EXPOSE 4103 4104

# slim has no curl: use the standard library. urlopen raises on non-2xx.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LOGISTICS_HTTP_PORT', '4103') + '/healthz', timeout=3)"]

# The server drains on SIGTERM within LOGISTICS_SHUTDOWN_GRACE_SECONDS and exits 0.
STOPSIGNAL SIGTERM

CMD ["logistics", "serve"]
