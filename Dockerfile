# Tributary in a container: build everything in a full Node 20 image (native addons such as zstd-napi compile
# with node-gyp here), then run from a slim image of the same Debian release so the compiled addons still load.
#
# The broker listens on 9092 (all interfaces, advertised as localhost:9092) and keeps its data in /data:
#   docker run -p 9092:9092 -v tributary-data:/data tributary
# With Kafka's own server.properties instead of the defaults:
#   docker run -p 9092:9092 -v "$PWD/server.properties:/etc/tributary/server.properties:ro" -v tributary-data:/data \
#     tributary node packages/cli/dist/main.js start /etc/tributary/server.properties --override log.dirs=/data
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# The broker runs as the unprivileged node user, so its data directory must be that user's.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
EXPOSE 9092
USER node
# log.dirs: the default, ./data, would be inside /app, which the node user cannot write.
CMD ["node", "packages/cli/dist/main.js", "start", "--override", "log.dirs=/data"]
