#!/usr/bin/env bash
# Install every Debian package symsweep needs to build, test and analyse.
# Idempotent: when everything is installed it only asks dpkg (well under a second).
#   scripts/setup.sh           build + test + analysis dependencies
#   scripts/setup.sh --bench   also PyTorch (python3-torch), for bench/ baselines
#   scripts/setup.sh --mpich   also MPICH and its HDF5 and ScaLAPACK builds (CI's second MPI);
#                              Open MPI stays the default mpicc/mpiexec
#   scripts/setup.sh --clang   also clang (CI's second compiler)
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin                 # MPI
  libhdf5-openmpi-dev hdf5-tools             # parallel HDF5 (+ h5dump)
  libscalapack-openmpi-dev                   # ScaLAPACK / BLACS
  libopenblas-dev liblapacke-dev             # CBLAS + LAPACKE
  libyaml-dev libcmocka-dev                  # job files, unit tests
  zlib1g-dev                                 # IDX (MNIST) data files, gzip-compressed or not
  dataset-fashion-mnist                      # Fashion-MNIST's IDX files (/usr/share/datasets/fashion-mnist)
  python3-sklearn                            # scripts/sklearn_to_h5.py: the 8x8 digits, the sample photographs
  python3 python3-numpy python3-h5py python3-matplotlib python3-scipy python3-pandas   # analysis and tests
  python3-xarray                             # symsweep_analysis.to_xarray and its test
  python3-h5netcdf                           # xarray.open_dataset(engine="h5netcdf") in its test
  python3-yaml python3-jsonschema            # the job schema's test
  python3-venv python3-pip python3-setuptools   # the analysis package, installed offline in a test
  slurm-wlm munge                            # tests of the sbatch scripts on a real Slurm
  help2man                                   # the man page, from the --help texts
  netcdf-bin                                 # ncdump: every output must open in netCDF-C (mpi.output_checksums)
)
case "${1:-}" in
  --bench) pkgs+=(python3-torch) ;;
  --mpich) pkgs+=(libmpich-dev mpich libhdf5-mpich-dev libscalapack-mpich-dev) ;;
  --clang) pkgs+=(clang) ;;
  "") ;;
  *) echo "setup: unknown option '$1' (expected --bench, --mpich or --clang)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
