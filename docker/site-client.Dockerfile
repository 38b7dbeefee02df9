# A hospital's site client on a GPU machine. tfjs-node-gpu 4.22 links libtensorflow 2.9, which needs
# CUDA 11.2 and cuDNN 8; its install script downloads libtensorflow, so it is explicitly allowed here
# (npm 11 skips dependency install scripts unless allowed). On CPU-only sites use the same image without
# the GPU reservation, or run the client with Node directly (`--engine wasm`).
# Build from the repository root: docker build -f docker/site-client.Dockerfile -t fedaln/site-gpu .
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

ARG NODE_MAJOR=20
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && mkdir -p /etc/apt/keyrings \
 && curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key \
    | gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg \
 && echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" \
    > /etc/apt/sources.list.d/nodesource.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && npm install -g npm@11 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm install --no-save --no-audit --no-fund -w @fedaln/model \
      --allow-scripts=@tensorflow/tfjs-node-gpu @tensorflow/tfjs-node-gpu@4.22.0 \
 && npm prune --omit=dev --no-audit --no-fund

RUN useradd --create-home --uid 10001 site && mkdir -p /work && chown site:site /work
USER site
ENV FEDALN_ENGINE=tensorflow-gpu
VOLUME ["/data", "/work"]
ENTRYPOINT ["node", "apps/site-client/bin/fedaln-site.js"]
CMD ["run", "--data", "/data", "--work-dir", "/work"]
