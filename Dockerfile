# syntax=docker/dockerfile:1
# BiFrost gateway image. Build: docker build -t bifrost .
# Runs the compiled gateway (`node dist/src/main.js`); the same image runs the bundled example
# modules with `npx tsx examples/run-examples.ts` (tsx is a production dependency).
# Checked against the code by test/unit/deploy-manifests.test.ts.

# ---- stage 1: install everything, generate the Prisma client, compile TypeScript -> dist/
FROM node:20-slim AS build
WORKDIR /app
# Prisma 7 only needs its wasm query compiler at run time; any existing file here stops the
# schema-engine download during `prisma generate` (never /bin/true, see NOTES.md).
ENV PRISMA_SCHEMA_ENGINE_BINARY=/bin/false
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# postinstall applies patches/ (patch-package) before generating the Prisma client.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY examples ./examples
RUN npx prisma generate \
 && npm run build \
 && cp -r examples/specs dist/examples/specs \
 && npm prune --omit=dev --no-audit --no-fund

# ---- stage 2: runtime, production dependencies only, non-root
FROM node:20-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/.data/pglite \
    MESHRC_PATH=none
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# Migrations are applied at start-up (src/registry/migrate.ts looks for prisma/migrations).
COPY --from=build --chown=node:node /app/prisma ./prisma
# The example modules (run with tsx from source in docker-compose).
COPY --from=build --chown=node:node /app/examples ./examples
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `node` directly (not npm) so SIGTERM reaches the gateway, which drains before exiting.
# A larger young generation: a joined query allocates many short-lived objects (see README, Benchmarks).
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
