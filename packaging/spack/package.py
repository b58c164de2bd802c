# Spack package for symsweep.  Not tested here: this machine has no Spack (no network
# beyond Debian's archive).  Kept minimal, to Spack's CMakePackage conventions; the
# dependency lookups it relies on are the ones docs/building.md documents and CI tests.
#
# symsweep has no published release or download address yet, so this recipe builds a local
# checkout (spack dev-build / spack develop need none):
#   spack repo create myrepo && mkdir -p myrepo/packages/symsweep
#   cp packaging/spack/package.py myrepo/packages/symsweep/ && spack repo add myrepo
#   cd symsweep && spack dev-build symsweep@main ^mpich ^openblas   # or ^openmpi, ^intel-oneapi-mkl
from spack.package import *


class Symsweep(CMakePackage):
    """Sweeps of neural-network symmetry experiments over MPI, gathered into one HDF5 file."""

    homepage = "README.md of the source tree"

    license("MIT")

    version("main")  # a local checkout: spack dev-build / spack develop

    variant("scalapack", default=True,
            description="team probes on several ranks (ScaLAPACK); off: teams of one (LAPACK)")
    variant("tests", default=False, description="build the test suite (needs cmocka)")

    depends_on("c", type="build")
    depends_on("cmake@3.20:", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("help2man", type="build")

    depends_on("mpi")
    depends_on("hdf5+hl")            # serial or parallel: rank 0 is the only writer
    depends_on("blas")
    depends_on("lapack")
    depends_on("scalapack", when="+scalapack")
    depends_on("libyaml")
    depends_on("zlib-api")           # IDX data files, gzip-compressed or not
    depends_on("cmocka", when="+tests")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define("MPI_C_COMPILER", spec["mpi"].mpicc),
            self.define_from_variant("SYM_SCALAPACK", "scalapack"),
            self.define_from_variant("SYM_BUILD_TESTS", "tests"),
            self.define("SYM_BUILD_BENCH", False),
        ]
        # ScaLAPACK and BLAS/LAPACK as Spack resolved them (MKL, netlib, Cray LibSci alike)
        if spec.satisfies("+scalapack"):
            args.append(self.define("SCALAPACK_LIBRARIES", spec["scalapack"].libs.joined(";")))
        args.append(self.define("BLAS_LIBRARIES", spec["blas"].libs.joined(";")))
        args.append(self.define("LAPACK_LIBRARIES", spec["lapack"].libs.joined(";")))
        return args
