# symsweep's dependencies, found the portable way (docs/building.md):
#   MPI        FindMPI: any implementation (Open MPI, MPICH, Cray MPICH, Intel MPI)
#   HDF5       FindHDF5 (C and HL), serial or parallel: rank 0 is the only writer
#   BLAS       FindBLAS / FindLAPACK, -DBLA_VENDOR=... (OpenBLAS first when unset)
#   CBLAS      cblas.h beside the BLAS, -DCBLAS_INCLUDE_DIR=... otherwise
#   LAPACKE    in the LAPACK libraries (MKL, OpenBLAS), or pkg-config lapacke, or liblapacke
#   ScaLAPACK  -DSCALAPACK_LIBRARIES=... (MKL, Cray LibSci), else -Dscalapack_DIR=..., else
#              pkg-config under the usual names, else its CMake package;
#              -DSYM_SCALAPACK=OFF builds without it
#   libyaml, cmocka: pkg-config, else find_path/find_library
include(CheckFunctionExists)
include(CheckSymbolExists)
find_package(PkgConfig QUIET)

# ---- MPI ----
find_package(MPI REQUIRED COMPONENTS C)
set(SYM_MPI_FLAVOR "unknown")
set(CMAKE_REQUIRED_INCLUDES ${MPI_C_INCLUDE_DIRS})
check_symbol_exists(OMPI_MAJOR_VERSION mpi.h SYM_MPI_IS_OPENMPI)
check_symbol_exists(MPICH_VERSION mpi.h SYM_MPI_IS_MPICH)   # also Cray MPICH, Intel MPI, MVAPICH
unset(CMAKE_REQUIRED_INCLUDES)
if(SYM_MPI_IS_OPENMPI)
  set(SYM_MPI_FLAVOR openmpi)
elseif(SYM_MPI_IS_MPICH)
  set(SYM_MPI_FLAVOR mpich)
endif()
message(STATUS "symsweep: MPI ${MPI_C_VERSION} (${SYM_MPI_FLAVOR}): ${MPI_C_LIBRARIES}")

# ---- HDF5 ----
if(NOT DEFINED HDF5_PREFER_PARALLEL)
  set(HDF5_PREFER_PARALLEL TRUE)
endif()
find_package(HDF5 REQUIRED COMPONENTS C HL)
# zlib: IDX (MNIST) data files, gzip-compressed or not (src/io/idx.c)
find_package(ZLIB REQUIRED)
message(STATUS "symsweep: zlib ${ZLIB_VERSION_STRING}: ${ZLIB_LIBRARIES}")
if(HDF5_IS_PARALLEL)
  # a parallel HDF5 brings its own MPI: it must be the one found above
  foreach(dir ${HDF5_C_INCLUDE_DIRS})
    if(dir MATCHES "mpi" AND NOT dir IN_LIST MPI_C_INCLUDE_DIRS AND NOT dir MATCHES "hdf5")
      message(WARNING
        "symsweep: the parallel HDF5 found (${HDF5_C_INCLUDE_DIRS}) was built against another "
        "MPI than the one found (${MPI_C_INCLUDE_DIRS}). Point HDF5_C_COMPILER_EXECUTABLE at "
        "the h5pcc of this MPI, or at a serial HDF5's h5cc (rank 0 is the only writer).")
      break()
    endif()
  endforeach()
  message(STATUS "symsweep: HDF5 ${HDF5_VERSION} (parallel build; used serially by rank 0)")
else()
  message(STATUS "symsweep: HDF5 ${HDF5_VERSION} (serial build)")
endif()

# ---- BLAS and LAPACK ----
if(NOT BLA_VENDOR AND NOT DEFINED ENV{BLA_VENDOR})
  # OpenBLAS when there is one (it reports its kernels), any BLAS otherwise
  set(BLA_VENDOR OpenBLAS)
  find_package(BLAS QUIET)
  if(NOT BLAS_FOUND)
    unset(BLA_VENDOR)
  endif()
endif()
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
set(SYM_LAPACK_LIBS ${LAPACK_LIBRARIES} ${BLAS_LIBRARIES})
list(REMOVE_DUPLICATES SYM_LAPACK_LIBS)

set(CMAKE_REQUIRED_LIBRARIES ${SYM_LAPACK_LIBS} m)
check_function_exists(openblas_get_corename SYM_HAVE_OPENBLAS)
check_function_exists(MKL_Set_Num_Threads SYM_HAVE_MKL)
check_function_exists(cblas_dgemm SYM_BLAS_HAS_CBLAS)
check_function_exists(LAPACKE_dsyevd SYM_LAPACK_HAS_LAPACKE)
unset(CMAKE_REQUIRED_LIBRARIES)

# cblas.h: beside the BLAS found (OpenBLAS's multiarch dirs on Debian, MKLROOT/include, ...)
set(_sym_blas_hints)
foreach(lib ${SYM_LAPACK_LIBS})
  if(IS_ABSOLUTE "${lib}")
    get_filename_component(_d "${lib}" DIRECTORY)
    list(APPEND _sym_blas_hints "${_d}/../include" "${_d}/../../include")
  endif()
endforeach()
find_path(CBLAS_INCLUDE_DIR NAMES cblas.h
          HINTS ${_sym_blas_hints} $ENV{MKLROOT}/include $ENV{OPENBLAS_ROOT}/include
          PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread /usr/include/openblas
          PATH_SUFFIXES openblas)
if(NOT CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "symsweep: cblas.h not found beside the BLAS (${SYM_LAPACK_LIBS}): "
                      "set -DCBLAS_INCLUDE_DIR=DIR (on Debian: scripts/setup.sh installs libopenblas-dev)")
endif()
set(SYM_CBLAS_LIBS)
if(NOT SYM_BLAS_HAS_CBLAS)
  find_library(CBLAS_LIBRARY NAMES cblas)
  if(NOT CBLAS_LIBRARY)
    message(FATAL_ERROR "symsweep: the BLAS found (${SYM_LAPACK_LIBS}) has no cblas_dgemm and no "
                        "libcblas was found: set -DCBLAS_LIBRARY=FILE or choose another BLA_VENDOR")
  endif()
  set(SYM_CBLAS_LIBS ${CBLAS_LIBRARY})
endif()

# LAPACKE: in the LAPACK itself (MKL, some OpenBLAS builds), else its own library
find_path(LAPACKE_INCLUDE_DIR NAMES lapacke.h HINTS ${CBLAS_INCLUDE_DIR} ${_sym_blas_hints}
          $ENV{MKLROOT}/include)
set(SYM_LAPACKE_LIBS)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(LAPACKE QUIET lapacke)
endif()
if(LAPACKE_FOUND)
  set(SYM_LAPACKE_LIBS ${LAPACKE_LINK_LIBRARIES})
  list(APPEND LAPACKE_INCLUDE_DIR ${LAPACKE_INCLUDE_DIRS})
elseif(NOT SYM_LAPACK_HAS_LAPACKE)
  find_library(LAPACKE_LIBRARY NAMES lapacke)
  if(NOT LAPACKE_LIBRARY)
    message(FATAL_ERROR "symsweep: LAPACKE_dsyevd is not in the LAPACK found (${SYM_LAPACK_LIBS}) "
                        "and no liblapacke was found: set -DLAPACKE_LIBRARY=FILE "
                        "(Debian: liblapacke-dev)")
  endif()
  set(SYM_LAPACKE_LIBS ${LAPACKE_LIBRARY})
endif()
if(NOT LAPACKE_INCLUDE_DIR)
  message(FATAL_ERROR "symsweep: lapacke.h not found: set -DLAPACKE_INCLUDE_DIR=DIR")
endif()
add_library(sym_lapack INTERFACE)
target_include_directories(sym_lapack INTERFACE ${CBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
target_link_libraries(sym_lapack INTERFACE ${SYM_LAPACKE_LIBS} ${SYM_CBLAS_LIBS} ${SYM_LAPACK_LIBS} m)
if(SYM_HAVE_OPENBLAS)
  target_compile_definitions(sym_lapack INTERFACE SYM_HAVE_OPENBLAS=1)
elseif(SYM_HAVE_MKL)
  target_compile_definitions(sym_lapack INTERFACE SYM_HAVE_MKL=1)
endif()
string(REPLACE ";" " " SYM_BLAS_LIBRARY_TEXT "${SYM_LAPACK_LIBS}")
message(STATUS "symsweep: BLAS/LAPACK ${SYM_BLAS_LIBRARY_TEXT}"
               " (OpenBLAS: ${SYM_HAVE_OPENBLAS}, MKL: ${SYM_HAVE_MKL})")

# ---- ScaLAPACK (with BLACS) ----
add_library(sym_scalapack INTERFACE)
if(SYM_SCALAPACK)
  set(SYM_SCALAPACK_FROM "")
  if(SCALAPACK_LIBRARIES)
    set(SYM_SCALAPACK_FROM "SCALAPACK_LIBRARIES")
    target_link_libraries(sym_scalapack INTERFACE ${SCALAPACK_LIBRARIES})
  elseif(scalapack_DIR)
    # a CMake package named by the user: used first
    find_package(scalapack CONFIG REQUIRED)
    set(SYM_SCALAPACK_FROM "its CMake package (${scalapack_DIR})")
    target_link_libraries(sym_scalapack INTERFACE scalapack)
  else()
    # pkg-config before the CMake package: Debian 12's package config names a library path
    # that does not exist (/usr/lib/libscalapack-openmpi.so.2.2.1) and stops configure, and
    # with two MPIs installed it may be the other MPI's build. This MPI's name first.
    if(PKG_CONFIG_FOUND)
      set(_names scalapack-${SYM_MPI_FLAVOR} scalapack scalapack-mpi scalapack-openmpi
                 scalapack-mpich)
      list(REMOVE_DUPLICATES _names)
      foreach(name ${_names})
        pkg_check_modules(SCALAPACK_PC QUIET IMPORTED_TARGET ${name})
        if(SCALAPACK_PC_FOUND)
          set(SYM_SCALAPACK_FROM "pkg-config ${name}")
          target_link_libraries(sym_scalapack INTERFACE PkgConfig::SCALAPACK_PC)
          break()
        endif()
      endforeach()
    endif()
    if(NOT SYM_SCALAPACK_FROM)
      find_package(scalapack CONFIG QUIET)
      if(TARGET scalapack)
        set(SYM_SCALAPACK_FROM "its CMake package (${scalapack_DIR})")
        target_link_libraries(sym_scalapack INTERFACE scalapack)
      endif()
    endif()
  endif()
  if(NOT SYM_SCALAPACK_FROM)
    message(FATAL_ERROR
      "symsweep: ScaLAPACK not found: no pkg-config module (scalapack-${SYM_MPI_FLAVOR}, "
      "scalapack, scalapack-mpi) and no CMake package 'scalapack' (-Dscalapack_DIR=DIR). Give its libraries with "
      "-DSCALAPACK_LIBRARIES=\"...\" (MKL: \"-lmkl_scalapack_lp64;-lmkl_blacs_intelmpi_lp64\"; "
      "Cray LibSci: \"-lsci_gnu\" or empty under the Cray compiler wrappers), or build "
      "without it: -DSYM_SCALAPACK=OFF (team probes then run on teams of one).")
  endif()
  # it must link: BLACS and a ScaLAPACK eigensolver, with this MPI and LAPACK
  get_target_property(_sl sym_scalapack INTERFACE_LINK_LIBRARIES)
  set(CMAKE_REQUIRED_LIBRARIES ${_sl} MPI::MPI_C ${SYM_LAPACK_LIBS})
  check_function_exists(Cblacs_gridinit SYM_SCALAPACK_HAS_BLACS)
  check_function_exists(pdsyevd_ SYM_SCALAPACK_LINKS)
  unset(CMAKE_REQUIRED_LIBRARIES)
  if(NOT SYM_SCALAPACK_HAS_BLACS OR NOT SYM_SCALAPACK_LINKS)
    message(FATAL_ERROR "symsweep: the ScaLAPACK from ${SYM_SCALAPACK_FROM} (${_sl}) does not "
                        "link: Cblacs_gridinit ${SYM_SCALAPACK_HAS_BLACS}, pdsyevd_ "
                        "${SYM_SCALAPACK_LINKS} (see CMakeFiles/CMakeError.log). Add its BLACS "
                        "library to SCALAPACK_LIBRARIES, or -DSYM_SCALAPACK=OFF.")
  endif()
  target_compile_definitions(sym_scalapack INTERFACE SYM_HAVE_SCALAPACK=1)
  message(STATUS "symsweep: ScaLAPACK from ${SYM_SCALAPACK_FROM}")
else()
  message(STATUS "symsweep: ScaLAPACK off: team probes run on teams of one (LAPACK)")
endif()

# ---- libyaml, cmocka ----
function(sym_find_simple name pc header lib)
  add_library(sym_${name} INTERFACE)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(${name}_PC QUIET IMPORTED_TARGET ${pc})
  endif()
  if(${name}_PC_FOUND)
    target_link_libraries(sym_${name} INTERFACE PkgConfig::${name}_PC)
    return()
  endif()
  find_path(${name}_INCLUDE_DIR NAMES ${header})
  find_library(${name}_LIBRARY NAMES ${lib})
  if(NOT ${name}_INCLUDE_DIR OR NOT ${name}_LIBRARY)
    message(FATAL_ERROR "symsweep: ${name} not found (pkg-config ${pc}, ${header}, lib${lib}): "
                        "set CMAKE_PREFIX_PATH to its prefix")
  endif()
  target_include_directories(sym_${name} INTERFACE ${${name}_INCLUDE_DIR})
  target_link_libraries(sym_${name} INTERFACE ${${name}_LIBRARY})
endfunction()
sym_find_simple(yaml yaml-0.1 yaml.h yaml)
if(SYM_BUILD_TESTS)
  sym_find_simple(cmocka cmocka cmocka.h cmocka)
endif()
