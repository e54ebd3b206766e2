#!/usr/bin/env bash
# Sets up, builds and starts retrod on an embedded RocksDB under ./var/.
# The root token is created in ./var/root_token (mode 0600) on first start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/deploy/dev/setup.sh"
mkdir -p "$ROOT/var"
echo "serve: root token file: $ROOT/var/root_token"
exec "$BUILD_DIR/services/server/retrod" \
  --listen="${RETRO_LISTEN:-127.0.0.1:50051}" \
  --data_dir="$ROOT/var/data" \
  --root_token_file="$ROOT/var/root_token" "$@"
