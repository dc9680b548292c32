# flashd as a container: a static binary (pure-Go SQLite, no cgo) on a
# distroless base with no shell, running as a non-root user, its database
# on a volume. Build and run:
#
#   docker build -t flashd .
#   docker run -d -p 8080:8080 -v flashd-data:/data flashd
#
# The HEALTHCHECK asks the server's /readyz through the binary itself
# (the image has no curl).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/flashd ./cmd/flashd \
    && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/flashd /flashd
# The volume's mount point, owned by the image's non-root user, so a new
# named volume starts writable for it.
COPY --from=build --chown=65532:65532 /out/data /data
ENV FLASHD_ADDR=0.0.0.0:8080 FLASHD_DB=/data/flashd.db FLASHD_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/flashd", "healthcheck"]
ENTRYPOINT ["/flashd"]
CMD ["serve"]
