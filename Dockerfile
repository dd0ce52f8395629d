# syntax=docker/dockerfile:1
# Multi-stage build: cargo-leptos builds the server and the wasm bundle; the runtime image holds
# only the binary, the site files and Leptos.toml, and runs as a non-root user.
# It cannot be built on the development machines (no Docker engine there): it follows the same
# recipe as .ci/install-tools, which is tested on every CI run.

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
# wasm-opt for the release build of the browser bundle (Debian's binaryen is too old).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && npm install --global binaryen@132 \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo leptos build --release \
 && cp target/release/social-media-uploader /usr/local/bin/social-media-uploader

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/data \
 && chown app /app/data
WORKDIR /app
COPY --from=build /usr/local/bin/social-media-uploader /app/social-media-uploader
COPY --from=build /src/target/site /app/site
COPY Leptos.toml /app/Leptos.toml
# Leptos.toml is the runtime configuration; these override it for the container.
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:8097 \
    LEPTOS_ENV=PROD \
    DATA_DIR=/app/data \
    LOG_FORMAT=json
USER app
EXPOSE 8097
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["/app/social-media-uploader", "healthcheck"]
CMD ["/app/social-media-uploader"]
