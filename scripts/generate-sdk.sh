#!/usr/bin/env bash
# Regenerates docs/openapi.json from what the server serves, then the SDK in sdk/src/generated
# from it with @hey-api/openapi-ts. Run after changing any HTTP API controller or DTO, and commit
# both: openapi.drift.spec.ts and sdk.e2e-spec.ts fail while either is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_OPENAPI=1 NODE_OPTIONS='--experimental-vm-modules --no-warnings=ExperimentalWarning' \
  npx jest apps/server/src/http/openapi/openapi.drift.spec.ts
rm -rf sdk/src/generated
npx openapi-ts -i ./docs/openapi.json -o ./sdk/src/generated \
  -c @hey-api/client-fetch -p @hey-api/typescript @hey-api/sdk --no-log-file --silent
echo "regenerated docs/openapi.json and sdk/src/generated"
