# syntax=docker/dockerfile:1
# cd8-node: build with the dev toolchain, run on a slim image as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles a native addon.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    CD8_DATA_DIR=/data \
    CD8_LOG_FORMAT=json
WORKDIR /app
RUN groupadd --system cd8 && useradd --system --gid cd8 --home-dir /app cd8 \
    && mkdir -p /data && chown cd8:cd8 /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN ln -s /app/dist/cli.js /usr/local/bin/cd8-node && chmod +x /app/dist/cli.js
USER cd8
VOLUME ["/data"]
# DICOM listener; the HTTP health endpoint stays on the container's loopback unless http.bind is changed.
EXPOSE 11112
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD node /app/dist/cli.js echo "${CD8_AE_TITLE:-CD8NODE}@127.0.0.1:${CD8_PORT:-11112}" --timeout 5 || exit 1
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve"]
