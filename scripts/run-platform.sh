#!/usr/bin/env bash
# Start the Celery worker (inference queue, model held in memory), the scheduler (exactly one: it sweeps lost
# tasks) and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${DERM_HOST:-127.0.0.1}"
PORT="${DERM_PORT:-8000}"

.venv/bin/celery -A dermplatform worker -Q default,inference --concurrency 1 --loglevel info &
WORKER=$!
.venv/bin/celery -A dermplatform beat --schedule var/celerybeat-schedule --loglevel info &
BEAT=$!
trap 'kill $WORKER $BEAT 2>/dev/null || true; wait $WORKER $BEAT 2>/dev/null || true' EXIT INT TERM

echo "DermPlatform at http://$HOST:$PORT/ (worker pid $WORKER, scheduler pid $BEAT). Ctrl-C stops them all."
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload
