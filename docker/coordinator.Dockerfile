# The consortium lead's coordinator: NestJS REST + socket.io, PostgreSQL (DATABASE_URL) or embedded PGlite.
# Build from the repository root: docker build -f docker/coordinator.Dockerfile -t fedaln/coordinator .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
# In a container loopback is useless: listen on every interface, which the coordinator allows only
# with a certificate (FEDALN_TLS_CERT/FEDALN_TLS_KEY) or behind a TLS proxy (FEDALN_BEHIND_PROXY=1).
ENV NODE_ENV=production \
    FEDALN_DATA_DIR=/data \
    FEDALN_HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "require(process.env.FEDALN_TLS_CERT?'https':'http').get({host:'127.0.0.1',port:process.env.PORT||8080,path:'/healthz',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
ENTRYPOINT ["node", "apps/coordinator/bin/fedaln-coordinator.js"]
CMD ["serve"]
