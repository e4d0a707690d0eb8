# syntax=docker/dockerfile:1
# One image for the four services; the repository root is the build context (.dockerignore
# keeps it to the sources). The command picks the service: `python -m eigen_system_api`,
# `eigen_kernel`, `eigen_compiler` or `eigen_driver_manager` (deploy/docker-compose.yml,
# deploy/k8s/). /app/tools holds the container health check and the stack-secrets tool.
#
# Build stage: third-party dependencies from uv.lock first (a layer that survives source edits),
# then the workspace packages as real wheels (--no-editable), so the runtime stage needs no
# source tree and no uv.
FROM python:3.12-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-workspace
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY cli ./cli
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

FROM python:3.12-slim
LABEL org.opencontainers.image.title="eigen-os" \
      org.opencontainers.image.description="Eigen OS services: system-api, kernel, compiler, driver-manager"
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH="/app/.venv/bin:$PATH" HOME=/tmp
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin eigen \
    && mkdir -p /data /eigen/init /eigen/secrets /eigen/keys \
    && chown -R eigen /data /eigen
COPY --from=build /app/.venv /app/.venv
COPY deploy/image /app/tools
WORKDIR /app
USER 10001
EXPOSE 50051 8080 9101
CMD ["python", "-m", "eigen_system_api"]
