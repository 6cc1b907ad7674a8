# The image of web, worker and beat (docker-compose.yml). Debian 12 like the development
# machines, so GDAL, GEOS, PROJ and Chromium come from the same packages.
FROM debian:12-slim
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PATH=/app/.venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-venv python3-dev gcc libgdal32 libgeos-c1v5 libproj25 libsqlite3-mod-spatialite \
      gettext chromium fonts-noto-core fonts-dejavu-core postgresql-client curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN /usr/bin/python3 -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build .venv/bin/python manage.py collectstatic --noinput
RUN useradd --system --home /app conflictmap && mkdir -p /app/var && chown -R conflictmap /app/var
USER conflictmap
EXPOSE 8000
CMD ["gunicorn", "conflictmap.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
