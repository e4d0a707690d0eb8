# One image for all four services; the repository root is the build context.
# The service is chosen by the command (see deploy/docker-compose.yml), e.g. `python -m eigen_kernel`.
FROM python:3.12-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY cli ./cli
RUN uv sync --frozen --no-dev && useradd --system --uid 10001 eigen && mkdir -p /data && chown eigen /data
ENV PATH="/app/.venv/bin:$PATH"
USER eigen
CMD ["python", "-m", "eigen_system_api"]
