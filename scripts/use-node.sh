# Sourced by .ci/run (and by anyone whose machine has an older Node): `. scripts/use-node.sh`.
#
# eventshop needs Node ^22.13 or >= 24.11 (.nvmrc pins the major: 24 LTS). When the node on PATH is
# older, this fetches Node from the npm registry — the `node-<os>-<arch>` packages carry the
# official binary — into a cache outside the clone and puts it first on PATH for this shell.
# Nothing is downloaded when the machine's Node already fits.

eventshop_node_fits() {
  command -v node >/dev/null 2>&1 && node -e '
    const [maj, min] = process.versions.node.split(".").map(Number);
    process.exit((maj === 22 && min >= 13) || (maj === 24 && min >= 11) || maj > 24 ? 0 : 1);'
}

if ! eventshop_node_fits; then
  eventshop_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
  eventshop_want=$(tr -d ' \n\r' < "$eventshop_root/.nvmrc")
  case "$(uname -s)" in Linux) eventshop_os=linux ;; Darwin) eventshop_os=darwin ;; *) eventshop_os=unknown ;; esac
  case "$(uname -m)" in x86_64|amd64) eventshop_arch=x64 ;; aarch64|arm64) eventshop_arch=arm64 ;; *) eventshop_arch=$(uname -m) ;; esac
  eventshop_pkg="node-$eventshop_os-$eventshop_arch"
  eventshop_cache="${EVENTSHOP_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eventshop/node-$eventshop_want-$eventshop_os-$eventshop_arch}"
  eventshop_bin="$eventshop_cache/node_modules/$eventshop_pkg/bin"
  if [ ! -x "$eventshop_bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo '(none)') is older than eventshop needs; installing Node $eventshop_want ($eventshop_pkg) into $eventshop_cache" >&2
    mkdir -p "$eventshop_cache"
    npm install --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
      --prefix "$eventshop_cache" "$eventshop_pkg@$eventshop_want" >&2
  fi
  export PATH="$eventshop_bin:$PATH"
  echo "using $(node --version) from $eventshop_bin" >&2
  unset eventshop_root eventshop_want eventshop_os eventshop_arch eventshop_pkg eventshop_cache eventshop_bin
fi
unset -f eventshop_node_fits
