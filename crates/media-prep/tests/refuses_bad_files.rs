//! Files that cannot become an Instagram photo are refused, without decoding what need not be
//! decoded, with a message that names the rule and what to do.

mod common;

use common::*;
use image::{ImageFormat, RgbImage, RgbaImage};
use media_prep::{prepare_image, thumbnail, Kind, Limits, PrepareError, Request};

fn prepare(bytes: &[u8]) -> Result<media_prep::Prepared, PrepareError> {
    prepare_image(bytes, &Request::default(), &Limits::default())
}

fn encoded(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn refusal(bytes: &[u8]) -> PrepareError {
    let error = prepare(bytes).unwrap_err();
    // The thumbnail follows the same rules.
    assert_eq!(
        thumbnail(bytes, 256, &Limits::default()).unwrap_err(),
        error
    );
    error
}

#[test]
fn a_file_over_the_byte_limit_is_refused_by_its_size() {
    let bytes = jpeg(&photo(64, 64));
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };

    let error = prepare_image(&bytes, &Request::default(), &limits).unwrap_err();

    assert_eq!(
        error,
        PrepareError::TooLarge {
            bytes: bytes.len() as u64,
            max_bytes: 1000
        }
    );
    let big = PrepareError::TooLarge {
        bytes: 41 * 1024 * 1024 + 300 * 1024,
        max_bytes: 30 * 1024 * 1024,
    };
    assert_eq!(
        big.to_string(),
        "The file is 41.3 MB; the limit is 30 MB. Export it at a smaller size or a higher \
         compression and upload it again."
    );
}

#[test]
fn a_truncated_jpeg_is_damaged() {
    let whole = jpeg(&photo(256, 256));
    let half = &whole[..whole.len() / 2];

    let error = refusal(half);

    assert_eq!(error, PrepareError::Damaged { kind: Kind::Jpeg });
    assert_eq!(
        error.to_string(),
        "This JPEG image could not be read: the file is damaged or incomplete. Upload it again, \
         or export a new copy from the original."
    );
}

#[test]
fn truncated_png_gif_and_webp_are_damaged() {
    let picture = RgbaImage::from_fn(96, 96, |x, y| image::Rgba([x as u8, y as u8, 7, 255]));
    for (format, kind) in [
        (ImageFormat::Png, Kind::Png),
        (ImageFormat::Gif, Kind::Gif),
        (ImageFormat::WebP, Kind::Webp),
    ] {
        let whole = encoded(&picture, format);
        assert!(prepare(&whole).is_ok(), "{kind:?} whole");
        let half = &whole[..whole.len() / 2];
        assert_eq!(
            refusal(half),
            PrepareError::Damaged { kind },
            "{kind:?} cut in half"
        );
    }
}

#[test]
fn a_png_with_a_corrupt_chunk_is_damaged() {
    let texture = RgbaImage::from_fn(64, 64, |x, y| image::Rgba([(x * y) as u8, 0, 0, 255]));
    let mut png = encoded(&texture, ImageFormat::Png);
    // Inside the image data, where PNG's checksums catch what a lenient decoder would not.
    let middle = png.len() / 2;
    png[middle] ^= 0x5A;

    assert_eq!(refusal(&png), PrepareError::Damaged { kind: Kind::Png });
}

#[test]
fn an_image_of_no_pixels_is_damaged() {
    // A GIF whose screen is 0×0, with one 1×1 frame.
    let gif = b"GIF89a\0\0\0\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;";

    assert_eq!(refusal(gif), PrepareError::Damaged { kind: Kind::Gif });
}

#[test]
fn random_bytes_are_not_an_image() {
    let mut seed = 0x2545_F491_u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        })
        .collect();

    let error = refusal(&noise);

    assert_eq!(error, PrepareError::NotAnImage { kind: Kind::Other });
    assert_eq!(
        error.to_string(),
        "This file is not a JPEG, PNG, GIF or WebP image, and its format is not recognised. Save \
         the photo as JPEG and upload it again."
    );
    assert_eq!(refusal(&[]), PrepareError::NotAnImage { kind: Kind::Other });
}

#[test]
fn a_pdf_is_not_an_image_and_the_message_says_pdf() {
    let error = refusal(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");

    assert_eq!(error, PrepareError::NotAnImage { kind: Kind::Pdf });
    assert_eq!(
        error.to_string(),
        "This file is not a JPEG, PNG, GIF or WebP image; it looks like a PDF. Export the page \
         as a JPEG or PNG image and upload that."
    );
}

#[test]
fn a_heic_photo_is_refused_with_how_to_export_it_as_jpeg() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta";

    let error = refusal(heic);

    assert_eq!(error, PrepareError::NotAnImage { kind: Kind::Heic });
    let message = error.to_string();
    assert!(message.contains("HEIC photo"), "{message}");
    assert!(message.contains("Export it as JPEG"), "{message}");
}

#[test]
fn videos_are_sent_to_the_reels() {
    for (bytes, kind) in [
        (
            &b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41"[..],
            Kind::Mp4,
        ),
        (&b"\0\0\0\x14ftypqt  \0\0\0\0qt  "[..], Kind::Mov),
    ] {
        let error = refusal(bytes);
        assert_eq!(error, PrepareError::NotAnImage { kind });
        assert!(
            error.to_string().contains("Post videos as reels"),
            "{error}"
        );
    }
}

#[test]
fn a_file_named_like_an_image_is_still_judged_by_its_bytes() {
    // What a browser might label image/jpeg: a text file.
    let error = refusal(b"<html><body>not a photo</body></html>");

    assert_eq!(error, PrepareError::NotAnImage { kind: Kind::Other });
    // And a real image passes whatever it is called, as there is no name to be called by.
    assert!(prepare(&jpeg(&RgbImage::new(8, 8))).is_ok());
}
