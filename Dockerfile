# kn-mesh serve, the eventmesh backend, as an image:
#   docker build -t kn-mesh:dev --build-arg KN_MESH_COMMIT=$(git rev-parse --short=12 HEAD) .
# The build stage and the runtime base are both Debian 12 (bookworm), so the binary's glibc
# (2.36) is the one it runs on; tests/it/ship.rs checks the binary it builds the same way.
FROM rust:1.89-bookworm AS build
WORKDIR /src
# The manifest names benches; demo/ and assets/ are compiled in (include_str!).
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY assets ./assets
COPY demo ./demo
COPY benches ./benches
ARG KN_MESH_COMMIT=unknown
ENV KN_MESH_COMMIT=${KN_MESH_COMMIT}
RUN cargo build --release --locked --bin kn-mesh

# distroless/cc: glibc and libgcc, no shell; :nonroot runs as UID 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/kn-mesh /usr/local/bin/kn-mesh
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["kn-mesh", "serve", "--addr", "0.0.0.0:8080"]
