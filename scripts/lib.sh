# Shell functions shared by scripts/demo.sh, scripts/module-test.sh and
# scripts/bench.sh; source it.

# start_sandbox BINARY ENV_FILE LOG_FILE [FLAGS...] starts the sandbox in the
# background on a free loopback port, waits (up to 10 s) until it has written
# ENV_FILE, and stops it when the calling script exits: on success, on a
# failure (set -e), and on Ctrl-C or SIGTERM, which exit through the EXIT
# trap, so that nothing is left running.
start_sandbox() {
  local bin=$1 env_file=$2 log_file=$3
  shift 3
  rm -f "$env_file"
  "$bin" -listen 127.0.0.1:0 -env-file "$env_file" "$@" >"$log_file" 2>&1 &
  sandbox_pid=$!
  trap stop_sandbox EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for _ in $(seq 1 100); do
    [ -s "$env_file" ] && return 0
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$log_file" >&2; echo "the sandbox did not start" >&2; exit 1; }
    sleep 0.1
  done
  cat "$log_file" >&2
  echo "the sandbox did not start within 10s" >&2
  exit 1
}

# stop_sandbox stops the sandbox start_sandbox started, if it still runs, so
# that a script can start another one.
stop_sandbox() {
  if [ -n "${sandbox_pid:-}" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
  fi
}

# use_dev_overrides FILE PLUGIN_DIR writes a CLI config of the script's own
# (never ~/.terraformrc) that takes the provider from PLUGIN_DIR, and points
# TF_CLI_CONFIG_FILE at it. terraform resolves source
# "atlasexports/atlasexports" on registry.terraform.io, OpenTofu on
# registry.opentofu.org: the overrides name both. With dev_overrides, neither
# plan nor test needs init (which would ask the registry, and fails offline).
use_dev_overrides() {
  cat >"$1" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/atlasexports/atlasexports"  = "$2"
    "registry.opentofu.org/atlasexports/atlasexports" = "$2"
  }
  direct {}
}
TFRC
  export TF_CLI_CONFIG_FILE=$1
}

# use_sandbox_credentials ENV_FILE puts the sandbox's base URL and key pair
# into the environment, and takes every other Atlas credential out of it, so
# that none reaches the sandbox: an access token or a service account in the
# environment would win over the key pair.
use_sandbox_credentials() {
  unset MONGODB_ATLAS_ACCESS_TOKEN MONGODB_ATLAS_CLIENT_ID MONGODB_ATLAS_CLIENT_SECRET \
    MONGODB_ATLAS_PUBLIC_API_KEY MONGODB_ATLAS_PRIVATE_API_KEY MONGODB_ATLAS_PUBLIC_KEY MONGODB_ATLAS_PRIVATE_KEY
  # shellcheck disable=SC1090
  source "$1"
}
