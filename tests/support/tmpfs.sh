# Sourced by the full-disk tests after mpi_env.sh (which makes $tmp): mount_tmpfs SIZE mounts a
# tmpfs of SIZE (e.g. 600k) at $mnt = $tmp/small, unmounted on exit; without root (or where
# mount is refused) the test is skipped (77).
mount_tmpfs() {
  mnt="$tmp/small"
  mkdir -p "$mnt"
  if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size="$1" tmpfs "$mnt" 2>/dev/null; then
    echo "skipped: mounting a tmpfs needs root"
    exit 77
  fi
  trap 'umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
}
