# tsredis-server image on the official Node base image (Alpine: small).
# Build: docker build -t tsredis:latest .   Run: docker run -p 127.0.0.1:6379:6379 tsredis:latest
# The seed's topology: docker compose up -d (docker-compose.yml, config files in docker/).

FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
# Dev dependencies bring the TypeScript compiler; no install scripts (no browser or other downloads).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
# tsredis has no runtime dependencies: the compiled sources and package.json ("type": "module") suffice.
COPY package.json ./
COPY --from=build /src/dist/src ./dist/src
RUN chmod +x dist/src/bin/*.js \
 && ln -s /app/dist/src/bin/tsredis-server.js /usr/local/bin/tsredis-server \
 && ln -s /app/dist/src/bin/tsredis-cli.js /usr/local/bin/tsredis-cli \
 && ln -s /app/dist/src/bin/tsredis.js /usr/local/bin/tsredis \
 && mkdir -p /data /usr/local/etc/redis \
 && chown node:node /data
USER node
# Data (dump.rdb, appendonlydir) goes to the working directory, like the official redis image.
WORKDIR /data
VOLUME /data
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD tsredis-cli ping | grep -q PONG
# Without a config file: listen on every interface, like the official redis image's default.
CMD ["tsredis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]
