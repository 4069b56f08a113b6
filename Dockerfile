# syntax=docker/dockerfile:1

# Build stage: a static binary (pure-Go SQLite driver, so no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/inspraak . \
 && mkdir -p /out/data

# Final stage: no shell, no package manager; CA certificates and the
# nonroot user (65532) come with the base image.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/inspraak /inspraak
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# The image never seeds demo accounts with their public password.
ENV DATA_DIR=/data ADDR=:8080 DEMO_ON_EMPTY=false
VOLUME ["/data"]
EXPOSE 8080
# There is no curl in this image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/inspraak", "healthcheck"]
ENTRYPOINT ["/inspraak"]
CMD ["serve"]
