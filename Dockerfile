# Multi-stage build: compile on bookworm, run on bookworm-slim with only the
# runtime libraries, as a non-root user.
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev \
      prometheus-cpp-dev libgoogle-perftools-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include include
COPY src src
COPY tools tools
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCKG_BUILD_TESTS=OFF \
 && cmake --build build --target chatkit-gateway \
 && strip build/bin/chatkit-gateway

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libssl3 libprometheus-cpp-core1.0 libtcmalloc-minimal4 libhiredis0.14 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/chatkit-gateway /usr/local/bin/chatkit-gateway
USER 65532:65532
EXPOSE 8443 9090
ENTRYPOINT ["/usr/local/bin/chatkit-gateway"]
# The path deploy/ mounts its ConfigMap directory at (docs/operations.md, Kubernetes).
CMD ["--config", "/etc/chatkit-gateway/config/config.json"]
