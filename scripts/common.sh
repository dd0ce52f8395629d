# Shared by scripts/run, scripts/test and scripts/bench. Source it; do not run it.

# The build cache lives outside the checkout, so a fresh clone reuses what earlier builds made.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/social-media-uploader/target}"
export PATH="$HOME/.cargo/bin:$HOME/go/bin:/usr/local/go/bin:$PWD/end2end/node_modules/.bin:$PATH"
# cargo-leptos sets this while building; setting it for plain cargo too keeps one build of leptos
# instead of two that invalidate each other.
export LEPTOS_OUTPUT_NAME=social-media-uploader

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "nothing is listening on $1:$2 after $3 s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Starts FerretDB (the MongoDB wire-protocol server of the tests) on a free port with its data in a
# temporary directory; sets FERRETDB_PID, FERRETDB_DIR and MONGODB_TEST_URI.
start_ferretdb() {
  FERRETDB_DIR=$(mktemp -d -t smu-ferretdb-XXXXXX)
  local port
  port=$(free_port)
  mkdir -p "$FERRETDB_DIR/data"
  ferretdb --handler=sqlite --sqlite-url="file:$FERRETDB_DIR/data/" \
    --listen-addr="127.0.0.1:$port" --debug-addr=127.0.0.1:0 --telemetry=disable \
    --state-dir="$FERRETDB_DIR" --log-level=warn >"$FERRETDB_DIR/ferretdb.log" 2>&1 &
  FERRETDB_PID=$!
  if ! wait_for_port 127.0.0.1 "$port" 30; then
    cat "$FERRETDB_DIR/ferretdb.log" >&2
    return 1
  fi
  export MONGODB_TEST_URI="mongodb://127.0.0.1:$port/"
  echo "FerretDB $(ferretdb --version | sed -n 's/^version: //p') listening on 127.0.0.1:$port"
}

stop_ferretdb() {
  if [ -n "${FERRETDB_PID:-}" ]; then
    kill "$FERRETDB_PID" 2>/dev/null || true
    wait "$FERRETDB_PID" 2>/dev/null || true
  fi
  [ -n "${FERRETDB_DIR:-}" ] && rm -rf "$FERRETDB_DIR"
  return 0
}
