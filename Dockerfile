# The filiere API image used by docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY filiere ./filiere
RUN pip install --no-cache-dir . && useradd --create-home filiere && mkdir /data && chown filiere /data
USER filiere
EXPOSE 8000
CMD ["filiere", "serve", "--host", "0.0.0.0", "--port", "8000"]
