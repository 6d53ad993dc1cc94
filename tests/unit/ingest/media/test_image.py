"""make_image_derivatives on real files of every kind, written with Pillow in a temp dir."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageCms, ImageOps, ImageStat, TiffImagePlugin

from ingest.errors import ImageError
from ingest.media import image as image_stage
from ingest.media.image import ACCESS_MAX, THUMBNAIL_MAX, fitted, make_image_derivatives
from tests.unit.support import images

LIMIT = 100_000_000


def close(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def derive(path: Path, tmp_path: Path, max_pixels: int = LIMIT):
    return make_image_derivatives(path, tmp_path / "out", max_pixels=max_pixels)


def opened(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def test_large_jpeg_access_and_thumbnail_sizes(tmp_path: Path) -> None:
    source = images.noisy_jpeg(tmp_path / "big.jpg", (3000, 2000))
    result = derive(source, tmp_path)
    access, thumbnail = opened(result.access.path), opened(result.thumbnail.path)
    assert access.format == thumbnail.format == "JPEG"
    assert access.mode == "RGB"
    assert access.size == (result.access.width, result.access.height) == (ACCESS_MAX, 1365)
    assert (
        thumbnail.size == (result.thumbnail.width, result.thumbnail.height) == (THUMBNAIL_MAX, 267)
    )
    assert (result.technical.width, result.technical.height) == (3000, 2000)


def test_small_image_is_never_upscaled(tmp_path: Path) -> None:
    result = derive(images.simple(tmp_path / "small.png", "PNG", (300, 200)), tmp_path)
    assert opened(result.access.path).size == (300, 200)
    assert opened(result.thumbnail.path).size == (300, 200)


def test_exif_rotated_jpeg_is_turned_upright(tmp_path: Path) -> None:
    source = images.jpeg(tmp_path / "rotated.jpg", (600, 400), orientation=6)
    with Image.open(source) as original:  # Pillow's own reading, as the oracle
        upright = ImageOps.exif_transpose(original)
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == upright.size == (400, 600)
    for point in [(5, 5), (access.width - 5, access.height - 5), (5, access.height - 5)]:
        assert close(access.getpixel(point), upright.convert("RGB").getpixel(point))
    assert close(access.getpixel((5, 5)), images.RED)
    assert close(access.getpixel((5, access.height - 5)), images.BLUE)
    assert (result.technical.width, result.technical.height, result.technical.orientation) == (
        400,
        600,
        6,
    )
    assert opened(result.thumbnail.path).size == (267, 400)
    assert opened(result.access.path).getexif().get(0x0112) is None  # no second rotation by viewers


def test_exif_facts_are_read(tmp_path: Path) -> None:
    technical = derive(images.jpeg(tmp_path / "photo.jpg"), tmp_path).technical
    assert technical.captured == "2019-05-01T10:20:30"
    assert technical.camera == "Canon EOS 5D Mark IV"
    assert technical.gps_lat == pytest.approx(39.6)
    assert technical.gps_lon == pytest.approx(109 + 47 / 60 + 24 / 3600)
    assert technical.gps_alt == pytest.approx(1350.5)
    record = technical.to_record()
    assert record["gps"] == {"lat": technical.gps_lat, "lon": technical.gps_lon, "alt": 1350.5}
    assert record["format"] == "JPEG"


def test_adobe_cmyk_jpeg_colours_come_out_right(tmp_path: Path) -> None:
    source = images.cmyk_jpeg(tmp_path / "print.jpg")
    with Image.open(source) as im:
        assert im.mode == "CMYK"
    access = opened(derive(source, tmp_path).access.path)
    assert access.mode == "RGB"
    assert close(access.getpixel((10, 50)), images.RED)  # C0 M100 Y100 K0
    assert close(access.getpixel((190, 50)), images.BLUE)  # C100 M100 Y0 K0


def test_embedded_icc_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    source = tmp_path / "tagged.jpg"
    profile = images.swapped_primaries_icc()
    Image.new("RGB", (100, 50), images.RED).save(source, quality=95, icc_profile=profile)
    result = derive(source, tmp_path)
    # The file's "red" means green in its profile: colour management must show green.
    assert close(opened(result.access.path).getpixel((50, 25)), images.GREEN)
    assert result.technical.icc_profile == "Test RGB with red and green swapped"


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        (
            lambda p: images.tiff16_grey(p, 40000),
            (155, 155, 155),
        ),  # 40000 / 257, not clipped to 255
        (lambda p: images.tiff16_grey(p, 1000), (4, 4, 4)),
        (lambda p: images.tiff16_rgb(p, (65535, 32768, 1000)), (255, 128, 4)),
    ],
    ids=["grey-40000", "grey-1000", "rgb48"],
)
def test_16_bit_tiff_is_scaled_not_clipped(tmp_path: Path, maker, expected) -> None:
    access = opened(derive(maker(tmp_path / "scan.tif"), tmp_path).access.path)
    assert close(access.getpixel((5, 5)), expected, tolerance=2)


def test_16_bit_png_is_scaled(tmp_path: Path) -> None:
    source = tmp_path / "deep.png"
    Image.new("I;16", (64, 64), 20000).save(source)
    assert close(opened(derive(source, tmp_path).access.path).getpixel((3, 3)), (78, 78, 78), 2)


def test_png_alpha_is_composited_on_white(tmp_path: Path) -> None:
    access = opened(derive(images.png_alpha(tmp_path / "cutout.png"), tmp_path).access.path)
    assert close(access.getpixel((10, 50)), (255, 255, 255))
    assert close(access.getpixel((190, 50)), images.BLUE)


def test_palette_transparency_is_composited_on_white(tmp_path: Path) -> None:
    access = opened(
        derive(images.palette_png_transparent(tmp_path / "p.png"), tmp_path).access.path
    )
    assert close(access.getpixel((5, 25)), (255, 255, 255))
    assert close(access.getpixel((95, 25)), images.BLUE)


def test_animated_gif_uses_the_first_frame(tmp_path: Path) -> None:
    result = derive(images.animated_gif(tmp_path / "anim.gif"), tmp_path)
    assert close(opened(result.access.path).getpixel((60, 40)), images.RED)
    assert result.technical.format == "GIF"


@pytest.mark.parametrize(
    ("fmt", "name"), [("BMP", "a.bmp"), ("WEBP", "a.webp"), ("HEIF", "a.heic")]
)
def test_other_formats_decode_with_right_colours(tmp_path: Path, fmt: str, name: str) -> None:
    result = derive(images.simple(tmp_path / name, fmt), tmp_path)
    access = opened(result.access.path)
    assert access.size == (120, 80)
    assert close(access.getpixel((5, 40)), images.RED, 16)
    assert close(access.getpixel((115, 40)), images.BLUE, 16)
    assert result.technical.format == fmt


def test_heic_rotation_is_not_applied_twice(tmp_path: Path) -> None:
    source = tmp_path / "phone.heic"
    exif = Image.Exif()
    exif[0x0112] = 6
    images.halves((120, 80), images.RED, images.BLUE).save(source, "HEIF", exif=exif.tobytes())
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == (80, 120)  # turned once: portrait
    assert close(access.getpixel((40, 5)), images.RED, 16)  # left half went to the top
    assert (result.technical.width, result.technical.height) == (80, 120)


PILLOW_IMAGES = Path(__file__).parents[3] / "fixtures" / "pillow"
# How a picture stored upright must be stored so that orientation N shows it upright again.
STORED_FOR = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def quadrants(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """Red, green / blue, white quadrants: any turn or flip moves a colour to another corner."""
    width, height = size
    picture = Image.new("RGB", size, images.RED)
    picture.paste(images.GREEN, (width // 2, 0, width, height // 2))
    picture.paste(images.BLUE, (0, height // 2, width // 2, height))
    picture.paste((255, 255, 255), (width // 2, height // 2, width, height))
    return picture


def corners(picture: Image.Image) -> list[tuple[int, ...]]:
    width, height = picture.size
    points = [(4, 4), (width - 5, 4), (4, height - 5), (width - 5, height - 5)]
    return [picture.convert("RGB").getpixel(point) for point in points]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_pillows_own_orientation_tiffs_come_out_upright_once(
    tmp_path: Path, orientation: int
) -> None:
    """Pillow's g4_orientation_N.tif all show the same picture; so must their access copies."""
    upright = derive(PILLOW_IMAGES / "g4_orientation_1.tif", tmp_path / "1")
    result = derive(PILLOW_IMAGES / f"g4_orientation_{orientation}.tif", tmp_path / "n")
    expected, access = opened(upright.access.path), opened(result.access.path)
    assert access.size == expected.size == (590, 88)
    assert (result.technical.width, result.technical.height) == (590, 88)
    assert result.technical.orientation == orientation
    found, wanted = access.convert("L").tobytes(), expected.convert("L").tobytes()
    differing = sum(abs(a - b) > 64 for a, b in zip(found, wanted, strict=True))
    assert differing < 0.01 * len(wanted)
    assert min(found) < 128 < max(found)  # a picture, not a blank page
    applied = [note for note in result.notes if "orientation" in note]
    assert applied == ([] if orientation == 1 else [f"EXIF orientation {orientation} applied"])


@pytest.mark.parametrize("orientation", [3, 6, 8, 2, 5, 7])
@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "tiff_adobe_deflate", "jpeg"])
def test_rgb_tiff_orientation_is_applied_once(
    tmp_path: Path, orientation: int, compression: str
) -> None:
    upright = quadrants()
    source = tmp_path / "scan.tif"
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.transpose(STORED_FOR[orientation])
    stored.save(source, "TIFF", compression=compression, exif=exif)
    shown = ImageOps.exif_transpose(Image.open(source))  # Pillow's own reading, as the oracle
    assert shown.size == upright.size
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == (result.access.width, result.access.height) == (120, 80)
    assert (result.technical.width, result.technical.height) == (120, 80)
    for found, want, oracle in zip(corners(access), corners(upright), corners(shown), strict=True):
        assert close(found, want, 24) and close(found, oracle, 24)
    assert opened(result.thumbnail.path).size == (120, 80)


@pytest.mark.parametrize(
    ("fmt", "orientation"),
    [*[("JPEG", n) for n in range(2, 9)], ("WEBP", 6), ("PNG", 6), ("WEBP", 3), ("PNG", 8)],
)
def test_orientation_of_other_formats_is_applied_once(
    tmp_path: Path, fmt: str, orientation: int
) -> None:
    upright = quadrants()
    source = tmp_path / f"photo.{fmt.lower()}"
    exif = Image.Exif()
    exif[0x0112] = orientation
    quality = {} if fmt == "PNG" else {"quality": 95}
    upright.transpose(STORED_FOR[orientation]).save(source, fmt, exif=exif, **quality)
    result = derive(source, tmp_path)
    access, thumbnail = opened(result.access.path), opened(result.thumbnail.path)
    assert access.size == (result.technical.width, result.technical.height) == (120, 80)
    assert thumbnail.size == (result.thumbnail.width, result.thumbnail.height) == (120, 80)
    for found, want in zip(corners(access), corners(upright), strict=True):
        assert close(found, want, 24)
    assert access.getexif().get(0x0112) is None and "icc_profile" not in access.info


@pytest.mark.parametrize(
    ("stored", "eighths"),
    [
        ((6000, 4000), 5),  # 24 MP: 3750 px leaves the Lanczos-3 1.83×; 3000 would leave 1.46×
        ((4000, 6000), 5),
        ((4000, 3000), 8),  # 12 MP: no smaller scale leaves 1.5×, and 6/8, 7/8 are slower
        ((4916, 3000), 5),  # 3073 px: just enough room
        ((4912, 3000), 8),  # 3070 px: just too little
        ((12000, 8000), 4),
        ((24000, 16000), 2),
        ((50000, 1000), 1),  # a panorama: its longest side decides
        ((2048, 1365), 8),  # nothing to reduce
        ((100, 80), 8),
    ],
)
def test_a_jpeg_is_decoded_at_the_smallest_scale_leaving_room_to_reduce(
    stored: tuple[int, int], eighths: int
) -> None:
    assert image_stage._jpeg_eighths(stored, fitted(stored, ACCESS_MAX)) == eighths


def detailed(size: tuple[int, int]) -> Image.Image:
    """Coloured detail everywhere (16 px across), so a shift, a stretch or a turn shows."""
    width, height = size
    coarse = Image.effect_noise((max(1, width // 16), max(1, height // 16)), 90)
    tint = Image.linear_gradient("L").resize(coarse.size)
    return Image.merge("RGB", (coarse, tint, ImageOps.invert(coarse))).resize(
        size, Image.Resampling.BICUBIC
    )


def psnr(found: Image.Image, wanted: Image.Image) -> float:
    diff = ImageChops.difference(found.convert("RGB"), wanted.convert("RGB"))
    mse = sum(rms**2 for rms in ImageStat.Stat(diff).rms) / 3
    return 10 * math.log10(255**2 / max(mse, 1e-9))


@pytest.mark.parametrize(
    ("stored", "orientation", "encoding"),
    [
        ((5003, 3001), 1, {}),
        ((3001, 5003), 6, {}),
        ((4917, 61), 1, {}),
        ((2049, 2049), 8, {}),
        ((4000, 2999), 3, {}),
        ((5003, 3001), 1, {"progressive": True}),
        ((5003, 3001), 6, {"subsampling": 0}),  # 4:4:4
        ((5003, 3001), 1, {"subsampling": 1, "progressive": True}),  # 4:2:2
    ],
)
def test_a_jpeg_decoded_at_a_reduced_scale_keeps_its_picture(
    tmp_path: Path, stored: tuple[int, int], orientation: int, encoding: dict[str, object]
) -> None:
    """Whatever DCT scale it is decoded at, however it was encoded, the access copy has the
    exact fitted size, is turned once, and shows what a full decode resized with Lanczos
    shows."""
    source = tmp_path / "photo.jpg"
    picture = detailed(stored)
    exif = images.photo_exif(orientation=orientation)
    picture.save(source, "JPEG", quality=92, exif=exif, **encoding)
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    with Image.open(source) as original:
        upright = ImageOps.exif_transpose(original)
        wanted = upright.resize(fitted(upright.size, ACCESS_MAX), Image.Resampling.LANCZOS)
    assert access.size == wanted.size == (result.access.width, result.access.height)
    assert psnr(access, wanted) > 30  # one pixel shifted: 27.6


def test_the_reused_decode_buffer_leaves_nothing_of_the_last_photo(tmp_path: Path) -> None:
    """Each thread decodes into a buffer it keeps; a small photo after a big one, and two
    photos decoded at once on two threads, come out as each alone in a fresh thread does."""
    big = images.noisy_jpeg(tmp_path / "big.jpg", (3000, 2000))
    small = tmp_path / "small.jpg"
    quadrants((300, 200)).save(small, quality=92)

    def made(path: Path, out: str) -> bytes:
        return make_image_derivatives(
            path, tmp_path / out, max_pixels=LIMIT
        ).access.path.read_bytes()

    with ThreadPoolExecutor(max_workers=1) as fresh:
        small_alone = fresh.submit(made, small, "small-alone").result()
    with ThreadPoolExecutor(max_workers=1) as fresh:
        big_alone = fresh.submit(made, big, "big-alone").result()
    with ThreadPoolExecutor(max_workers=1) as one:
        assert one.submit(made, big, "big-first").result() == big_alone
        assert one.submit(made, small, "small-after").result() == small_alone
    with ThreadPoolExecutor(max_workers=2) as two:
        at_once = [
            two.submit(made, path, f"at-once-{n}") for n, path in enumerate([big, small] * 3)
        ]
        assert [f.result() for f in at_once] == [big_alone, small_alone] * 3


@pytest.mark.parametrize("orientation", [1, 6])
def test_the_bytes_already_read_are_what_is_decoded(tmp_path: Path, orientation: int) -> None:
    """The ingest reads an image once and hands its bytes over: the copies are made of those
    bytes (turned as they say), exactly as they are made of the file."""
    upright = quadrants((3000, 2000))
    exif = Image.Exif()
    exif[0x0112] = orientation
    source, other = tmp_path / "photo.jpg", tmp_path / "other.jpg"
    stored = upright if orientation == 1 else upright.transpose(STORED_FOR[orientation])
    stored.save(source, "JPEG", exif=exif, quality=95)
    stored.transpose(Image.Transpose.ROTATE_180).save(other, "JPEG", exif=exif, quality=95)

    from_file = make_image_derivatives(source, tmp_path / "file", max_pixels=LIMIT)
    data = memoryview(source.read_bytes())
    from_bytes = make_image_derivatives(source, tmp_path / "bytes", max_pixels=LIMIT, data=data)
    for made in ("access", "thumbnail"):
        file_copy = getattr(from_file, made).path.read_bytes()
        assert getattr(from_bytes, made).path.read_bytes() == file_copy
    assert from_bytes.phash == from_file.phash and from_bytes.technical == from_file.technical

    # the same header, other pixels: the copies follow the bytes given, not the file
    turned = make_image_derivatives(
        source, tmp_path / "other", max_pixels=LIMIT, data=memoryview(other.read_bytes())
    )
    access = opened(turned.access.path)
    for found, want in zip(corners(access), corners(upright)[::-1], strict=True):
        assert close(found, want, 24)


def test_bytes_already_read_are_decoded_by_pillow_too(tmp_path: Path) -> None:
    """A PNG takes Pillow's path: its header and pixels come from the bytes given as well."""
    source, other = tmp_path / "scan.png", tmp_path / "other.png"
    quadrants((300, 200)).save(source)
    quadrants((300, 200)).transpose(Image.Transpose.ROTATE_180).save(other)
    made = make_image_derivatives(
        source, tmp_path / "out", max_pixels=LIMIT, data=memoryview(other.read_bytes())
    )
    access = opened(made.access.path)
    assert access.size == (made.technical.width, made.technical.height) == (300, 200)
    for found, want in zip(corners(access), corners(quadrants((300, 200)))[::-1], strict=True):
        assert close(found, want, 24)


def test_truncated_bytes_already_read_are_refused_by_name(tmp_path: Path) -> None:
    source = images.noisy_jpeg(tmp_path / "photo.jpg", (3000, 2000))
    data = memoryview(source.read_bytes()[:40_000])
    with pytest.raises(ImageError, match=r"^photo\.jpg: the image data is truncated"):
        make_image_derivatives(source, tmp_path / "out", max_pixels=LIMIT, data=data)


def test_srgb_tagged_camera_jpeg_comes_out_right_and_untagged(tmp_path: Path) -> None:
    source = tmp_path / "camera.jpg"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    quadrants((3000, 2000)).save(source, quality=92, icc_profile=srgb, exif=images.photo_exif())
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == (result.access.width, result.access.height) == (ACCESS_MAX, 1365)
    assert opened(result.thumbnail.path).size == (THUMBNAIL_MAX, 267)
    for found, want in zip(corners(access), corners(quadrants()), strict=True):
        assert close(found, want, 16)
    assert result.technical.icc_profile is None and result.technical.camera is not None
    assert "icc_profile" not in access.info  # an sRGB picture needs no profile


@pytest.mark.parametrize("orientation", [1, 6])
def test_stray_bytes_before_a_marker_are_shrugged_off_as_viewers_do(
    tmp_path: Path, orientation: int
) -> None:
    """libjpeg-turbo warns of bytes between markers (some scanners and editors write them);
    viewers show such a photo, and so does the stage, turned as it says (libvips' loader then
    decodes it, and a turn must not read its strips out of order): only truncation is refused."""
    clean = tmp_path / "clean.jpg"
    upright = quadrants((3000, 2000))
    stored = upright if orientation == 1 else upright.transpose(STORED_FOR[orientation])
    stored.save(clean, quality=92, exif=images.photo_exif(orientation=orientation))
    data = clean.read_bytes()
    at = data.index(b"\xff\xdb")  # the first quantisation table
    source = tmp_path / "stray.jpg"
    source.write_bytes(data[:at] + b"\x00\x00\x00\x00" + data[at:])
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == (ACCESS_MAX, 1365)
    for found, want in zip(corners(access), corners(quadrants()), strict=True):
        assert close(found, want, 16)


def test_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    source = images.png_bomb(tmp_path / "bomb.png")
    with pytest.raises(ImageError) as caught:
        derive(source, tmp_path, max_pixels=250_000_000)
    message = str(caught.value)
    assert message.startswith("bomb.png: ")
    assert "30000×30000" in message and "limit of 250 MP" in message
    assert not (tmp_path / "out").exists()


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"^cut\.jpg: the image data is truncated"):
        derive(images.truncated_jpeg(tmp_path / "cut.jpg"), tmp_path)


def test_undecodable_image_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "broken.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ImageError, match=r"^broken\.png: "):
        derive(source, tmp_path)


def _frame_rewritten(source: Path, marker: int, bits: int) -> Path:
    """An 8-bit baseline JPEG whose frame header now says another process and sample depth."""
    data = bytearray(source.read_bytes())
    at = data.index(b"\xff\xc0")
    data[at + 1], data[at + 4] = marker, bits
    source.write_bytes(bytes(data))
    return source


@pytest.mark.parametrize(
    ("marker", "bits", "kind"),
    [(0xC1, 12, "12-bit JPEG"), (0xC3, 16, "16-bit lossless JPEG")],
)
@pytest.mark.parametrize("in_memory", [False, True])
def test_a_jpeg_of_more_than_8_bits_is_named_for_what_it_is(
    tmp_path: Path, marker: int, bits: int, kind: str, in_memory: bool
) -> None:
    """Valid files (libjpeg-turbo's testimages/monkey12.jpg; DICOM's lossless JPEGs) that
    Pillow cannot open: the archivist is told what they are and what to do, not "damaged"."""
    source = tmp_path / "scan.jpg"
    quadrants((300, 200)).save(source, quality=90)
    _frame_rewritten(source, marker, bits)
    data = memoryview(source.read_bytes()) if in_memory else None

    with pytest.raises(ImageError) as caught:
        make_image_derivatives(source, tmp_path / "out", max_pixels=LIMIT, data=data)

    assert str(caught.value).startswith(f"scan.jpg: the image is a {kind} (")
    assert "save it as a 16-bit TIFF or PNG" in str(caught.value)


def test_an_8_bit_jpeg_pillow_cannot_open_is_said_to_be_damaged(tmp_path: Path) -> None:
    """Two colour components: no such JPEG is valid, whatever its depth."""
    source = tmp_path / "broken.jpg"
    quadrants((300, 200)).save(source, quality=90)
    data = bytearray(source.read_bytes())
    data[data.index(b"\xff\xc0") + 9] = 2
    source.write_bytes(bytes(data))

    with pytest.raises(ImageError, match=r"^broken\.jpg: the image cannot be decoded \(unknown"):
        derive(source, tmp_path)


def _tiff_with_a_preview_first(path: Path, *, dng: bool) -> Path:
    """How a DNG (and a NEF, ARW, PEF…) begins: a first image marked as a reduced-size copy."""
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[254] = 1  # NewSubfileType: reduced resolution
    if dng:
        tags[50706] = b"\x01\x04\x00\x00"  # DNGVersion 1.4.0.0
        tags.tagtype[50706] = 1
    quadrants((256, 171)).save(path, "TIFF", tiffinfo=tags)
    return path


@pytest.mark.parametrize(
    ("dng", "kind"), [(True, "a DNG camera raw file"), (False, "a camera raw file or a TIFF")]
)
def test_a_raw_files_preview_is_used_and_the_copies_say_so(
    tmp_path: Path, dng: bool, kind: str
) -> None:
    """ExifTool's t/images/DNG.dng was stored as an 8×8 picture without a word: its first
    image is the preview, and its raw picture lies in a sub-image Pillow does not decode."""
    source = _tiff_with_a_preview_first(tmp_path / "raw.dng", dng=dng)

    made = derive(source, tmp_path)

    assert (made.access.width, made.access.height) == (256, 171)
    assert made.warnings == (
        f"{kind}: its first image is a preview of 256×171 pixels and its full picture is not "
        "decoded, so the access copies show that preview (the original is kept whole); to "
        "show the full picture, export a TIFF or JPEG from the raw and ingest it too",
    )


@pytest.mark.parametrize(("value", "tag_type"), [(b"\x01", 1), ("1", 2)])
def test_a_subfile_type_tag_of_the_wrong_type_is_ignored(
    tmp_path: Path, value: bytes | str, tag_type: int
) -> None:
    """NewSubfileType written as bytes or text (a damaged or hostile TIFF) raised a TypeError
    out of the image stage; it now says nothing, and the picture is made as any TIFF's."""
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[254] = value
    tags.tagtype[254] = tag_type
    source = tmp_path / "odd.tif"
    quadrants((256, 171)).save(source, "TIFF", tiffinfo=tags)

    made = derive(source, tmp_path)

    assert made.warnings == ()
    assert (made.access.width, made.access.height) == (256, 171)


def test_a_plain_tiff_photo_carries_no_preview_warning(tmp_path: Path) -> None:
    source = tmp_path / "scan.tif"
    quadrants((256, 171)).save(source, "TIFF")
    assert derive(source, tmp_path).warnings == ()


def test_large_sideways_camera_jpeg_is_turned(tmp_path: Path) -> None:
    """Big enough that the decoder streams it in strips, which a turn must not read out of order."""
    source = tmp_path / "sideways.jpg"
    upright = quadrants((2000, 3000))
    exif = images.photo_exif(orientation=6)
    upright.transpose(STORED_FOR[6]).save(source, quality=90, exif=exif)
    result = derive(source, tmp_path)
    access = opened(result.access.path)
    assert access.size == (1365, 2048)
    assert (result.technical.width, result.technical.height) == (2000, 3000)
    for found, want in zip(corners(access), corners(upright), strict=True):
        assert close(found, want, 16)
    assert opened(result.thumbnail.path).size == (267, 400)
