//! A JPEG without a colour profile is shown as sRGB. Pixels described by another profile (an
//! iPhone's Display P3) are converted, not relabelled, so the colours look as they did.

mod common;

use common::*;
use image::{Rgb, RgbImage};
use media_prep::{prepare_image, thumbnail, Limits, Prepared, Request};
use moxcms::ColorProfile;

const ORANGE: [u8; 3] = [200, 120, 60];
/// ORANGE read as Display P3, in sRGB: through linear light and XYZ with the published P3 and
/// sRGB matrices (computed independently of the converter). P3's red is redder than sRGB's, so
/// the same numbers mean a more saturated colour.
const ORANGE_P3_IN_SRGB: [u8; 3] = [213, 115, 42];

fn orange_with(icc: Option<Vec<u8>>) -> Vec<u8> {
    jpeg_with(&RgbImage::from_pixel(32, 32, Rgb(ORANGE)), None, icc)
}

fn shown(p: &Prepared) -> Rgb<u8> {
    assert_bare_baseline_jpeg(&p.jpeg);
    *decode(&p.jpeg).get_pixel(p.width / 2, p.height / 2)
}

#[test]
fn display_p3_pixels_are_converted_to_srgb() {
    let p3 = ColorProfile::new_display_p3().encode().unwrap();
    let bytes = orange_with(Some(p3));

    let p = prepare_image(&bytes, &Request::default(), &Limits::default()).unwrap();
    let thumb = thumbnail(&bytes, 16, &Limits::default()).unwrap();

    for p in [p, thumb] {
        assert!(p.source.icc_converted);
        let pixel = shown(&p);
        assert!(near(pixel, ORANGE_P3_IN_SRGB, 4), "{pixel:?}");
    }
}

#[test]
fn srgb_and_unprofiled_pixels_are_left_as_they_are() {
    let srgb = ColorProfile::new_srgb().encode().unwrap();
    for (icc, converted) in [(Some(srgb), true), (None, false)] {
        let p = prepare_image(&orange_with(icc), &Request::default(), &Limits::default()).unwrap();

        assert_eq!(p.source.icc_converted, converted);
        let pixel = shown(&p);
        assert!(near(pixel, ORANGE, 4), "{pixel:?}");
    }
}

#[test]
fn a_profile_that_cannot_be_read_is_dropped_and_the_photo_still_published() {
    let bytes = orange_with(Some(b"not an ICC profile at all".to_vec()));

    let p = prepare_image(&bytes, &Request::default(), &Limits::default()).unwrap();

    assert!(!p.source.icc_converted);
    assert!(near(shown(&p), ORANGE, 4));
}
