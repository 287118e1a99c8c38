# One image for both services: the default command runs the gateway, and docker-compose.yml
# runs the recorder from the same image with `command: deployment-ledger-recorder`.
#   docker build -t deployment-ledger .
#   docker run --rm deployment-ledger deployment-ledger-recorder --help

# Build stage: the same Debian 12 packages that infra/setup.sh installs for a local build.
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libboost1.81-dev librdkafka-dev libpqxx-dev \
      rapidjson-dev libgtest-dev libgmock-dev libssl-dev libspdlog-dev clang-format python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build \
      --target deployment-ledger-gateway deployment-ledger-recorder deployment-ledger-token

# Runtime stage: only the shared libraries the binaries link (libpq5, libstdc++ and the rest come
# in as dependencies of these), CA certificates, and curl for the compose health checks.
FROM debian:12-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libpqxx-6.4 libspdlog1.10 libfmt9 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ledger \
 && useradd --system --uid 10001 --gid ledger --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin ledger
COPY --from=build /build/services/gateway/deployment-ledger-gateway \
     /build/services/recorder/deployment-ledger-recorder \
     /build/services/token/deployment-ledger-token \
     /usr/local/bin/
COPY schemas/openapi.yaml /usr/share/deployment-ledger/openapi.yaml
# Inside a container the loopback default would make the gateway unreachable; the recorder
# ignores this variable.
ENV DEPLOYMENTS_LISTEN_ADDRESS=0.0.0.0
# Numeric, so that a runtime can verify that the user is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080 8081
CMD ["deployment-ledger-gateway"]
