//! Fixtures built in code, and checks on the JPEGs that come out.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use media_prep::{sniff, Kind};

/// A photo-like picture: smooth gradients with a little noise, so JPEG has texture to encode.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut seed = 0x9E37_79B9_u32;
    RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as u8;
        Rgb([
            ((x * 200 / width.max(1)) as u8).saturating_add(noise),
            ((y * 200 / height.max(1)) as u8).saturating_add(noise),
            (((x + y) * 100 / (width + height).max(1)) as u8).saturating_add(noise),
        ])
    })
}

/// `image` with `colour` painted over the rectangle at (`x`, `y`), `w` × `h`.
pub fn with_block(
    mut image: RgbImage,
    (x, y, w, h): (u32, u32, u32, u32),
    colour: [u8; 3],
) -> RgbImage {
    for yy in y..y + h {
        for xx in x..x + w {
            image.put_pixel(xx, yy, Rgb(colour));
        }
    }
    image
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    jpeg_with(image, None, None)
}

/// A JPEG carrying an EXIF segment (`exif` is the TIFF structure after `Exif\0\0`) and an ICC
/// profile, as cameras and phones write them.
pub fn jpeg_with(image: &RgbImage, exif: Option<Vec<u8>>, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 95);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).unwrap();
    }
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}

/// The text that marks the GPS block of [`exif_with_gps`].
pub const GPS_DATUM: &[u8] = b"WGS-84";

/// A big-endian EXIF TIFF structure: IFD0 with an Orientation and a pointer to a GPS IFD holding
/// a latitude (51° 28' 38.5" N) and the map datum.
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_be_bytes());
        tiff.extend(kind.to_be_bytes());
        tiff.extend(count.to_be_bytes());
        tiff.extend(value);
    };
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    // IFD0 at 8: two entries, 30 bytes; the GPS IFD follows at 38 (three entries, 42 bytes);
    // its values that do not fit in four bytes follow at 80.
    tiff.extend(2u16.to_be_bytes());
    let [o1, o2] = orientation.to_be_bytes();
    entry(&mut tiff, 0x0112, SHORT, 1, [o1, o2, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, 38u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    assert_eq!(tiff.len(), 38);
    tiff.extend(3u16.to_be_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, 80u32.to_be_bytes());
    entry(&mut tiff, 0x0012, ASCII, 7, 104u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    assert_eq!(tiff.len(), 80);
    for (num, den) in [(51u32, 1u32), (28, 1), (385, 10)] {
        tiff.extend(num.to_be_bytes());
        tiff.extend(den.to_be_bytes());
    }
    tiff.extend(GPS_DATUM);
    tiff.push(0);
    tiff
}

pub fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8()
}

/// The markers of a JPEG's segments up to its first scan.
pub fn markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
    let mut found = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        assert_eq!(jpeg[at], 0xFF, "a segment starts at {at}");
        let marker = jpeg[at + 1];
        found.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    found
}

/// A baseline JPEG with nothing but what is needed to show it: a JFIF header, quantisation and
/// Huffman tables, one baseline frame and its scan. No EXIF, XMP, ICC (APP1, APP2, ...), no
/// comments, and nothing that spells "Exif" anywhere.
pub fn assert_bare_baseline_jpeg(jpeg: &[u8]) {
    const APP0: u8 = 0xE0;
    const DQT: u8 = 0xDB;
    const SOF0: u8 = 0xC0;
    const DHT: u8 = 0xC4;
    const SOS: u8 = 0xDA;
    assert_eq!(sniff(jpeg), Kind::Jpeg);
    let markers = markers(jpeg);
    assert!(
        markers
            .iter()
            .all(|m| [APP0, DQT, SOF0, DHT, SOS].contains(m)),
        "unexpected segments: {markers:02X?}"
    );
    assert!(markers.contains(&SOF0), "a baseline frame: {markers:02X?}");
    assert!(!contains(jpeg, b"Exif"));
    assert!(!contains(jpeg, &[0xFF, 0xE1]), "no APP1 marker anywhere");
    assert_eq!(&jpeg[jpeg.len() - 2..], [0xFF, 0xD9]);
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether `pixel` is within `tolerance` of `expected` in every channel (JPEG is lossy).
pub fn near(pixel: Rgb<u8>, expected: [u8; 3], tolerance: u8) -> bool {
    pixel
        .0
        .iter()
        .zip(expected)
        .all(|(&a, b)| a.abs_diff(b) <= tolerance)
}

/// The ratio of a size, for messages and range checks.
pub fn ratio(width: u32, height: u32) -> f64 {
    f64::from(width) / f64::from(height)
}
