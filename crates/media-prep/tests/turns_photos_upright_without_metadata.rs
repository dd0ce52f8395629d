//! A phone photo taken upright is stored sideways with an EXIF orientation and GPS tags: it comes
//! out upright, and nothing of the EXIF (least of all where it was taken) comes with it.

mod common;

use common::*;
use image::{Rgb, RgbImage};
use media_prep::{prepare_image, thumbnail, Limits, Request};

const RED: [u8; 3] = [220, 20, 30];

/// Stored 48×40 with a red block in its top-left corner, orientation 6 ("rotate 90° clockwise
/// to display"): shown 40×48 with the block top right.
fn sideways_phone_photo() -> Vec<u8> {
    let grey = RgbImage::from_pixel(48, 40, Rgb([128, 128, 128]));
    let stored = with_block(grey, (0, 0, 12, 12), RED);
    let bytes = jpeg_with(&stored, Some(exif_with_gps(6)), None);
    assert!(
        contains(&bytes, b"Exif") && contains(&bytes, GPS_DATUM),
        "the fixture has GPS"
    );
    bytes
}

#[test]
fn the_exif_orientation_is_applied_to_the_pixels() {
    let prepared = prepare_image(
        &sideways_phone_photo(),
        &Request::default(),
        &Limits::default(),
    )
    .unwrap();

    assert_eq!((prepared.width, prepared.height), (40, 48));
    assert!(prepared.source.orientation_applied);
    assert_eq!((prepared.source.width, prepared.source.height), (40, 48));
    let shown = decode(&prepared.jpeg);
    assert_eq!(shown.dimensions(), (40, 48));
    assert!(
        near(*shown.get_pixel(40 - 6, 6), RED, 40),
        "top right is red"
    );
    for (x, y) in [(6, 6), (6, 48 - 6), (40 - 6, 48 - 6)] {
        assert!(
            near(*shown.get_pixel(x, y), [128; 3], 12),
            "({x}, {y}) is grey"
        );
    }
}

#[test]
fn no_exif_or_gps_leaves_with_the_photo() {
    let prepared = prepare_image(
        &sideways_phone_photo(),
        &Request::default(),
        &Limits::default(),
    )
    .unwrap();

    assert!(prepared.source.had_metadata);
    assert_bare_baseline_jpeg(&prepared.jpeg);
    assert!(!contains(&prepared.jpeg, GPS_DATUM));
}

#[test]
fn thumbnails_are_upright_and_bare_too() {
    let thumb = thumbnail(&sideways_phone_photo(), 24, &Limits::default()).unwrap();

    assert_eq!((thumb.width, thumb.height), (20, 24));
    assert_bare_baseline_jpeg(&thumb.jpeg);
    assert!(!contains(&thumb.jpeg, GPS_DATUM));
}
