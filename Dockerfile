# Petrel's image. BASE is any Debian bookworm with Node 20 and npm; the default
# comes from a registry, `--build-arg BASE=…` names a local one.
#
#   docker build -t petrel .                    # `petrel serve` (hcl/petrel.hcl)
#   docker build --target builder -t petrel-builder .   # `petrel exec` with the Nix client (hcl/builder.hcl)
ARG BASE=node:20-bookworm-slim

# Compile the TypeScript and keep only the production dependencies.
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Node, the compiled code, git and flock (for `petrel fetch`), the job specs; no compilers.
FROM ${BASE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin petrel
WORKDIR /opt/petrel
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY hcl ./hcl
COPY example ./example
RUN chmod +x dist/cli.js && ln -s /opt/petrel/dist/cli.js /usr/local/bin/petrel
ENTRYPOINT ["petrel"]

# The executor of hcl/builder.hcl: build scripts run nix-build against the
# node's nix-daemon through the /nix volume, so the image carries the client.
# Nomad runs each task as the job's user (nobody, the checkout user).
FROM runtime AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends nix-bin \
 && rm -rf /var/lib/apt/lists/*
USER nobody
CMD ["exec"]

# `petrel serve`, the default target.
FROM runtime AS serve
USER petrel
ENV PETREL_LISTEN=0.0.0.0:8080
EXPOSE 8080
CMD ["serve"]
