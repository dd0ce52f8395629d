//! From bytes to upright RGB pixels, refusing what would cost too much before decoding it.

use std::io::Cursor;

use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Rgb, RgbImage};

use crate::{sniff, Kind, Limits, PrepareError, Source};

/// A decoded source: upright, alpha flattened, with what is known about it.
pub(crate) struct Decoded {
    pub image: RgbImage,
    /// The embedded ICC profile, if any: the pixels are in its colour space, not yet sRGB.
    pub icc: Option<Vec<u8>>,
    /// All but `icc_converted`, which is up to the caller.
    pub source: Source,
}

/// Checks the rules that need no decoding (bytes, kind, pixels announced by the header, a
/// JPEG's completeness), then decodes with `limits` as the decoder's own limits.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, PrepareError> {
    limits.check_bytes(bytes.len())?;
    let kind = sniff(bytes);
    let format = kind
        .image_format()
        .ok_or(PrepareError::NotAnImage { kind })?;
    let refused = |error| refusal(error, kind, limits);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.for_header());
    // Building the decoder reads the header (and, for PNG, the chunks before the pixels), never
    // the pixels themselves.
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PrepareError::Damaged { kind });
    }
    limits.check_pixels(width, height)?;
    if kind == Kind::Jpeg && !jpeg_reaches_its_end(bytes) {
        return Err(PrepareError::Damaged { kind });
    }
    decoder
        .set_limits(limits.for_decoding(width, height))
        .map_err(refused)?;
    limits.check_alloc(decoder.total_bytes())?;

    // Metadata that cannot be read is treated as absent: the pixels may still be fine, and
    // none of it is ever copied to the output.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let had_metadata = [
        decoder.exif_metadata(),
        decoder.xmp_metadata(),
        decoder.iptc_metadata(),
    ]
    .into_iter()
    .any(|chunk| matches!(chunk, Ok(Some(_))));

    // GIF and WebP decoders return the first frame of an animation.
    let decoded = DynamicImage::from_decoder(decoder).map_err(refused)?;
    let mut upright = DynamicImage::ImageRgb8(flatten_onto_white(decoded));
    upright.apply_orientation(orientation);
    Ok(Decoded {
        source: Source {
            kind,
            width: upright.width(),
            height: upright.height(),
            orientation_applied: orientation != Orientation::NoTransforms,
            had_metadata,
            icc_converted: false,
        },
        image: upright.into_rgb8(),
        icc,
    })
}

fn refusal(error: ImageError, kind: Kind, limits: &Limits) -> PrepareError {
    match error {
        ImageError::Limits(limit) if matches!(limit.kind(), LimitErrorKind::InsufficientMemory) => {
            limits.too_much_memory()
        }
        ImageError::Unsupported(_) => PrepareError::UnsupportedEncoding { kind },
        _ => PrepareError::Damaged { kind },
    }
}

/// JPEG has no alpha: transparent pixels become white, as on a white page, rather than the
/// black their colour channels often hold.
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut flat = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in flat.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(px[3]);
        let over_white = |c: u8| {
            let blended = (u32::from(c) * alpha + 255 * (255 - alpha) + 127) / 255;
            u8::try_from(blended).unwrap_or(u8::MAX)
        };
        *out = Rgb([over_white(px[0]), over_white(px[1]), over_white(px[2])]);
    }
    flat
}

/// Whether a JPEG's segments lead to its end-of-image marker. The JPEG decoder is lenient and
/// fills a truncated scan with grey instead of failing, so an upload cut short would otherwise
/// be published with part of the picture missing. Walking the segments (rather than looking
/// at the last two bytes) skips an EXIF thumbnail's own end marker and accepts data after the
/// end, such as the video that motion photos append.
fn jpeg_reaches_its_end(bytes: &[u8]) -> bool {
    const SOS: u8 = 0xDA;
    const EOI: u8 = 0xD9;
    // After SOI.
    let mut at = 2;
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return false;
        }
        // Any number of 0xFF may pad a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else {
            return false;
        };
        at += 1;
        match marker {
            EOI => return true,
            // Restart markers and TEM stand alone, without a length.
            0xD0..=0xD7 | 0x01 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2) else {
            return false;
        };
        at += usize::from(u16::from_be_bytes([length[0], length[1]]));
        if marker == SOS {
            match next_marker_after_scan(bytes, at) {
                Some(next) => at = next,
                None => return false,
            }
        }
    }
}

/// The position of the first marker after entropy-coded data starting at `from`: a 0xFF that
/// is not a stuffed 0xFF00 and not a restart marker, which both belong to the scan.
fn next_marker_after_scan(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        match bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            _ => return Some(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_ends_at_its_end_marker_however_its_segments_and_scans_look() {
        let app1_with_thumbnail_end = [0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00];
        let sos_header = [0xFF, 0xDA, 0x00, 0x04, 0x00, 0x00];
        let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(app1_with_thumbnail_end);
        jpeg.extend(sos_header);
        jpeg.extend(scan);
        let cut = jpeg.clone();
        jpeg.extend([0xFF, 0xFF, 0xD9]);
        let mut with_trailer = jpeg.clone();
        with_trailer.extend(b"\0\0\0\x18ftypmp42");

        assert!(jpeg_reaches_its_end(&jpeg));
        assert!(jpeg_reaches_its_end(&with_trailer));
        assert!(!jpeg_reaches_its_end(&cut));
        assert!(!jpeg_reaches_its_end(&jpeg[..8]));
        assert!(!jpeg_reaches_its_end(&[0xFF, 0xD8]));
    }
}
