#!/usr/bin/env bash
# One measured flashload run, for docs/replicas.md. Usage:
#
#   docs/replicas-bench.sh CONFIG [LEARNERS] [REVIEWS]
#
# CONFIG is sqlite (one flashd on a new SQLite file, no balancer),
# sqlite-lb (the same behind haproxy), or pg1, pg2, pg3 (that many flashd
# replicas on a new PostgreSQL schema behind haproxy). The load generator
# and haproxy run on CPU 0, flashd and PostgreSQL on CPU 1 (start the
# PostgreSQL cluster under taskset -c 1: its processes inherit that;
# LOAD_CPU=0,1 SERVER_CPU=0,1 leave everything unpinned). It
# prints one line: the run's figures and the CPU each part used while the
# learners rated, as a share of the run (100% = one core).
#
# Environment: BIN holds flashd and flashload (go build -o $BIN ./cmd/...),
# PG is the cluster's URL and PGDIR its data directory (for the server's
# CPU and log); PROFILE=1 also samples pg_stat_activity every 100 ms and
# takes a 10 s CPU profile of the first replica into $PGDIR/../.
set -euo pipefail
config=$1 learners=${2:-8} reviews=${3:-1500}
bin=${BIN:-/tmp/replicas-bin}
pg=${PG:-postgres://postgres@127.0.0.1:55433/postgres?sslmode=disable}
pgdir=${PGDIR:-/tmp/replicas-pg}
load_cpu=${LOAD_CPU:-0} server_cpu=${SERVER_CPU:-1}
work=$(mktemp -d /tmp/replicas-bench.XXXXXX)
pids=() flashds=() schema=

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$schema" ] || psql "$pg" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { # the postmaster, the children it reaped, and the live ones
  local pm t
  pm=$(head -1 "$pgdir/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do t=$((t + $(ticks "$c"))); done
  echo "$t"
}
flashd_ticks() { local t=0; for p in "${flashds[@]}"; do t=$((t + $(ticks "$p"))); done; echo $t; }
cpu_busy() { # CPU: busy ticks (all but idle and iowait) of that CPU since boot
  awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}
xacts() { # commits and rollbacks in the cluster's databases so far
  psql "$pg" -Atc "SELECT sum(xact_commit), sum(xact_rollback) FROM pg_stat_database" 2>/dev/null | tr '|' ' '
}
serfail() { grep -c "could not serialize" "$pgdir/server.log" || true; }

start_flashd() { # PORT DB
  local extra=()
  [ "${PROFILE:-}" != 1 ] || [ ${#flashds[@]} -gt 0 ] || extra=(--pprof 127.0.0.1:6060)
  taskset -c $server_cpu "$bin/flashd" serve --addr "127.0.0.1:$1" --db "$2" "${extra[@]}" >/dev/null 2>"$work/flashd-$1.log" &
  pids+=($!) flashds+=($!)
  for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$1/readyz" && return; sleep 0.05; done
  echo "flashd on port $1 not ready" >&2; exit 1
}

start_haproxy() { # PORT...
  {
    printf 'defaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n  timeout check 2s\n'
    printf 'listen stats\n  bind 127.0.0.1:18201\n  stats enable\n  stats uri /\n'
    printf 'frontend web\n  bind 127.0.0.1:18200\n  default_backend flashd\n'
    printf 'backend flashd\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n'
    printf '  retries 3\n  option redispatch 1\n  retry-on conn-failure empty-response\n'
    printf '  http-request disable-l7-retry unless METH_GET || { method POST } { path_reg ^/review/[0-9]+$ }\n'
    printf '  default-server check inter 500ms fall 2 rise 1\n'
    for p in "$@"; do printf '  server r%s 127.0.0.1:%s\n' "$p" "$p"; done
  } >"$work/haproxy.cfg"
  taskset -c $load_cpu haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
  pids+=($!) haproxy=$!
  for _ in $(seq 100); do
    [ "$(curl -s 'http://127.0.0.1:18201/;csv' | grep -c '^flashd,r.*,UP,')" = "$#" ] && return
    sleep 0.1
  done
  echo "haproxy: the replicas are not all up" >&2; cat "$work/haproxy.log" >&2; exit 1
}

haproxy=
case $config in
sqlite | sqlite-lb)
  db=$work/flashd.db
  start_flashd 18101 "$db"
  server=http://127.0.0.1:18101
  if [ "$config" = sqlite-lb ]; then start_haproxy 18101; server=http://127.0.0.1:18200; fi
  ;;
pg[1-3])
  schema=bench_$$
  psql "$pg" -qc "CREATE SCHEMA $schema"
  db="$pg&search_path=$schema"
  ports=()
  for i in $(seq "${config#pg}"); do start_flashd $((18100 + i)) "$db"; ports+=($((18100 + i))); done
  start_haproxy "${ports[@]}"
  server=http://127.0.0.1:18200
  ;;
*) echo "unknown config $config" >&2; exit 2 ;;
esac

# The subshell records flashload's whole CPU time once it has exited (its
# children's time); the share of the run is that less what it had used
# when the learners began to rate.
: >"$work/err"
(
  taskset -c $load_cpu "$bin/flashload" --server "$server" --db "$db" --learners "$learners" --reviews "$reviews" \
    --cards 4000 --disk-probe 0 >"$work/out" 2>"$work/err" || echo failed >"$work/failed"
  awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$work/load-ticks"
) &
sub=$!
until grep -q "logged in; rating" "$work/err"; do
  kill -0 $sub 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.02
done
load=$(pgrep -P $sub)
f0=$(flashd_ticks) p0=$(pg_ticks) h0=0 l0=$(ticks "$load") s0=$(serfail) c00=$(cpu_busy 0) c10=$(cpu_busy 1)
read -r x0 r0 <<<"$(xacts)"
[ -z "$haproxy" ] || h0=$(ticks "$haproxy")
if [ "${PROFILE:-}" = 1 ]; then
  if [[ $config == pg* ]]; then
    (for _ in $(seq 150); do
      taskset -c $load_cpu psql "$pg" -Atc "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, 'running'),
        left(regexp_replace(query, '\s+', ' ', 'g'), 60) FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()"
      sleep 0.1
    done) >"$pgdir/../activity-$config.txt" 2>/dev/null &
  fi
  curl -s -o "$pgdir/../cpu-$config.pprof" "http://127.0.0.1:6060/debug/pprof/profile?seconds=10" &
fi
until [ -s "$work/out" ]; do kill -0 $sub 2>/dev/null || break; sleep 0.02; done
f1=$(flashd_ticks) p1=$(pg_ticks) h1=0 s1=$(serfail) c01=$(cpu_busy 0) c11=$(cpu_busy 1)
read -r x1 r1 <<<"$(xacts)"
[ -z "$haproxy" ] || h1=$(ticks "$haproxy")
wait $sub
[ ! -e "$work/failed" ] || { cat "$work/err" "$work/out" >&2; exit 1; }
l1=$(cat "$work/load-ticks")
line=$(head -1 "$work/out")
rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$line")
secs=$(awk -v n="$reviews" -v r="$rps" 'BEGIN { printf "%.2f", n / r }')
pct() { awk -v t="$1" -v s="$secs" 'BEGIN { printf "%.0f%%", t / s }'; } # ticks are 1/100 s
busy=$(cat "$work"/flashd-*.log | grep -c 'request refused' || true)
# cpuN_busy is all the work on that CPU, this run's and anything else's
# on the machine: well over the parts' sum means a noisy neighbour. The
# PostgreSQL transactions include the read-only ones, which the store ends
# with a rollback, as well as the serialization failures.
echo "$config $line flashd_cpu=$(pct $((f1 - f0))) postgres_cpu=$(pct $((p1 - p0))) haproxy_cpu=$(pct $((h1 - h0))) flashload_cpu=$(pct $((l1 - l0)))" \
  "cpu0_busy=$(pct $((c01 - c00))) cpu1_busy=$(pct $((c11 - c10))) serialization_failures=$((s1 - s0)) busy_503=$busy" \
  "pg_commits=$((x1 - x0)) pg_rollbacks=$((r1 - r0))"
