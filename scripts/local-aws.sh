#!/usr/bin/env bash
# Starts and stops the local AWS endpoint the `local` stage deploys to.
#
#   scripts/local-aws.sh up     # start it unless something already answers at AWS_ENDPOINT_URL
#   scripts/local-aws.sh down   # stop it, only if `up` started it
#
# LOCAL_AWS=ministack (default) runs MiniStack from a project-local Python venv, no Docker needed.
# LOCAL_AWS=localstack runs the LocalStack image with Docker (docker-compose.localstack.yml).
set -euo pipefail

cd "$(dirname "$0")/.."
ENDPOINT="${AWS_ENDPOINT_URL:-http://localhost:4566}"
LOCAL_AWS="${LOCAL_AWS:-ministack}"
STARTUP_LIMIT_SECONDS="${LOCAL_AWS_STARTUP_LIMIT:-90}"
STATE_DIR=.local
PID_FILE="$STATE_DIR/ministack.pid"
LOCALSTACK_MARKER="$STATE_DIR/localstack.started"
LOG_FILE="$STATE_DIR/ministack.log"

port_of() { # the port of an http://host:port URL
  local rest="${1#*://}"
  rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then echo "${rest##*:}"; else echo 80; fi
}

# Node (which the project needs anyway) rather than curl, which a fresh machine may lack.
healthy() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$ENDPOINT/_localstack/health"
}

wait_healthy() {
  local what="$1" waited=0
  printf 'Waiting for %s at %s ' "$what" "$ENDPOINT"
  until healthy; do
    if ((waited >= STARTUP_LIMIT_SECONDS)); then
      echo
      echo "error: $what did not answer $ENDPOINT/_localstack/health within ${STARTUP_LIMIT_SECONDS}s." >&2
      [[ -f "$LOG_FILE" ]] && { echo "Last lines of $LOG_FILE:" >&2; tail -n 20 "$LOG_FILE" >&2; }
      return 1
    fi
    if [[ -f "$PID_FILE" ]] && ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo
      echo "error: $what exited during startup. Last lines of $LOG_FILE:" >&2
      tail -n 20 "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      return 1
    fi
    printf '.'
    sleep 1
    waited=$((waited + 1))
  done
  echo " ready."
}

start_ministack() {
  scripts/python-venv.sh
  mkdir -p "$STATE_DIR/ministack-tmp"
  echo "Starting MiniStack on port $(port_of "$ENDPOINT") (log: $LOG_FILE)"
  # Loopback only; IoT's TLS listener and SFTP are off because they bind ports of their own.
  # AWS_ENDPOINT_URL is unset because MiniStack passes its environment on to the Lambdas it runs and
  # sets the endpoint for them itself. TMPDIR keeps its pid file and Lambda work dirs in the project.
  (
    unset AWS_ENDPOINT_URL AWS_PROFILE
    export GATEWAY_PORT="$(port_of "$ENDPOINT")" BIND_HOST=127.0.0.1 IOT_MTLS_ENABLED=0 SFTP_ENABLED=0
    export TMPDIR="$PWD/$STATE_DIR/ministack-tmp"
    exec nohup .venv/bin/ministack >"$LOG_FILE" 2>&1 </dev/null
  ) &
  echo $! >"$PID_FILE"
  wait_healthy MiniStack
}

start_localstack() {
  if ! command -v docker >/dev/null 2>&1; then
    echo "error: LOCAL_AWS=localstack needs Docker, and no 'docker' command was found. Install Docker, or use the default (LOCAL_AWS=ministack), which needs none." >&2
    return 1
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "error: LOCAL_AWS=localstack needs a running Docker engine, and 'docker info' could not reach one. Start Docker, or use the default (LOCAL_AWS=ministack), which needs none." >&2
    return 1
  fi
  echo "Starting LocalStack with Docker (docker-compose.localstack.yml)"
  LOCALSTACK_PORT="$(port_of "$ENDPOINT")" docker compose -f docker-compose.localstack.yml up -d
  touch "$LOCALSTACK_MARKER"
  wait_healthy LocalStack
}

up() {
  mkdir -p "$STATE_DIR"
  if healthy; then
    echo "A local AWS endpoint already answers at $ENDPOINT; using it (and 'make local-down' will leave it running)."
    return
  fi
  case "$LOCAL_AWS" in
    ministack) start_ministack ;;
    localstack) start_localstack ;;
    *)
      echo "error: LOCAL_AWS must be 'ministack' or 'localstack', got '$LOCAL_AWS'" >&2
      return 1
      ;;
  esac
}

down() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE")"
    echo "Stopping MiniStack (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
  fi
  if [[ -f "$LOCALSTACK_MARKER" ]]; then
    echo "Stopping LocalStack"
    LOCALSTACK_PORT="$(port_of "$ENDPOINT")" docker compose -f docker-compose.localstack.yml down
    rm -f "$LOCALSTACK_MARKER"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
