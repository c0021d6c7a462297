# b24metrics in a container. The warehouse lives on the /data volume; config comes from a
# mounted file (B24M_CONFIG) and B24M_* environment variables. The daemon comes later: until
# then the default command runs the demo cycle against the built-in sandbox portal.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --create-home b24metrics && mkdir /data && chown b24metrics /data

USER b24metrics
VOLUME ["/data"]
ENV B24M_WAREHOUSE__PATH=/data/b24metrics.duckdb
ENTRYPOINT ["b24metrics"]
CMD ["demo", "--dir", "/data"]
