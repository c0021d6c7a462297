# b24metrics in a container: the daemon (`b24metrics run`) by default. The warehouse lives on
# the /data volume; config comes from a file mounted at /config/b24metrics.toml (optional: it is
# read when present) and from B24M_* environment variables, the webhook preferably from the
# environment. `docker run -v b24m-demo:/demo ... b24metrics demo --dir /demo` runs the demo
# against the built-in sandbox portal on a volume of its own (it refuses a directory holding a
# warehouse it did not make). Not built on the machine this was written on (no Docker engine there).
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --create-home b24metrics \
    && mkdir /data /config && chown b24metrics /data

USER b24metrics
VOLUME ["/data"]
# b24metrics reads ./b24metrics.toml when it exists, so a file mounted here is picked up and
# none is required.
WORKDIR /config
ENV B24M_WAREHOUSE__PATH=/data/b24metrics.duckdb
# The nightly sweep's daemon.sweep_at is read in this zone.
ENV TZ=UTC
# 127.0.0.1 inside the container cannot be reached from outside it, even through a published
# port: listen on the container's interfaces, and publish the port to the host's loopback only
# (-p 127.0.0.1:9310:9310).
ENV B24M_DAEMON__HOST=0.0.0.0
ENV B24M_DAEMON__PORT=9310
EXPOSE 9310
# /healthz answers 503 once the last successful cycle is older than daemon.health_max_age_seconds.
HEALTHCHECK --interval=60s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('B24M_DAEMON__PORT', '9310'), timeout=4)"]
# SIGTERM lets the page or batch under way finish and commit, then exits 0. Give it more than
# Docker's default 10 s before SIGKILL: docker run --stop-timeout 120 (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["b24metrics"]
CMD ["run"]
