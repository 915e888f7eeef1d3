#!/bin/sh
# Ballast's Temporal namespace and its custom search attributes, run by temporalio/admin-tools once the
# server is healthy (docker-compose.yml, service temporal-create-namespace). After Temporal's
# samples-server compose/scripts/create-namespace.sh. Safe to run again: what exists is left alone.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be host:port}"
: "${NAMESPACE:?NAMESPACE must be set}"
retention="${NAMESPACE_RETENTION:-30d}"
attempts="${ATTEMPTS:-30}"
# Ballast's search attributes, as src/temporal/search-attributes.ts defines them (the dev server gets
# the same list; tests/ops/compose.test.ts keeps the two equal).
SEARCH_ATTRIBUTES="MarketSlug=Keyword Asset=Keyword Strategy=Keyword PositionState=Keyword HedgeRatio=Double"

export TEMPORAL_ADDRESS

# Runs a command until it succeeds, at most $attempts times, 2 s apart.
retry() {
  n=1
  until "$@"; do
    if [ "$n" -ge "$attempts" ]; then
      echo "create-namespace: gave up after ${attempts} tries: $*" >&2
      return 1
    fi
    n=$((n + 1))
    sleep 2
  done
}

retry temporal operator cluster health >/dev/null

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "create-namespace: namespace ${NAMESPACE} exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$retention"
  echo "create-namespace: namespace ${NAMESPACE} created (retention ${retention})"
fi

# A new namespace reaches every part of the server within seconds: until then it is "not found".
existing="$(retry temporal operator search-attribute list --namespace "$NAMESPACE")"
for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "create-namespace: search attribute ${name} exists"
  else
    retry temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
    echo "create-namespace: search attribute ${name} (${type}) created"
  fi
done
