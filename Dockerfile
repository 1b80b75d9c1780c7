# syntax=docker/dockerfile:1
#
# One image recipe for every service in apps/. Pick the service at build time:
#
#   docker build --build-arg SERVICE=user-service -t eventshop/user-service:dev .
#
# docker-compose.yml and k8s/ build/use exactly this. The port is not baked in: each service reads
# PORT (its default is the "eventshop.port" in apps/<service>/package.json), and compose/k8s declare
# the port mapping, so there is deliberately no per-service EXPOSE here.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# --- manifests: only package.json files + the lockfile ---------------------------------------------
# `npm ci` needs every workspace's package.json, wherever it lives (libs/*, apps/*, e2e, tools/*...).
# Copying the whole context and deleting everything else keeps the layer below cached until a
# dependency actually changes, without listing workspaces here (they change as apps are added).
FROM base AS manifests
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \
 && find . -type d -empty -delete

# --- deps: full install (dev deps included, the build needs TypeScript) ----------------------------
# Native modules (bcrypt) ship prebuilt binaries for linux x64/arm64 glibc, so no compiler is needed.
FROM base AS deps
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm ci

# --- build: compile every workspace (tsc -b), then drop dev dependencies ----------------------------
# Sources and incremental-build state are not needed at run time (only dist/ and package.json are),
# so they are removed here, before the runtime stage copies libs/ and the app.
FROM deps AS build
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && find apps libs -mindepth 2 -maxdepth 2 -type d -name src -exec rm -rf {} + \
 && find apps libs -name '*.tsbuildinfo' -delete

# --- runtime: slim image, one service, non-root --------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<folder under apps/>' >&2; exit 1; }
# MALLOC_ARENA_MAX: the dev runner's SERVICE_PROCESS_ENV (two glibc malloc arenas, not one per
# thread: less memory kept that nothing uses).
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root and only readable by the app user: the process cannot rewrite its own code.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
# Only this service's app folder; its package.json is read at run time (the "eventshop" block).
# node_modules/@eventshop/<other apps> are then dangling workspace links, which nothing imports.
COPY --from=build /app/apps/${SERVICE} ./apps/${SERVICE}
RUN test -f "apps/${SERVICE}/dist/main.js"
# The official node images ship the unprivileged user "node" (uid/gid 1000); k8s runs it as 1000 too.
USER node
# Shell form so ${SERVICE} is expanded at run time; `exec` makes node PID 1, so it receives SIGTERM
# from `docker stop` / k8s directly and can shut down gracefully. The V8 flags are the dev runner's
# SERVICE_NODE_FLAGS (a small young generation, an old one that grows by a quarter: the heap stays
# near what is live, ≤ 150 MB of RSS under load). The tracing
# preload runs first (it must, to instrument http and pg); it starts nothing unless
# OTEL_EXPORTER_OTLP_ENDPOINT is set.
CMD exec node --max-semi-space-size=1 --heap-growing-percent=25 --import ./libs/platform/dist/tracing/register.js "apps/${SERVICE}/dist/main.js"
