# Tributary in a container: build everything in a full Node 20 image (native addons such as zstd-napi compile
# with node-gyp here), then run from a slim image of the same Debian release so the compiled addons still load.
#
# The start command runs packages/cli/dist/main.js, which the cli package builds once it exists; until then
# the image builds but has no broker to start. Mount a server.properties and a data volume, e.g.
#   docker run -p 9092:9092 -v "$PWD/server.properties:/etc/tributary/server.properties" -v tributary-data:/data tributary
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
CMD ["node", "packages/cli/dist/main.js", "start"]
