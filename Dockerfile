# syntax=docker/dockerfile:1
# One image for every CME process. The Kubernetes manifests choose what it runs:
#   python -m services.<name>            a service (intake, triage, casework, review, notify)
#   python -m services.<name> migrate    that service's Alembic migrations
#   python -m cme_runtime.relay_main     the outbox relay
#
# Base images are pinned by tag. A release build also pins them by digest, so that a re-pushed tag cannot change
# what we ship: read the digest with
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# and pass it in, e.g. --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest> (likewise NODE_IMAGE).
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:22-bookworm-slim

# GOV.UK Frontend's built CSS, JavaScript, fonts and images, at the version package-lock.json pins.
FROM ${NODE_IMAGE} AS frontend
WORKDIR /build
COPY services/casework/entrypoints/web/frontend/package.json services/casework/entrypoints/web/frontend/package-lock.json services/casework/entrypoints/web/frontend/
COPY scripts/frontend.sh scripts/
RUN bash scripts/frontend.sh

# The locked runtime dependencies, without the project itself, so this layer is reused until uv.lock changes.
FROM ${PYTHON_IMAGE} AS dependencies
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir --root-user-action=ignore uv==0.13.8
WORKDIR /build
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

FROM ${PYTHON_IMAGE} AS runtime
# Bytecode is compiled at build time below: the root filesystem is read-only at run time.
# CME_HTTP_HOST: a container's loopback cannot be reached from outside the container.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    CME_HTTP_HOST=0.0.0.0
RUN groupadd --system --gid 10001 cme \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin cme
COPY --from=dependencies /opt/venv /opt/venv
WORKDIR /app
COPY contracts contracts
COPY cme_runtime cme_runtime
COPY services services
COPY --from=frontend /build/services/casework/entrypoints/web/static/vendor services/casework/entrypoints/web/static/vendor
RUN python -m compileall -q contracts cme_runtime services
# Numeric, so that the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "services.casework"]
