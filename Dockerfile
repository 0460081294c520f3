# The recommender's HTTP API under gunicorn. Build:  docker build -t recommender .
# Run:  docker run --rm -p 8080:8080 --read-only --tmpfs /tmp recommender
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
# the same Python with gcc and its headers, to compile the engine's hot modules (recommender/compiled.py)
ARG BUILD_IMAGE=python:3.11.14-bookworm

# --- build: a wheel of this project (knowledge/ inside, the hot modules compiled with mypyc) and a venv with
# the runtime dependencies only; mypy and setuptools stay in /opt/build, which the image does not keep ---
FROM ${BUILD_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.txt requirements-build.txt ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt \
    && python -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir -r requirements.txt -r requirements-build.txt
COPY pyproject.toml setup.py README.md ./
COPY recommender ./recommender
COPY api ./api
COPY knowledge ./knowledge
RUN RECOMMENDER_COMPILE=1 /opt/build/bin/pip wheel --no-cache-dir --no-build-isolation --no-deps \
        --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps /wheels/*.whl \
    && /opt/venv/bin/recommender kb validate \
    && /opt/venv/bin/python -P -c "import recommender; assert recommender.ENGINE_BUILD == 'compiled'"

# --- runtime: the venv, a non-root user, nothing else ---
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RECOMMENDER_BIND=0.0.0.0:8080 \
    RECOMMENDER_WORKERS=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/recommender-metrics
RUN useradd --system --no-log-init --uid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin recommender
# Graphviz's dot draws the topology diagrams (Accept: image/svg+xml on POST /v1/evaluations).
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz=2.42.2-7+deb12u1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
# Nothing is written at run time except to /tmp (and /dev/shm for gunicorn's heartbeats):
# the image works with --read-only --tmpfs /tmp.
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('RECOMMENDER_BIND', ':8080').rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
ENTRYPOINT ["gunicorn", "--config", "python:api.gunicorn_conf", "api:create_app()"]
