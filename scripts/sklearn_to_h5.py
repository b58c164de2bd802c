#!/usr/bin/env python3
"""Write the real data sets Debian's python3-sklearn ships as HDF5 files that `data: hdf5` reads.

usage: sklearn_to_h5.py OUT_DIR

OUT_DIR/digits.h5   the 8x8 digits (sklearn.datasets.load_digits): X [1797 x 64] float64, the
                    pixels 0..16 row by row; y [1797 x 1] float64, the class ids 0..9.
                    data: {kind: hdf5, file: digits.h5, x: X, y: y, image: [8, 8]}
OUT_DIR/photos.h5   the two photographs of sklearn.datasets.load_sample_images (china.jpg,
                    flower.jpg, 427 x 640 pixels each):
                    X [2 x 273280] float64, each photograph in grayscale, row by row, in [0, 1]
                      (luma 0.299 R + 0.587 G + 0.114 B of the 8-bit channels, / 255): what
                      data.patches cuts patches from;
                    china, flower [427 x 640] float64: the same grayscale images;
                    china_rgb, flower_rgb [427 x 640 x 3] uint8: the photographs as shipped (RGB;
                      three dimensions, so not a data.x: for looking at, or your own conversion).
                    data: {kind: hdf5, file: photos.h5, x: X, image: [427, 640],
                           patches: {size: [8, 8], count: 5000}}   (autoencoding: no y)

Both files say where they came from (attribute `source`). Needs numpy, h5py and sklearn
(Debian: python3-numpy python3-h5py python3-sklearn); offline: the data ship with sklearn.
"""
import os
import sys

import h5py
import numpy as np

try:
    import sklearn
    from sklearn.datasets import load_digits, load_sample_images
except ImportError:  # the caller (a test) tells a missing package from a failure by this code
    sys.stderr.write("sklearn_to_h5: sklearn is not installed (Debian: apt install python3-sklearn)\n")
    sys.exit(77)

LUMA = np.array([0.299, 0.587, 0.114])


def digits(path):
    d = load_digits()
    with h5py.File(path, "w") as f:
        f.attrs["source"] = "sklearn.datasets.load_digits (scikit-learn %s)" % sklearn.__version__
        x = f.create_dataset("X", data=d.data.astype(np.float64))
        x.attrs["description"] = "8x8 images of digits, row by row, pixels 0..16"
        y = f.create_dataset("y", data=d.target.astype(np.float64).reshape(-1, 1))
        y.attrs["description"] = "class ids 0..9"
        f.attrs["image"] = np.array([8, 8])


def photos(path):
    s = load_sample_images()
    names = [os.path.splitext(os.path.basename(n))[0] for n in s.filenames]
    gray = [(im.astype(np.float64) @ LUMA) / 255.0 for im in s.images]
    with h5py.File(path, "w") as f:
        f.attrs["source"] = "sklearn.datasets.load_sample_images (scikit-learn %s)" % sklearn.__version__
        x = f.create_dataset("X", data=np.stack([g.reshape(-1) for g in gray]))
        x.attrs["description"] = "%s in grayscale (0.299 R + 0.587 G + 0.114 B) / 255, row by row" % \
            ", ".join(names)
        f.attrs["image"] = np.array(gray[0].shape)
        for name, g, im in zip(names, gray, s.images):
            f.create_dataset(name, data=g).attrs["description"] = "grayscale, in [0, 1]"
            f.create_dataset(name + "_rgb", data=im).attrs["description"] = "RGB, 8 bits, as shipped"


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    os.makedirs(sys.argv[1], exist_ok=True)
    digits(os.path.join(sys.argv[1], "digits.h5"))
    photos(os.path.join(sys.argv[1], "photos.h5"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
