# syntax=docker/dockerfile:1
# Multi-stage build. The build stage installs the tools with the script CI uses
# (.ci/install-tools) and builds with the script CI's release smoke test runs
# (scripts/build-release): what CI starts and tests is laid out exactly as this image holds it.
# The runtime image holds only the binary, the site and Leptos.toml, and runs as a non-root user.

FROM rust:1.95-bookworm AS build
# npm for binaryen's wasm-opt (Debian's binaryen is too old for the release wasm).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The tools first, in a layer of their own that changes only with their pins.
COPY .ci/install-tools .ci/install-tools
COPY Cargo.lock Cargo.lock
COPY end2end/package.json end2end/package-lock.json end2end/
RUN .ci/install-tools build
COPY . .
RUN scripts/build-release /out

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /out /app
RUN mkdir -p /app/data && chown app /app/data
# Leptos.toml (from scripts/build-release) is the runtime configuration; these override it for the
# container. Demo mode is never on in the image: a deployment configures its Facebook App.
ENV LEPTOS_SITE_ADDR=0.0.0.0:8097 \
    DATA_DIR=/app/data \
    LOG_FORMAT=json \
    DEMO_MODE=false
USER app
EXPOSE 8097
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["/app/social-media-uploader", "healthcheck"]
CMD ["/app/social-media-uploader"]
