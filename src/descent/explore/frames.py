"""Complete ipympl frames: the fix for a blank live figure after "Run All".

matplotlib's web canvas normally sends a frame as a *diff* (only the pixels
that changed since the previous frame; the rest transparent), which the
browser paints over what it shows. ipympl's front end loads every frame into
one ``<img>``: a frame that arrives while the previous one is still loading
replaces it, so the previous frame is never painted, and it reads the image
mode (full or diff) when a frame finishes loading, not when it arrived. A
full frame followed at once by a blitted diff (after "Run All", the browser's
first slider sync triggers a redraw right after the first full frame) then
leaves a blank figure holding only the changed pixels. A complete frame cannot
depend on one that was dropped, so :func:`complete_frames` makes a canvas send
only complete frames, encoded by :func:`fast_png` in about 2 ms.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["complete_frames", "fast_png"]


def complete_frames(canvas: Any) -> None:
    """Make an ipympl ``canvas`` send every frame as a complete PNG, never as a diff."""

    def frame() -> bytes | None:
        if not canvas._png_is_old:
            return None
        pixels = np.asarray(canvas.get_renderer().buffer_rgba())
        canvas._png_is_old = False
        canvas._force_full = False
        canvas.set_image_mode("full")
        if getattr(canvas, "syncing_data_url", False):  # ipympl re-encodes _last_buff as the saved image
            canvas._last_buff = pixels.view(np.uint32).squeeze(2).copy()
        return fast_png(pixels)

    canvas.get_diff_image = frame


def fast_png(pixels: np.ndarray) -> bytes:
    """A lossless PNG of an RGBA ``uint8`` image of shape (h, w, 4), made for speed.

    Each row is stored with PNG's "Up" filter (its difference from the row
    above, modulo 256), which turns the large flat areas of a figure into
    zeros, and compressed at zlib level 1; an opaque image drops its alpha
    channel. For an 840 x 340 figure this takes about 2 ms and about 40 KB.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> px = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    >>> opaque = px.copy(); opaque[..., 3] = 255
    >>> [bool((np.asarray(Image.open(io.BytesIO(fast_png(a)))) == a[..., :a.shape[2] - (a is opaque)]).all())
    ...  for a in (px, opaque)]
    [True, True]
    """
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"pixels must be a uint8 array of shape (h, w, 4); got {getattr(pixels, 'dtype', type(pixels))} "
                         f"{getattr(pixels, 'shape', '')}")
    h, w, _ = pixels.shape
    if pixels[..., 3].min() == 255:
        pixels, colour = pixels[..., :3], 2  # RGB
    else:
        colour = 6  # RGBA
    raw = np.empty((h, 1 + w * pixels.shape[2]), np.uint8)
    raw[:, 0] = 2  # filter type Up
    rows = raw[:, 1:].reshape(pixels.shape)
    rows[0] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:])  # uint8: wraps modulo 256, as PNG wants

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + chunk(b"IEND", b""))
