# syntax=docker/dockerfile:1
# Spool broker image. Two stages: `build` compiles with the dev toolchain, `runtime` carries only
# the compiled output and production dependencies, and runs as the unprivileged `node` user.
#   docker build -t spool .
#   docker run -p 8080:8080 -p 9092:9092 -v spool-data:/data -e SPOOL_ADMIN_API_KEY=spk_... spool
# Authentication is on (SPOOL_AUTH=on): SPOOL_ADMIN_API_KEY (or _FILE) is the first admin's key.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so editing source does not invalidate the install layer. `npm install`, not
# `npm ci`: see docs/decisions.md (the lockfile cannot list other platforms' optional binaries).
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
COPY client ./client
COPY sdk ./sdk
RUN npm run build && npm run build:client && npm run build:console && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SPOOL_DATA_DIR=/data \
    SPOOL_HOST=0.0.0.0 \
    SPOOL_AUTH=on \
    SPOOL_HTTP_PORT=8080 \
    SPOOL_KAFKA_PORT=9092
WORKDIR /app
# The data directory belongs to `node` (uid 1000): a fresh named volume inherits this ownership.
RUN mkdir -p /data && chown node:node /data
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Served by the broker: the browser client (/client/*.js), the AsyncAPI document (/asyncapi.yaml) and the console.
COPY --from=build /app/client/dist ./client/dist
# The web console at /console/ (static files, built above by Vite).
COPY --from=build /app/apps/console/dist ./apps/console/dist
COPY docs/asyncapi.yaml ./docs/asyncapi.yaml
# `docker exec <container> spool topic list` (the CLI talks to the broker over its HTTP port).
RUN chmod 755 dist/apps/cli/src/main.js && ln -s /app/dist/apps/cli/src/main.js /usr/local/bin/spool
USER node
VOLUME ["/data"]
EXPOSE 8080 9092
# Ready, not merely alive: a node recovering its logs is not yet "healthy". No curl in slim: use node.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SPOOL_HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (graceful shutdown, exit 0); no shell wrapper in between.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/server/src/main.js"]
