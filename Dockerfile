# Q-Info application image: web (gunicorn), Celery worker and beat share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint needs Pango and HarfBuzz (with subsetting, so PDFs embed only the glyphs used).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home qinfo && mkdir -p var/media var/staticfiles && chown -R qinfo var
RUN DJANGO_SETTINGS_MODULE=qinfo.settings.base python manage.py collectstatic --noinput -v0
USER qinfo
EXPOSE 8000
CMD ["gunicorn", "qinfo.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
