#!/usr/bin/env bash
# Local test services for Shetu: Redis, PostgreSQL and Elasticsearch, all bound
# to 127.0.0.1 only and started without systemd.
#
#   bash scripts/services.sh up [redis|postgres|es ...]   install if missing, start, wait ready
#   bash scripts/services.sh down [redis|postgres|es ...] stop what this script started (by PID files)
#   bash scripts/services.sh status                       show what is running
#   bash scripts/services.sh env                          export lines for the running services
#
# State lives in $SHETU_SERVICES_DIR (default: <repo>/var/services, git-ignored).
# PostgreSQL and Elasticsearch run as unprivileged users (postgres / shetu-es)
# when this script runs as root; if those users cannot write under the state
# dir, their data goes to /var/tmp/shetu-services/{pg,es} instead.
#
# Knobs (environment):
#   SHETU_SERVICES_DIR   state dir
#   SHETU_ES_VERSION     Elasticsearch version(s) to try, first cached/downloadable wins
#   SHETU_ES_HEAP        ES heap size (default 512m)
#   SHETU_READY_TIMEOUT  seconds to wait for ES to become healthy (default 120)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SHETU_SERVICES_DIR:-$REPO_ROOT/var/services}"
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
# run from / so that commands run as other users never trip over an unreadable cwd
cd /
FALLBACK_DIR="/var/tmp/shetu-services"
ALL_SERVICES=(redis postgres es)

ES_VERSIONS="${SHETU_ES_VERSION:-9.5.3 9.5.2 9.3.0 9.2.8}"
ES_GROUP_PATH="org/elasticsearch/distribution/integ-test-zip/elasticsearch"
ES_USER="shetu-es"
ES_HEAP="${SHETU_ES_HEAP:-512m}"
READY_TIMEOUT="${SHETU_READY_TIMEOUT:-120}"

REDIS_PORTS=(6379 56379)
PG_PORTS=(5432 55432)
ES_PORTS=(9200 59200)

IS_ROOT=0
[[ $EUID -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- helpers ---

die() { echo "services.sh: $*" >&2; exit 1; }

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# fail SERVICE MESSAGE LOGFILE... : print message + tails of the logs, exit 1
fail() {
    local svc=$1 msg=$2; shift 2
    echo "$svc FAILED: $msg" >&2
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        echo "---- last lines of $f ----" >&2
        tail -n 40 "$f" >&2
    done
    exit 1
}

# run a command as USER (only switches user when we are root)
as_user() {
    local user=$1; shift
    if (( IS_ROOT )); then runuser -u "$user" -- "$@"; else "$@"; fi
}

# is something listening on 127.0.0.1:PORT ?
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

read_file() { [[ -r $1 ]] && head -n1 "$1" | tr -d '[:space:]' || true; }

# pick_port PREFERRED FALLBACK : first port that is free
pick_port() {
    local p
    for p in "$@"; do
        port_busy "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# usable_dir USER DIR : make DIR owned by USER and check USER can write there
usable_dir() {
    local user=$1 dir=$2
    mkdir -p "$dir" 2>/dev/null || return 1
    if (( IS_ROOT )); then chown "$user": "$dir" || return 1; fi
    as_user "$user" test -w "$dir" -a -x "$dir" 2>/dev/null
}

# service_dir NAME USER : state dir for a service run as USER; remembers the choice
service_dir() {
    local name=$1 user=$2 pointer="$STATE_DIR/$1.dir" dir
    dir="$(read_file "$pointer")"
    if [[ -n $dir ]] && usable_dir "$user" "$dir"; then echo "$dir"; return 0; fi
    for dir in "$STATE_DIR/$name" "$FALLBACK_DIR/$name"; do
        if (( IS_ROOT )) && [[ $dir == "$FALLBACK_DIR"/* ]]; then
            mkdir -p "$FALLBACK_DIR" && chmod 755 "$FALLBACK_DIR"
        fi
        if usable_dir "$user" "$dir"; then
            echo "$dir" > "$pointer"
            echo "$dir"; return 0
        fi
    done
    return 1
}

# existing_service_dir NAME : previously chosen dir (for status/down/env), may be empty
existing_service_dir() { read_file "$STATE_DIR/$1.dir"; }

apt_install() {
    local log="$STATE_DIR/logs/apt.log" made_policy=0
    (( IS_ROOT )) || die "need root to apt-get install $*"
    # keep the packages' init scripts from starting system-wide daemons
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
    } >>"$log" 2>&1 || rc=$?
    (( made_policy )) && rm -f /usr/sbin/policy-rc.d
    (( rc == 0 )) || fail "apt" "apt-get install $* failed" "$log"
}

# ------------------------------------------------------------------ redis ---

REDIS_DIR="$STATE_DIR/redis"

redis_pid() {
    local pid; pid="$(read_file "$REDIS_DIR/redis.pid")"
    if pid_alive "$pid" && grep -q redis "/proc/$pid/comm" 2>/dev/null; then echo "$pid"; fi
}
redis_port() { read_file "$REDIS_DIR/port"; }
redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
    local t0 port log="$REDIS_DIR/redis.log" note=""
    t0="$(now)"
    mkdir -p "$REDIS_DIR"
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        apt_install redis-server redis-tools
        note=", installed"
    fi
    if [[ -n "$(redis_pid)" ]]; then
        port="$(redis_port)"
        note="${note}, already running"
    else
        port="$(pick_port "${REDIS_PORTS[@]}")" || fail redis "ports ${REDIS_PORTS[*]} all busy" "$log"
        echo "$port" > "$REDIS_DIR/port"
        rm -f "$REDIS_DIR/redis.pid"
        redis-server --bind 127.0.0.1 --port "$port" --daemonize yes \
            --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" --logfile "$log" \
            --save '' --appendonly no >>"$log" 2>&1 9>&- ||
            fail redis "redis-server did not start" "$log"
    fi
    local i
    for (( i = 0; i < 200; i++ )); do
        redis_ping "$port" && break
        sleep 0.05
    done
    redis_ping "$port" || fail redis "no PONG on 127.0.0.1:$port" "$log"
    echo "redis ready in $(elapsed "$t0")s (127.0.0.1:$port$note)"
}

redis_down() {
    local pid; pid="$(redis_pid)"
    [[ -n $pid ]] || return 0
    kill_wait "$pid" 20
    rm -f "$REDIS_DIR/redis.pid"
    echo "redis stopped"
}

# --------------------------------------------------------------- postgres ---

pg_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [[ -n $d && -x $d/initdb ]] && echo "$d"
}

PG_USER=postgres
(( IS_ROOT )) || PG_USER="$(id -un)"

pg_running() {  # $1 = pg dir
    local dir=$1 pid
    [[ -n $dir && -r $dir/data/postmaster.pid ]] || return 1
    pid="$(head -n1 "$dir/data/postmaster.pid")"
    pid_alive "$pid" && grep -q postgres "/proc/$pid/comm" 2>/dev/null
}
pg_port() { sed -n 4p "$1/data/postmaster.pid" 2>/dev/null | tr -d '[:space:]'; }

pg_psql() {  # dir port sql...
    local dir=$1 port=$2; shift 2
    as_user "$PG_USER" "$PGBIN/psql" -h "$dir/run" -p "$port" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -qAtX "$@"
}

pg_up() {
    local t0 dir port note="" log
    t0="$(now)"
    PGBIN="$(pg_bin)" || true
    if [[ -z $PGBIN ]]; then
        apt_install postgresql
        note=", installed"
        PGBIN="$(pg_bin)" || fail postgres "no initdb under /usr/lib/postgresql/*/bin after install"
    fi
    dir="$(service_dir pg "$PG_USER")" || fail postgres "no directory writable by user $PG_USER"
    log="$dir/postgres.log"
    touch "$log"
    if (( IS_ROOT )); then chown "$PG_USER": "$log"; fi
    if pg_running "$dir"; then
        port="$(pg_port "$dir")"
        note="${note}, already running"
    else
        if [[ ! -s $dir/data/PG_VERSION ]]; then
            as_user "$PG_USER" mkdir -p "$dir/data" "$dir/run"
            as_user "$PG_USER" "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
                --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
                fail postgres "initdb failed" "$dir/initdb.log"
        fi
        as_user "$PG_USER" mkdir -p "$dir/run"
        port="$(pick_port "${PG_PORTS[@]}")" || fail postgres "ports ${PG_PORTS[*]} all busy" "$log"
        # test database: durability off for speed
        as_user "$PG_USER" "$PGBIN/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 -s \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir/run' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >>"$log" 2>&1 9>&- || fail postgres "pg_ctl start failed" "$log"
    fi
    local i
    for (( i = 0; i < 200; i++ )); do
        "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.1
    done
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || fail postgres "not accepting connections on 127.0.0.1:$port" "$log"
    # role + database (idempotent)
    if [[ "$(pg_psql "$dir" "$port" -c "SELECT 1 FROM pg_roles WHERE rolname='shetu'" 2>>"$log")" != 1 ]]; then
        pg_psql "$dir" "$port" -c "CREATE ROLE shetu LOGIN PASSWORD 'shetu' CREATEDB" >>"$log" 2>&1 ||
            fail postgres "cannot create role shetu" "$log"
    else
        pg_psql "$dir" "$port" -c "ALTER ROLE shetu LOGIN PASSWORD 'shetu' CREATEDB" >>"$log" 2>&1 ||
            fail postgres "cannot alter role shetu" "$log"
    fi
    if [[ "$(pg_psql "$dir" "$port" -c "SELECT 1 FROM pg_database WHERE datname='shetu'" 2>>"$log")" != 1 ]]; then
        pg_psql "$dir" "$port" -c "CREATE DATABASE shetu OWNER shetu" >>"$log" 2>&1 ||
            fail postgres "cannot create database shetu" "$log"
    fi
    PGPASSWORD=shetu "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U shetu -d shetu -qAtX -c 'select 1' >/dev/null 2>>"$log" ||
        fail postgres "cannot log in as shetu over TCP" "$log"
    echo "postgres ready in $(elapsed "$t0")s (127.0.0.1:$port$note)"
}

pg_down() {
    local dir; dir="$(existing_service_dir pg)"
    pg_running "$dir" || return 0
    PGBIN="$(pg_bin)"
    as_user "$PG_USER" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 -s stop >>"$dir/postgres.log" 2>&1 ||
        fail postgres "pg_ctl stop failed" "$dir/postgres.log"
    echo "postgres stopped"
}

# --------------------------------------------------------- elasticsearch ---

ES_RUN_USER="$ES_USER"
(( IS_ROOT )) || ES_RUN_USER="$(id -un)"

es_java_home() {
    # newest JDK >= 21 under /usr/lib/jvm (ES 9 needs Java 21+), or $ES_JAVA_HOME if set
    if [[ -n ${ES_JAVA_HOME:-} && -x $ES_JAVA_HOME/bin/java ]]; then echo "$ES_JAVA_HOME"; return 0; fi
    local d v best="" bestv=0
    for d in /usr/lib/jvm/*/; do
        d="${d%/}"
        [[ -x $d/bin/java && ! -L $d ]] || continue
        v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$d/release" 2>/dev/null)"
        [[ -n $v ]] || v="$("$d/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
        [[ -n $v ]] || continue
        if (( v >= 21 && v > bestv )); then best="$d"; bestv=$v; fi
    done
    [[ -n $best ]] && echo "$best"
}

es_zip() { echo "$HOME/.m2/repository/$ES_GROUP_PATH/$1/elasticsearch-$1.zip"; }

# prints the version whose zip is in ~/.m2, downloading the first available one if none is
es_fetch() {
    local v log="$STATE_DIR/logs/mvn.log"
    for v in $ES_VERSIONS; do
        [[ -s "$(es_zip "$v")" ]] && { echo "$v"; return 0; }
    done
    command -v mvn >/dev/null || fail es "mvn not found and no cached Elasticsearch zip in ~/.m2"
    for v in $ES_VERSIONS; do
        if mvn -B -q dependency:get -Dtransitive=false \
            "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$v:zip" >>"$log" 2>&1 &&
            [[ -s "$(es_zip "$v")" ]]; then
            echo "$v"; return 0
        fi
    done
    fail es "none of Elasticsearch $ES_VERSIONS could be fetched from Maven Central" "$log"
}

es_pid() {  # $1 = es dir
    local dir=$1 pid
    [[ -n $dir ]] || return 0
    pid="$(read_file "$dir/es.pid")"
    if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "org.elasticsearch"; then
        echo "$pid"
    fi
}
es_health() {  # port
    curl -sf -m 5 "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
        grep -qE '"status":"(yellow|green)"'
}

es_up() {
    local t0 dir v home port pid note="" java log
    t0="$(now)"
    if (( IS_ROOT )) && ! id "$ES_USER" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$ES_USER" || fail es "cannot create user $ES_USER"
    fi
    dir="$(service_dir es "$ES_RUN_USER")" || fail es "no directory writable by user $ES_RUN_USER"
    log="$dir/es-start.log"
    pid="$(es_pid "$dir")"
    if [[ -n $pid ]]; then
        port="$(read_file "$dir/port")"
        v="$(read_file "$dir/version")"
        note=", already running"
    else
        v="$(es_fetch)"
        home="$dir/elasticsearch-$v"
        if [[ ! -x $home/bin/elasticsearch ]]; then
            local tmp="$dir/.unzip.$$"
            rm -rf "$tmp"; mkdir -p "$tmp"
            unzip -q "$(es_zip "$v")" -d "$tmp" >"$log" 2>&1 || fail es "unzip failed" "$log"
            rm -rf "$home"
            mv "$tmp/elasticsearch-$v" "$home"
            rm -rf "$tmp"
            (( IS_ROOT )) && chown -R "$ES_RUN_USER": "$home"
        fi
        java="$(es_java_home)" || fail es "no JDK >= 21 found under /usr/lib/jvm (set ES_JAVA_HOME)"
        mkdir -p "$dir/data-$v" "$dir/logs"
        (( IS_ROOT )) && chown "$ES_RUN_USER": "$dir/data-$v" "$dir/logs" "$dir"
        port="$(pick_port "${ES_PORTS[@]}")" || fail es "ports ${ES_PORTS[*]} all busy" "$log"
        echo "$port" > "$dir/port"
        echo "$v" > "$dir/version"
        rm -f "$dir/es.pid"
        # -d: the launcher returns once the node has started (or failed)
        ( as_user "$ES_RUN_USER" env ES_JAVA_HOME="$java" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
            ES_PATH_CONF="$home/config" \
            "$home/bin/elasticsearch" -d -p "$dir/es.pid" \
            -E cluster.name=shetu-test \
            -E node.name=shetu-test \
            -E discovery.type=single-node \
            -E network.host=127.0.0.1 \
            -E http.port="$port" \
            -E xpack.security.enabled=false \
            -E cluster.routing.allocation.disk.threshold_enabled=false \
            -E action.destructive_requires_name=false \
            -E path.data="$dir/data-$v" \
            -E path.logs="$dir/logs" ) >"$log" 2>&1 9>&- ||
            fail es "elasticsearch did not start" "$log" "$dir/logs/shetu-test.log"
    fi
    local deadline=$(( SECONDS + READY_TIMEOUT ))
    until es_health "$port"; do
        if [[ -z "$(es_pid "$dir")" ]]; then
            fail es "elasticsearch process exited" "$log" "$dir/logs/shetu-test.log"
        fi
        (( SECONDS < deadline )) || fail es "not healthy after ${READY_TIMEOUT}s" "$log" "$dir/logs/shetu-test.log"
        sleep 0.5
    done
    echo "es ready in $(elapsed "$t0")s (127.0.0.1:$port, Elasticsearch $v$note)"
}

es_down() {
    local dir pid; dir="$(existing_service_dir es)"
    pid="$(es_pid "$dir")"
    [[ -n $pid ]] || return 0
    kill_wait "$pid" 60
    rm -f "$dir/es.pid"
    echo "es stopped"
}

# SIGTERM, wait up to N seconds, then SIGKILL
kill_wait() {
    local pid=$1 secs=$2 i
    kill "$pid" 2>/dev/null || return 0
    for (( i = 0; i < secs * 10; i++ )); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------ status/env ---

svc_state() {  # prints "PORT PID" for a running service, nothing otherwise
    local dir pid
    case $1 in
        redis)
            pid="$(redis_pid)"; [[ -n $pid ]] && echo "$(redis_port) $pid" ;;
        postgres)
            dir="$(existing_service_dir pg)"
            pg_running "$dir" && echo "$(pg_port "$dir") $(head -n1 "$dir/data/postmaster.pid")" ;;
        es)
            dir="$(existing_service_dir es)"; pid="$(es_pid "$dir")"
            [[ -n $pid ]] && echo "$(read_file "$dir/port") $pid" ;;
    esac
    return 0
}

cmd_status() {
    local s st rc=0
    for s in "${ALL_SERVICES[@]}"; do
        st="$(svc_state "$s")"
        if [[ -n $st ]]; then
            echo "$s running (127.0.0.1:${st% *}, pid ${st#* })"
        else
            echo "$s stopped"; rc=3
        fi
    done
    return $rc
}

cmd_env() {
    local st
    st="$(svc_state postgres)"
    if [[ -n $st ]]; then echo "export SHETU_DATABASE_URL=postgresql+psycopg://shetu:shetu@127.0.0.1:${st% *}/shetu"
    else echo "# postgres is not running" >&2; fi
    st="$(svc_state redis)"
    if [[ -n $st ]]; then echo "export SHETU_BROKER_URL=redis://127.0.0.1:${st% *}/0"
    else echo "# redis is not running" >&2; fi
    st="$(svc_state es)"
    if [[ -n $st ]]; then echo "export SHETU_ELASTICSEARCH_URL=http://127.0.0.1:${st% *}"
    else echo "# es is not running" >&2; fi
}

# ------------------------------------------------------------------- main ---

parse_services() {
    local s
    SERVICES=()
    (( $# )) || set -- "${ALL_SERVICES[@]}"
    for s in "$@"; do
        case $s in
            redis) SERVICES+=(redis) ;;
            postgres|pg|postgresql) SERVICES+=(postgres) ;;
            es|elasticsearch) SERVICES+=(es) ;;
            *) die "unknown service '$s' (expected: redis postgres es)" ;;
        esac
    done
}

lock() {
    mkdir -p "$STATE_DIR/logs"
    # NB: every daemon launch below closes fd 9 (9>&-) so it cannot inherit the lock
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another services.sh is running (lock $STATE_DIR/.lock)"
}

main() {
    local cmd=${1:-}; shift || true
    case $cmd in
        up)
            parse_services "$@"; lock
            local s
            for s in "${SERVICES[@]}"; do
                case $s in redis) redis_up ;; postgres) pg_up ;; es) es_up ;; esac
            done ;;
        down)
            parse_services "$@"; lock
            local i
            for (( i = ${#SERVICES[@]} - 1; i >= 0; i-- )); do
                case ${SERVICES[i]} in redis) redis_down ;; postgres) pg_down ;; es) es_down ;; esac
            done ;;
        status) cmd_status ;;
        env) cmd_env ;;
        *) echo "usage: $0 up [redis|postgres|es ...] | down [service ...] | status | env" >&2; exit 2 ;;
    esac
}

main "$@"
