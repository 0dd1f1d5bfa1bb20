# The cohort image: the CLI with every app built. `cohort server` runs a coordinator,
# `cohort worker` a worker pool of the scaled mode (docker-compose.yml, deploy/k8s).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json turbo.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production
EXPOSE 7711 7712 7713
ENTRYPOINT ["node", "apps/cli/dist/main.js"]
CMD ["server", "--host", "0.0.0.0", "--data", "/data"]
