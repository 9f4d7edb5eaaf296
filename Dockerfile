# scimulator in a container: the emulator on port 3002, bound to 0.0.0.0 inside.
#
#   docker build -t scimulator .
#   docker run --rm -p 3002:3002 -e SCIMULATOR_ADMIN_TOKEN=change-me scimulator
#
# Off loopback the control plane needs a chosen admin token: without SCIMULATOR_ADMIN_TOKEN
# the server refuses to start. Every `scimulator serve` flag has an SCIMULATOR_* twin.

# --- build: the release binary --------------------------------------------------------------
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# The revision `scimulator --version` prints (the build context has no .git):
#   docker build --build-arg SCIMULATOR_GIT_REV=$(git rev-parse --short=12 HEAD) -t scimulator .
ARG SCIMULATOR_GIT_REV=""
ENV SCIMULATOR_GIT_REV=${SCIMULATOR_GIT_REV}
COPY . .
RUN cargo build --release --locked -p scimulator --bin scimulator \
 && cp target/release/scimulator /usr/local/bin/scimulator

# --- run: a slim image, a non-root user ----------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin scimulator
COPY --from=build /usr/local/bin/scimulator /usr/local/bin/scimulator
USER 10001
ENV SCIMULATOR_BIND=0.0.0.0 \
    SCIMULATOR_PORT=3002
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${SCIMULATOR_PORT}/__admin/health" || exit 1
ENTRYPOINT ["scimulator"]
CMD ["serve"]
