#!/usr/bin/env bash
# Reproduce the vendored third-party files of the chat widget from the exact versions pinned in
# package.json / package-lock.json. Embedders never need this: the results are committed.
#
#   static/vendor/socket.io.min.js   socket.io-client 4.8.1 prebuilt browser build (MIT; protocol v5,
#                                    matching python-socketio 5.x / python-engineio 4.x used by Rasa 3.6)
#   test-vendor/axe.min.js           axe-core 4.10.3 (MPL-2.0), injected by the browser tests only
#
# Usage: bot/webchat/vendor.sh   (needs node + npm; installs into a temporary folder, not into the tree)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund)
mkdir -p "$here/static/vendor" "$here/test-vendor"
cp "$tmp/node_modules/socket.io-client/dist/socket.io.min.js" "$here/static/vendor/socket.io.min.js"
cp "$tmp/node_modules/socket.io-client/LICENSE" "$here/static/vendor/socket.io-client.LICENSE"
cp "$tmp/node_modules/axe-core/axe.min.js" "$here/test-vendor/axe.min.js"
cp "$tmp/node_modules/axe-core/LICENSE" "$here/test-vendor/axe-core.LICENSE"
# The min file ends with a source-map comment; the map is not vendored, so drop the comment
# (otherwise browsers' developer tools ask the server for a file that is not there).
sed -i '/^\/\/# sourceMappingURL=/d' "$here/static/vendor/socket.io.min.js"
(cd "$here" && sha256sum static/vendor/socket.io.min.js test-vendor/axe.min.js)
