# The product's image for an office's own server (see docker-compose.yml).

# The dashboard's charts: Apache ECharts from the npm registry, pinned in package-lock.json.
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && mkdir -p /assets/echarts && cp node_modules/echarts/dist/echarts.min.js /assets/echarts/

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
COPY . .
COPY --from=assets /assets/ static/vendor/
RUN pip install . \
 && python -c "import glob,subprocess;[subprocess.run(['msgfmt','-o',p[:-3]+'.mo',p],check=True) for p in glob.glob('locale/*/LC_MESSAGES/*.po')]" \
 && SECRET_KEY=build DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput -v 0

RUN useradd --system --uid 1000 mutualaid && mkdir -p /app/media && chown mutualaid /app/media
USER mutualaid
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
