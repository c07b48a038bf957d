"""Image thumbnails (pipeline/reporting/thumbnails.py): PNG data URIs that round-trip the
pixels, and the escaped caption."""

import base64
import io

import numpy as np
from PIL import Image

from pipeline.reporting import thumbnails


def test_png_data_uri_round_trips_the_pixels():
    pixels = np.zeros((4, 3, 1), np.float32)
    pixels[1, 2, 0] = 1.0
    pixels[3, 0, 0] = 0.5
    uri = thumbnails.png_data_uri(pixels)
    assert uri.startswith("data:image/png;base64,")
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    assert image.shape == (4, 3)
    assert image[1, 2] == 255 and image[3, 0] == 128 and image.sum() == 255 + 128
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(
        thumbnails.png_data_uri(np.ones((2, 2, 3)) * 0.2).split(",", 1)[1]))))
    assert rgb.shape == (2, 2, 3) and rgb.max() == 51


def test_a_thumbnail_escapes_its_caption_and_shows_the_image_at_its_size():
    html_text = thumbnails.thumbnail(np.zeros((2, 2, 1)), "y <3 & 'x'", size=40)
    assert html_text.startswith("<figure class='thumb'><img src='data:image/png;base64,")
    assert ("width='40' height='40' alt='y &lt;3 &amp; &#x27;x&#x27;'><figcaption>y &lt;3 "
            "&amp; &#x27;x&#x27;</figcaption></figure>") in html_text
