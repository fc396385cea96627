"""One-off generator of the Pillow reference arrays in this folder (needs NumPy and Pillow; not needed by the build).

Each *.ref.npy is the uint8 HWC result of Pillow doing what torchvision does to a PIL image, which
ImagesTest compares with Images.load pixel for pixel.
"""
import numpy as np
from PIL import Image

rng = np.random.default_rng(20261128)

# torchvision Resize(256) on 451x300: short side 256, long side int(256*451/300) = 384; CenterCrop(224):
# left = int(round((384-224)/2)) = 80, top = int(round((256-224)/2)) = 16.
im = Image.open("chelsea.png").convert("RGB")
r = im.resize((384, 256), Image.BILINEAR)
np.save("chelsea.imagenet.ref.npy", np.asarray(r.crop((80, 16, 304, 240))))
# Direct resize to 48 rows x 64 columns (Images.load(path, 48, 64, p)).
np.save("chelsea.48x64.ref.npy", np.asarray(im.resize((64, 48), Image.BILINEAR)))

# Upsampling and non-integer ratios on a tiny random image: 5x4 -> 9x7 and 5x4 -> 3x2.
tiny = Image.fromarray(rng.integers(0, 256, (4, 5, 3), dtype=np.uint8), "RGB")
tiny.save("tiny-rgb.png")
np.save("tiny-rgb.7x9.ref.npy", np.asarray(tiny.resize((9, 7), Image.BILINEAR)))
np.save("tiny-rgb.2x3.ref.npy", np.asarray(tiny.resize((3, 2), Image.BILINEAR)))

# Mode conversions as torchvision's loader does them (Image.convert("RGB")): gray, gray+alpha, RGBA, palette.
gray = Image.fromarray(rng.integers(0, 256, (3, 4), dtype=np.uint8), "L")
gray.save("tiny-gray.png")
np.save("tiny-gray.ref.npy", np.asarray(gray.convert("RGB")))
la = Image.fromarray(rng.integers(0, 256, (3, 4, 2), dtype=np.uint8), "LA")
la.save("tiny-la.png")
np.save("tiny-la.ref.npy", np.asarray(la.convert("RGB")))
rgba = Image.fromarray(rng.integers(0, 256, (3, 4, 4), dtype=np.uint8), "RGBA")
rgba.save("tiny-rgba.png")
np.save("tiny-rgba.ref.npy", np.asarray(rgba.convert("RGB")))
pal = Image.fromarray(rng.integers(0, 256, (3, 4, 3), dtype=np.uint8), "RGB").quantize(colors=5)
pal.save("tiny-palette.png")
np.save("tiny-palette.ref.npy", np.asarray(pal.convert("RGB")))
