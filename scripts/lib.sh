# Shared set-up steps for scripts/studio and scripts/test. Source it; don't run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1;35m==>\033[0m %s\n' "$*"; }

# Install Debian packages that are missing (root, or sudo when there is one).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "Missing Debian packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]})." >&2
      return 1
    fi
  fi
  say "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Libraries WeasyPrint and Pillow need at run time, and fonts for reports.
RUNTIME_DEBS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji)

ensure_python_env() {
  local extras="${1:-}" spec="$ROOT"
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  if [ ! -x "$PY" ]; then
    say "Creating the virtualenv in .venv"
    python3 -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.installed-${extras:-base}"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "Installing Python packages ${extras:+($extras)}"
    # pip's output goes to a log, shown only when the install fails.
    { "$PY" -m pip install -q --upgrade pip && "$PY" -m pip install -q -e "$spec"; } \
      >"$VENV/pip-install.log" 2>&1 || { cat "$VENV/pip-install.log" >&2; return 1; }
    touch "$stamp"
  fi
}

redis_ping() { "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PYEOF
}

# Use REDIS_URL when set; else a private redis-server under instance/; else explain.
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    redis_ping "$REDIS_URL" || { echo "REDIS_URL=$REDIS_URL does not answer." >&2; return 1; }
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Plume needs Redis: set REDIS_URL, or install it (apt-get install redis-server)." >&2
    return 1
  fi
  mkdir -p "$ROOT/instance"
  local sock="$ROOT/instance/redis.sock"
  export REDIS_URL="unix://$sock"
  if ! redis_ping "$REDIS_URL"; then
    say "Starting a private redis-server on $sock"
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --daemonize yes \
      --pidfile "$ROOT/instance/redis.pid" --dir "$ROOT/instance" --save "" --appendonly no \
      --logfile "$ROOT/instance/redis.log"
    for _ in $(seq 50); do redis_ping "$REDIS_URL" && break; sleep 0.1; done
    redis_ping "$REDIS_URL" || { echo "The private redis-server did not start; see instance/redis.log." >&2; return 1; }
    PRIVATE_REDIS=1
  fi
}

stop_private_redis() {
  if [ "${PRIVATE_REDIS:-0}" = 1 ] && [ -f "$ROOT/instance/redis.pid" ]; then
    kill "$(cat "$ROOT/instance/redis.pid")" 2>/dev/null || true
  fi
}
