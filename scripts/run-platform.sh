#!/usr/bin/env bash
# Start the Celery worker (inference queue, model held in memory) and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${DERM_HOST:-127.0.0.1}"
PORT="${DERM_PORT:-8000}"

.venv/bin/celery -A dermplatform worker --beat --schedule var/celerybeat-schedule -Q default,inference --concurrency 1 --loglevel info &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true; wait $WORKER 2>/dev/null || true' EXIT INT TERM

echo "DermPlatform at http://$HOST:$PORT/ (worker pid $WORKER). Ctrl-C stops both."
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload
