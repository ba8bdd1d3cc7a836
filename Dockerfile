FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DERM_VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml ./
COPY dermplatform ./dermplatform
COPY patients ./patients
COPY diagnosis ./diagnosis
COPY ml ./ml
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-real-key-000000000000000000000 \
    python manage.py collectstatic --noinput
RUN useradd --create-home derm && mkdir -p /app/var && chown derm /app/var
USER derm
EXPOSE 8000
CMD ["gunicorn", "dermplatform.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
