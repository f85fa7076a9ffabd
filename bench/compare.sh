#!/usr/bin/env bash
# Measures Profiler against its references side by side, on servers this script starts itself (free loopback ports,
# a temporary directory, stopped on exit), and prints a table.
#
#   bench/compare.sh [--runs N] [--quick] [--profiler PATH] [--keep]
#
#   --runs N        repeat each measurement N times and keep the best (default 3): the machine may be shared
#   --quick         smaller sizes (a smoke test of the script, not the targets' sizes)
#   --profiler PATH use this profiler executable instead of publishing one (the documented install, see below)
#   --keep          keep the temporary directory (server logs, outputs)
#   --no-sql        skip the MariaDB and PostgreSQL rows
#
# Ingest rows run profiler bench with --concurrency 4 (one process, four writers, as a collector serving several
# services; redis-benchmark itself uses 50 connections) and --batch-size 1000, after bench ingest's default warm-up
# (40% of --points, untimed: the runtime compiles the hot code meanwhile; redis-benchmark needs none).
#
# The profiler measured is the README's install: `dotnet publish Host/Profiler.Cli -c Release -o DIR` (framework-dependent,
# ReadyToRun for this machine's runtime, plugins too). Start-up is measured by `profiler bench startup` against a
# hello world published the same way; SQLite ingest against the sqlite3 shell loading the same rows into the same
# table and indexes in one transaction; the trace scope against a System.Diagnostics.Activity (`bench overhead`).
#
# Needs: dotnet, redis-server, redis-benchmark, sqlite3, /usr/bin/time (Debian 'time'), /usr/bin/python3 with OSProfiler
# (Debian python3-osprofiler python3-redis; the 'osprofiler' command). Every row names its reference and target.
# MySQL/PostgreSQL ingest rows (ours against OSProfiler's SQLAlchemy driver: Debian python3-sqlalchemy,
# python3-pymysql, python3-psycopg2) are measured when mariadbd / postgres are installed (Debian mariadb-server,
# postgresql), on servers started here with their default durability (a commit is synced: OSProfiler commits every
# point, Profiler every batch). --no-sql skips them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

runs=3 quick=0 profiler="" keep=0 sql=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --profiler) profiler=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-sql) sql=0; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

py=/usr/bin/python3
# Debian packages of the references, installed when missing and allowed (root).
missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]}" >&2
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
for tool in sqlite3  redis-server redis-benchmark redis-cli /usr/bin/time osprofiler dotnet; do
  command -v "$tool" >/dev/null || { echo "compare.sh needs $tool" >&2; exit 2; }
done
$py -c 'import osprofiler, redis' 2>/dev/null || { echo "compare.sh needs OSProfiler for $py (Debian python3-osprofiler python3-redis)" >&2; exit 2; }

if [ $quick = 1 ]; then
  ingest_points=50000 list_traces=2000 show_points=10000 sqlite_points=50000 py_points=5000 sql_py_points=500 overhead_points=100000
else
  ingest_points=1000000 list_traces=20000 show_points=100000 sqlite_points=300000 py_points=20000 sql_py_points=3000 overhead_points=400000
fi

work=$(mktemp -d /tmp/profiler-compare.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $keep = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the profiler under test ------------------------------------------------------------------------------------
# The documented install, exactly: dotnet publish Host/Profiler.Cli -c Release -o DIR (framework-dependent, ReadyToRun
# for this machine's runtime, the plugins too). Built from a copy of the working tree so that it shares no obj/ with
# other builds.
if [ -z "$profiler" ]; then
  echo "publishing the profiler (dotnet publish Host/Profiler.Cli -c Release -o DIR) into $work/profiler" >&2
  mkdir -p "$work/src"
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src" 2>/dev/null || true
  (cd "$work/src" && dotnet publish Host/Profiler.Cli/Profiler.Cli.csproj -c Release -o "$work/profiler" -nologo -v quiet) >"$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; exit 1; }
  rm -rf "$work/src"
  profiler=$work/profiler/profiler
fi

# --- redis-server -----------------------------------------------------------------------------------------------
redis_port=$(free_port)
mkdir -p "$work/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work/redis" \
  --logfile "$work/redis/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis="redis://127.0.0.1:$redis_port/0"
flush() { redis-cli -p "$redis_port" flushall >/dev/null; }

results=$work/results.tsv
: >"$results"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$results"; }   # what, ours, reference, target, met
json() { $py -c "import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])" "$1"; }
best_max() { sort -g | tail -1; }
best_min() { sort -g | head -1; }
# Wall seconds and peak RSS (KiB) of a command, from /usr/bin/time; output to a file.
# Before each SQL ingest run, ours and OSProfiler's alike: the disk's pending writes (the previous section's files,
# the last run's table) are flushed first, so that no run pays for another's writeback (MariaDB's first run after
# the SQLite section was the slow one of every run of this script).
settle() { sync; }
timed() { local out=$1; shift; /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >"$out" 2>"$work/stderr.txt" || { cat "$work/stderr.txt" >&2; return 1; }; cat "$work/time.txt"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs" >&2

# --- 1. Redis ingest: profiler bench ingest vs redis-benchmark and OSProfiler's driver ----------------------------
ours=() ; rb=() ; osp=()
for r in $(seq "$runs"); do
  flush
  rb+=("$(redis-benchmark -p "$redis_port" -t lpush -P 32 -d 250 -n 1000000 -q 2>/dev/null | tr '\r' '\n' | grep -o 'LPUSH: [0-9.]* requests per second' | tail -1 | awk '{print $2}')")
  flush
  ours+=("$("$profiler" bench ingest -c "$redis" --points "$ingest_points" --traces 100 --payload-bytes 250 --concurrency 4 --json --cleanup | json points_per_second)")
  flush
  osp+=("$($py bench/osprofiler_ingest.py "$redis" "$py_points" 250 100 "bench-py-$r" | json points_per_second)")
done
o=$(printf '%s\n' "${ours[@]}" | best_max); b=$(printf '%s\n' "${rb[@]}" | best_max); p=$(printf '%s\n' "${osp[@]}" | best_max)
echo "redis ingest runs: ours ${ours[*]}; redis-benchmark ${rb[*]}; osprofiler ${osp[*]}" >&2
row "Redis ingest, points/s (1 process)" "$o" "redis-benchmark lpush -P 32 -d 250: $b" ">= 300000 and >= half of redis-benchmark" \
  "$($py -c "print('yes' if $o >= 300000 and $o >= $b / 2 else 'no')")"
row "Redis ingest vs OSProfiler notify(), points/s" "$o" "OSProfiler: $p" ">= 20x OSProfiler ($($py -c "print(round($o / $p, 1))")x)" \
  "$($py -c "print('yes' if $o >= 20 * $p else 'no')")"

# --- 2. SQLite ingest, against the sqlite3 shell loading the same rows into the same table and indexes -------------
# Our rows are dumped as INSERT statements from our own run's file; the shell loads them into a fresh file with the
# same schema (from .schema) in one transaction, with the same journal settings (WAL, synchronous=NORMAL).
sq=() ; shell=()
for r in $(seq "$runs"); do
  rm -f "$work"/bench.db* "$work"/shell.db*
  sq+=("$("$profiler" bench ingest -c "sqlite:///$work/bench.db" --points "$sqlite_points" --traces 100 --payload-bytes 250 --concurrency 4 --json | json points_per_second)")
  { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    sqlite3 "$work/bench.db" .schema | grep -v '^CREATE TABLE sqlite_'
    echo "BEGIN;"
    sqlite3 "$work/bench.db" -cmd ".mode insert data" "SELECT id, timestamp, base_id, parent_id, trace_id, project, host, service, name, data FROM data"
    echo "COMMIT;"; } >"$work/load.sql"
  rows=$(sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM data")
  t=$(timed "$work/shell.out" sqlite3 "$work/shell.db" -init /dev/null ".read $work/load.sql" | cut -d' ' -f1)
  shell+=("$($py -c "print(round($rows / max($t, 0.001)))")")
  rm -f "$work/load.sql"
done
o=$(printf '%s\n' "${sq[@]}" | best_max); b=$(printf '%s\n' "${shell[@]}" | best_max)
echo "sqlite ingest runs: ours ${sq[*]}; sqlite3 shell ${shell[*]}" >&2
row "SQLite ingest, points/s (8 indexes, 1 process, 4 writers)" "$o" "sqlite3 shell, same rows, one transaction: $b" ">= 0.5x the shell ($($py -c "print(round($o / $b, 2))")x)" \
  "$($py -c "print('yes' if $o >= $b / 2 else 'no')")"

# --- 2b. MariaDB and PostgreSQL ingest (for the record) ---------------------------------------------------------------
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ $sql = 1 ] && [ -x /usr/sbin/mariadbd ]; then
  my_port=$(free_port); my=$work/mariadb; mkdir -p "$my"
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --datadir="$my/data" --user=root \
    --skip-test-db --skip-name-resolve >"$my/install.log" 2>&1
  /usr/sbin/mariadbd --no-defaults --datadir="$my/data" --port="$my_port" --bind-address=127.0.0.1 --socket="$my/sock" \
    --pid-file="$my/pid" --user=root --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=256M \
    --performance-schema=OFF >"$my/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do mariadb --no-defaults --socket="$my/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
  mariadb --no-defaults --socket="$my/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 || { echo "mariadbd did not start:" >&2; cat "$my"/*.log >&2; exit 1; }
  mariadb --no-defaults --socket="$my/sock" -uroot -e "CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pw'; CREATE DATABASE bench CHARACTER SET utf8mb4; GRANT ALL ON bench.* TO 'bench'@'%'"
  my_runs=()
  for r in $(seq "$runs"); do
    # Each run starts from an empty table (TRUNCATE: a DELETE of the last run's rows took over 30 s on a loaded machine).
    mariadb --no-defaults --socket="$my/sock" -uroot -e "DROP TABLE IF EXISTS bench.data"
    settle
    my_runs+=("$("$profiler" bench ingest -c "mysql+pymysql://bench:bench-pw@127.0.0.1:$my_port/bench" --points "$sqlite_points" --traces 100 --payload-bytes 250 --concurrency 4 --json | json points_per_second)")
  done
  mariadb --no-defaults --socket="$my/sock" -uroot -e "CREATE DATABASE benchpy CHARACTER SET utf8mb4; GRANT ALL ON benchpy.* TO 'bench'@'%'"
  my_py=()
  for r in $(seq "$runs"); do
    settle
    my_py+=("$($py bench/osprofiler_ingest.py "mysql+pymysql://bench:bench-pw@127.0.0.1:$my_port/benchpy" "$sql_py_points" 250 100 "bench-py-$r" | json points_per_second)")
  done
  # OSProfiler's driver logs and swallows its errors: count what it stored.
  stored=$(mariadb --no-defaults --socket="$my/sock" -uroot -N -e "SELECT COUNT(*) FROM benchpy.data")
  [ "$stored" = $((runs * sql_py_points)) ] || { echo "OSProfiler stored $stored of $((runs * sql_py_points)) points in MariaDB" >&2; exit 1; }
  echo "mariadb ingest runs: ours ${my_runs[*]}; osprofiler ${my_py[*]}" >&2
  o=$(printf '%s\n' "${my_runs[@]}" | best_max); p=$(printf '%s\n' "${my_py[@]}" | best_max)
  row "MariaDB ingest, points/s (1 process, 4 writers)" "$o" "OSProfiler SQLAlchemy: $p" ">= 30x OSProfiler ($($py -c "print(round($o / $p, 1))")x)" \
    "$($py -c "print('yes' if $o >= 30 * $p else 'no')")"
fi
if [ $sql = 1 ] && [ -n "$pg_bin" ] && [ -x "$pg_bin/postgres" ]; then
  pg_port=$(free_port); pg=$work/postgres; mkdir -p "$pg"
  # postgres will not run as root: hand its directory to the postgres user (who must be able to reach it) and drop privileges.
  as_pg=(); [ "$(id -u)" = 0 ] && { chmod o+x "$work"; chown -R postgres:postgres "$pg"; as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --); }
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
    --no-sync --no-instructions >"$pg/initdb.log" 2>&1
  "${as_pg[@]}" "$pg_bin/postgres" -D "$pg/data" -p "$pg_port" -k "$pg" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=128MB >"$pg/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do psql -h "$pg" -p "$pg_port" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
  psql -h "$pg" -p "$pg_port" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1 || { echo "postgres did not start:" >&2; cat "$pg"/*.log >&2; exit 1; }
  psql -h "$pg" -p "$pg_port" -U postgres -d postgres -q -c "CREATE ROLE bench LOGIN PASSWORD 'bench-pw'" -c "CREATE DATABASE bench OWNER bench"
  pg_runs=()
  for r in $(seq "$runs"); do
    psql -h "$pg" -p "$pg_port" -U postgres -d bench -q -c "DROP TABLE IF EXISTS data"
    settle
    pg_runs+=("$("$profiler" bench ingest -c "postgresql://bench:bench-pw@127.0.0.1:$pg_port/bench" --points "$sqlite_points" --traces 100 --payload-bytes 250 --concurrency 4 --json | json points_per_second)")
  done
  psql -h "$pg" -p "$pg_port" -U postgres -d postgres -q -c "CREATE DATABASE benchpy OWNER bench"
  pg_py=()
  for r in $(seq "$runs"); do
    settle
    pg_py+=("$($py bench/osprofiler_ingest.py "postgresql+psycopg2://bench:bench-pw@127.0.0.1:$pg_port/benchpy" "$sql_py_points" 250 100 "bench-py-$r" | json points_per_second)")
  done
  stored=$(psql -h "$pg" -p "$pg_port" -U postgres -d benchpy -tA -c "SELECT COUNT(*) FROM data")
  [ "$stored" = $((runs * sql_py_points)) ] || { echo "OSProfiler stored $stored of $((runs * sql_py_points)) points in PostgreSQL" >&2; exit 1; }
  echo "postgresql ingest runs: ours ${pg_runs[*]}; osprofiler ${pg_py[*]}" >&2
  o=$(printf '%s\n' "${pg_runs[@]}" | best_max); p=$(printf '%s\n' "${pg_py[@]}" | best_max)
  row "PostgreSQL ingest, points/s (1 process, 4 writers)" "$o" "OSProfiler SQLAlchemy: $p" ">= 30x OSProfiler ($($py -c "print(round($o / $p, 1))")x)" \
    "$($py -c "print('yes' if $o >= 30 * $p else 'no')")"
fi

# --- 3. trace list over N Redis traces, process start included ------------------------------------------------------
flush
"$profiler" bench list -c "$redis" --traces "$list_traces" --repeat 1 --payload-bytes 250 --json >/dev/null
ours=() ; osp=()
for r in $(seq "$runs"); do
  ours+=("$(timed "$work/list.ours" "$profiler" trace list -c "$redis" --limit "$list_traces" | cut -d' ' -f1)")
  osp+=("$(timed "$work/list.osp" osprofiler trace list --connection-string "$redis" | cut -d' ' -f1)")
done
o=$(printf '%s\n' "${ours[@]}" | best_min); p=$(printf '%s\n' "${osp[@]}" | best_min)
echo "trace list runs (s): ours ${ours[*]}; osprofiler ${osp[*]}; rows $(grep -c '^| ' "$work/list.ours") vs $(grep -c '^| ' "$work/list.osp")" >&2
row "trace list, $list_traces Redis traces, s" "$o" "osprofiler trace list: $p" ">= 8x faster ($($py -c "print(round($p / max($o, 0.001), 1))")x)" \
  "$($py -c "print('yes' if $p >= 8 * $o else 'no')")"

# --- 4. trace show --json of one N-point Redis trace: time and peak RSS ---------------------------------------------
flush
id=$($py bench/make_trace.py "$show_points" 250 "$work/trace.jsonl")
"$profiler" trace import "$work/trace.jsonl" -c "$redis" >/dev/null
rm -f "$work/trace.jsonl"
ours_t=() ; ours_m=() ; osp_t=() ; osp_m=()
for r in $(seq "$runs"); do
  read -r t m < <(timed "$work/show.ours" "$profiler" trace show "$id" --json -c "$redis"); ours_t+=("$t"); ours_m+=("$m")
  read -r t m < <(timed "$work/show.osp" osprofiler trace show "$id" --json --connection-string "$redis"); osp_t+=("$t"); osp_m+=("$m")
done
ot=$(printf '%s\n' "${ours_t[@]}" | best_min); om=$(printf '%s\n' "${ours_m[@]}" | best_min)
pt=$(printf '%s\n' "${osp_t[@]}" | best_min); pm=$(printf '%s\n' "${osp_m[@]}" | best_min)
echo "trace show runs: ours ${ours_t[*]} s / ${ours_m[*]} KiB; osprofiler ${osp_t[*]} s / ${osp_m[*]} KiB" >&2
row "trace show --json, $show_points-point trace, s" "$ot" "osprofiler trace show --json: $pt" ">= 8x faster ($($py -c "print(round($pt / max($ot, 0.001), 1))")x)" \
  "$($py -c "print('yes' if $pt >= 8 * $ot else 'no')")"
row "trace show --json, peak RSS MiB" "$((om / 1024))" "osprofiler: $((pm / 1024))" ">= 3x less ($($py -c "print(round($pm / $om, 1))")x)" \
  "$($py -c "print('yes' if $pm >= 3 * $om else 'no')")"

# --- 5. a trace scope's start+stop with the Redis driver attached, against an Activity, in one process ----------------
flush
best_ratio=""; best_line=""; ov=()
for r in $(seq "$runs"); do
  line=$("$profiler" bench overhead -c "$redis" --points "$overhead_points" --json --cleanup)
  ratio=$(echo "$line" | json scope_to_activity_ratio)
  ov+=("$(echo "$line" | json ns_per_scope_median)/$(echo "$line" | json activity_ns_median)")
  if [ -z "$best_ratio" ] || $py -c "import sys; sys.exit(0 if $ratio < $best_ratio else 1)"; then best_ratio=$ratio; best_line=$line; fi
done
o=$(echo "$best_line" | json ns_per_scope_median); a=$(echo "$best_line" | json activity_ns_median)
echo "overhead runs (scope ns / activity ns, medians): ${ov[*]}" >&2
row "trace scope start+stop, ns (median of batch means)" "$o" "Activity, listener sampling all: $a" "<= 1.5x the Activity (${best_ratio}x)" \
  "$($py -c "print('yes' if $best_ratio <= 1.5 else 'no')")"

# --- 6. start-up of short commands against a hello world published the same way -------------------------------------
startup=$("$profiler" bench startup --runs 5 --json)
echo "startup: $startup" >&2
for c in 0 1 2; do
  read -r name ms ratio < <(echo "$startup" | $py -c "import json,sys; d=json.load(sys.stdin); c=d['commands'][$c]; print(c['command'].split(' (')[0].replace(' ', '_'), c['ms_median'], c['ratio'])")
  base=$(echo "$startup" | json baseline_ms_median)
  row "start-up: profiler ${name//_/ }, ms (median of 5)" "$ms" "hello world, published the same way: $base" "<= 2.5x (${ratio}x)" \
    "$($py -c "print('yes' if $ratio <= 2.5 else 'no')")"
done

# --- table ----------------------------------------------------------------------------------------------------------
echo
printf '| %s | %s | %s | %s | %s |\n' "measure" "Profiler" "reference" "target" "met"
printf '| --- | --- | --- | --- | --- |\n'
while IFS=$'\t' read -r what ours ref target met; do
  printf '| %s | %s | %s | %s | %s |\n' "$what" "$ours" "$ref" "$target" "$met"
done <"$results"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
