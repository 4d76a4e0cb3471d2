#!/usr/bin/env bash
# The vault end to end in a throw-away home: init, store, rotate, read back, look for plaintext.
set -euo pipefail

BOTWARDEN_HOME="$(mktemp -d)/botwarden-home"
export BOTWARDEN_HOME BOTWARDEN_DEPLOYMENT=dev
trap 'rm -rf "$(dirname "$BOTWARDEN_HOME")"' EXIT

CANARY="demo-$(python -c 'import secrets; print(secrets.token_urlsafe(18))')"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$@"; "$@"; }

run botwarden init
step "echo '{\"username\": \"invoice-bot\", \"password\": \"<canary>\"}' | botwarden secret put prod:erp/login --max-age 90d"
printf '{"username": "invoice-bot", "password": "%s"}' "$CANARY" \
  | botwarden secret put prod:erp/login --max-age 90d
run botwarden secret get prod:erp/login
run botwarden key rotate --env prod
run botwarden key rotate --root
run botwarden secret list prod
step "botwarden secret get prod:erp/login --reveal --field password"
READ_BACK="$(botwarden secret get prod:erp/login --reveal --field password)"

echo
if [ "$READ_BACK" = "$CANARY" ]; then
  echo "read back after both rotations: the same value that was stored"
else
  echo "FAIL: the value read back differs from the one stored" >&2
  exit 1
fi

ENCODED="$(printf '%s' "$CANARY" | base64)"
if grep -rqa -e "$CANARY" -e "$ENCODED" "$BOTWARDEN_HOME"; then
  echo "FAIL: plaintext of the secret found under $BOTWARDEN_HOME:" >&2
  grep -rla -e "$CANARY" -e "$ENCODED" "$BOTWARDEN_HOME" >&2
  exit 1
fi
echo "no plaintext of the secret (raw or base64) in the database or anywhere in the home:"
find "$BOTWARDEN_HOME" -type f -printf '  %M %p\n' | sed "s|$BOTWARDEN_HOME|\$BOTWARDEN_HOME|"

# Everything above was recorded in the tamper-evident audit log.
run botwarden audit tail
run botwarden audit verify
step "sed -i 's/erp\/login/erp\/LOGIN/' \$BOTWARDEN_HOME/audit/records.jsonl   # tamper with one record"
sed -i '2s/erp\/login/erp\/LOGIN/' "$BOTWARDEN_HOME/audit/records.jsonl"
step "botwarden audit verify"
if botwarden audit verify; then
  echo "FAIL: the altered audit log still verified" >&2
  exit 1
fi
echo "the altered record was caught"
