#!/bin/sh
# A clearing run over a synthetic graph, applied through a fresh release ledgerd (BENCHMARKS.md,
# Clearing, "A run applied through the server"). Usage, from the workspace root:
#
#   cargo build --release -p ledger-server -p ledger-cli -p ledger-tests --bins
#   tests/clearing-load.sh sqlite|postgres [clearing-load flags: --invoices N --shape heavy --with-credit]
#
# On postgres, LEDGER_TEST_POSTGRES_URL names the server (default postgres://postgres@127.0.0.1:5432);
# a database of the run's own is created and dropped. The data directory is removed at the end.
set -eu
backend=$1
shift
bin=${CARGO_TARGET_DIR:-target}/release
port=${CLEARING_LOAD_PORT:-50091}
dir=$(mktemp -d)
server=${LEDGER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
server=${server%/*}
database=""
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "$database" ] && psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $database" >/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
case $backend in
    sqlite) url="sqlite://$dir/data/ledger.db" ;;
    postgres)
        database="clearing_load_$$"
        psql -q "$server/postgres" -c "CREATE DATABASE $database" >/dev/null
        url="$server/$database"
        ;;
    *) echo "usage: $0 sqlite|postgres [clearing-load flags]" >&2; exit 2 ;;
esac
"$bin/ledgerd" --listen "127.0.0.1:$port" --data-dir "$dir/data" --database "$url" >"$dir/ledgerd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    [ -f "$dir/data/admin.key" ] && "$bin/ledgerctl" --server "http://127.0.0.1:$port" --key "$dir/data/admin.key" \
        account list >/dev/null 2>&1 && break
    sleep 0.1
done
"$bin/clearing-load" --server "http://127.0.0.1:$port" --admin-key "$dir/data/admin.key" \
    --ledgerctl "$bin/ledgerctl" --work-dir "$dir" "$@"
echo "ledgerd peak memory: $(grep VmHWM /proc/$pid/status | tr -s ' ' | cut -d' ' -f2-)"
