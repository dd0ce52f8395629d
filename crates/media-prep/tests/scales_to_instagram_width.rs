//! Instagram keeps 1440 pixels of width: wider photos are scaled down to it here, in their own
//! ratio; smaller ones are left as they are, never enlarged.

mod common;

use common::*;
use media_prep::{prepare_image, Limits, Request, INSTAGRAM_MAX_WIDTH};

#[test]
fn a_photo_wider_than_1440_is_scaled_down_to_1440() {
    let bytes = jpeg(&photo(1600, 1200));

    let p = prepare_image(&bytes, &Request::default(), &Limits::default()).unwrap();

    assert_eq!(INSTAGRAM_MAX_WIDTH, 1440);
    assert_eq!((p.width, p.height), (1440, 1080));
    assert_eq!((p.source.width, p.source.height), (1600, 1200));
    assert_eq!(decode(&p.jpeg).dimensions(), (1440, 1080));
}

#[test]
fn a_small_photo_is_not_scaled_up() {
    let bytes = jpeg(&photo(640, 480));

    let p = prepare_image(&bytes, &Request::default(), &Limits::default()).unwrap();

    assert_eq!((p.width, p.height), (640, 480));
}

#[test]
fn a_smaller_width_can_be_asked_for() {
    let bytes = jpeg(&photo(640, 480));
    let request = Request {
        max_width: 320,
        ..Request::default()
    };

    let p = prepare_image(&bytes, &request, &Limits::default()).unwrap();

    assert_eq!((p.width, p.height), (320, 240));
}

#[test]
fn scaling_keeps_the_picture_not_just_the_size() {
    // Left half dark, right half light: after scaling, still so, with a soft edge at most a few
    // pixels wide around the middle.
    let mut image = photo(1500, 1000);
    for (x, _, px) in image.enumerate_pixels_mut() {
        px.0 = if x < 750 { [30; 3] } else { [220; 3] };
    }

    let p = prepare_image(&jpeg(&image), &Request::default(), &Limits::default()).unwrap();

    assert_eq!((p.width, p.height), (1440, 960));
    let shown = decode(&p.jpeg);
    for y in [10, 480, 950] {
        assert!(near(*shown.get_pixel(712, y), [30; 3], 12));
        assert!(near(*shown.get_pixel(728, y), [220; 3], 12));
    }
}
