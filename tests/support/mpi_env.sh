# Sourced by the MPI test scripts: refuse to run as root without Open MPI's
# override (set by scripts/test.sh and .ci/run, never by the program), and
# give the script a temporary directory removed on exit.
if [ "$(id -u)" = 0 ] && [ -z "${OMPI_ALLOW_RUN_AS_ROOT:-}" ]; then
  echo "FAIL: running as root: Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (scripts/test.sh sets them)"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
