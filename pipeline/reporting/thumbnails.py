"""Image thumbnails for the HTML pages: PNG data URIs of image arrays, shown inline at the
size the model sees them (no file beside the page)."""

from __future__ import annotations

import base64
import html
import io


def png_data_uri(pixels) -> str:
    """A `data:image/png` URI of an image array (H, W, C) with values in [0, 1]."""
    import numpy as np
    from PIL import Image

    array = np.clip(np.asarray(pixels, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail(pixels, caption: str = "", size: int = 64) -> str:
    """An inline <figure> showing `pixels` at `size` px (pixelated, as the model sees them)."""
    text = html.escape(caption, quote=True)
    return (f"<figure class='thumb'><img src='{png_data_uri(pixels)}' width='{size}' "
            f"height='{size}' alt='{text}'><figcaption>{text}</figcaption></figure>")
