"""One-off generator of the reference .npy files in this folder (run with NumPy; not needed by the build).

Values follow closed-form arange formulas that NpyTest recomputes independently.
"""
import numpy as np
from numpy.lib import format as fmt

np.save("arange_f4.npy", (np.arange(24, dtype="<f4") * 0.5 - 3).reshape(2, 3, 4))      # i*0.5-3
np.save("arange_u1.npy", np.arange(256, dtype="u1").reshape(16, 16))                    # i
np.save("arange_i1.npy", np.arange(-128, 128, dtype="i1").reshape(4, 64))               # i-128
np.save("arange_i4.npy", (np.arange(12, dtype="<i4") * 1000003 - 5000000).reshape(3, 4))  # i*1000003-5000000
np.save("arange_i8.npy", np.arange(6, dtype="<i8") * -7 - 3000000000)                    # -7i-3e9 (beyond int32)
np.save("arange_f8.npy", (np.arange(10, dtype="<f8") / 3).reshape(2, 5))               # i/3 in float64
np.save("scalar_f4.npy", np.array(2.5, dtype="<f4"))                                   # shape ()
np.save("fortran_f4.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
np.save("bigendian_f4.npy", np.arange(4, dtype=">f4"))
np.save("bool.npy", np.array([True, False]))
for v in (2, 3):
    with open(f"v{v}_i4.npy", "wb") as f:
        fmt.write_array(f, np.arange(5, dtype="<i4"), version=(v, 0))                  # i, format v.0
