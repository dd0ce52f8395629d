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

# Starts s3s-fs (the S3-compatible server of the tests, S3 over a local directory) on a free port
# with its objects in a temporary directory, under keys made for this run, and creates the tests'
# bucket through the S3 API itself; sets S3_PID and S3_DIR, exports S3_TEST_ENDPOINT,
# S3_TEST_BUCKET, S3_TEST_ACCESS_KEY_ID and S3_TEST_SECRET_ACCESS_KEY. Each test writes under a
# prefix of its own in that bucket.
start_s3() {
  S3_DIR=$(mktemp -d -t smu-s3-XXXXXX)
  local port
  port=$(free_port)
  mkdir -p "$S3_DIR/data"
  export S3_TEST_BUCKET=smu-test
  S3_TEST_ACCESS_KEY_ID="smu-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
  S3_TEST_SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  export S3_TEST_ACCESS_KEY_ID S3_TEST_SECRET_ACCESS_KEY
  s3s-fs --host 127.0.0.1 --port "$port" \
    --access-key "$S3_TEST_ACCESS_KEY_ID" --secret-key "$S3_TEST_SECRET_ACCESS_KEY" \
    "$S3_DIR/data" >"$S3_DIR/s3s-fs.log" 2>&1 &
  S3_PID=$!
  if ! wait_for_port 127.0.0.1 "$port" 30; then
    cat "$S3_DIR/s3s-fs.log" >&2
    return 1
  fi
  export S3_TEST_ENDPOINT="http://127.0.0.1:$port"
  # A signed CreateBucket; S3 wants the body's SHA-256 named (here of no body).
  if ! curl -fsS -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$S3_TEST_ACCESS_KEY_ID:$S3_TEST_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$S3_TEST_ENDPOINT/$S3_TEST_BUCKET"; then
    echo "could not create the bucket $S3_TEST_BUCKET on s3s-fs" >&2
    cat "$S3_DIR/s3s-fs.log" >&2
    return 1
  fi
  echo "$(s3s-fs --version) listening on 127.0.0.1:$port, bucket $S3_TEST_BUCKET"
}

stop_s3() {
  if [ -n "${S3_PID:-}" ]; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
  fi
  [ -n "${S3_DIR:-}" ] && rm -rf "$S3_DIR"
  return 0
}
