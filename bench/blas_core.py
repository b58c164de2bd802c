#!/usr/bin/env python3
"""The OpenBLAS core type a Python reference runs on: imports MODULE (torch or numpy), then asks
the OpenBLAS library loaded in this process (openblas_get_corename).  Prints it, or "unknown".

usage: blas_core.py MODULE
"""
import ctypes
import importlib
import sys

importlib.import_module(sys.argv[1] if len(sys.argv) > 1 else "numpy")
for path in sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line}):
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        print(lib.openblas_get_corename().decode())
        break
    except (OSError, AttributeError):
        continue
else:
    print("unknown")
