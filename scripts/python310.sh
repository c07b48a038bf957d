# Sourced by scripts/dev and scripts/build-image: find_python prints a Python 3.10 interpreter
# (TFX 1.16 needs it): $PYTHON, python3.10 on the PATH, or pyenv's 3.10 builds.
find_python() {
  for candidate in "${PYTHON:-}" python3.10 "$(pyenv root 2>/dev/null)/versions/3.10"*/bin/python3.10; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return
    fi
  done
  echo "error: Python 3.10 not found (TFX 1.16 needs it). Install it, e.g. 'pyenv install 3.10', or set PYTHON=/path/to/python3.10." >&2
  exit 1
}
