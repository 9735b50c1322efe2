# `cordon serve` as an image: `docker build -t cordon .`, then
# `docker run -p 8181:8181 cordon` (the EAR policy is in the image; mount another over
# /srv/policies/ear to serve it, and it is reloaded when it changes).
#
# Stage 1 builds the release binary; stage 2 is a slim Debian with the binary, the policy and curl
# (for the compose healthcheck).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin cordon \
    && cp target/release/cordon /usr/local/bin/cordon

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 cordon
COPY --from=build /usr/local/bin/cordon /usr/local/bin/cordon
COPY policies/ear /srv/policies/ear
USER cordon
EXPOSE 8181
# SIGTERM (docker stop, Kubernetes) finishes the requests in flight, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["cordon", "serve", "--policy", "/srv/policies/ear", "--addr", "0.0.0.0:8181"]
