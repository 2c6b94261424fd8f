# Sourced by the scripts: make sure ./.venv exists and holds the project with the given extras.
# Usage: . scripts/_venv.sh EXTRAS   (e.g. "dev" or "dev,notebooks")
set -eu
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
extras="$1"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e "$root[$extras]"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
