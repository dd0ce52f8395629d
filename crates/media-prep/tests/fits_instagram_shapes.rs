//! The feed keeps ratios from 4:5 to 1.91:1 and brings others to the nearest bound; stories and
//! reel covers are exactly 9:16. Cropping keeps the focal point; padding adds even bars.

mod common;

use common::*;
use image::RgbImage;
use media_prep::{prepare_image, Fit, Limits, Prepared, Request, Target};

const RED: [u8; 3] = [220, 20, 30];
const BLUE: [u8; 3] = [20, 40, 220];
const GREEN: [u8; 3] = [0, 200, 0];

fn prepared(image: &RgbImage, target: Target, fit: Fit) -> Prepared {
    let request = Request {
        target,
        fit,
        ..Request::default()
    };
    let prepared = prepare_image(&jpeg(image), &request, &Limits::default()).unwrap();
    assert_bare_baseline_jpeg(&prepared.jpeg);
    assert_eq!(
        decode(&prepared.jpeg).dimensions(),
        (prepared.width, prepared.height)
    );
    prepared
}

fn assert_in_feed_range(p: &Prepared) {
    let r = ratio(p.width, p.height);
    assert!((0.8..=1.91).contains(&r), "{}×{} is {r}", p.width, p.height);
}

/// 600×800 (3:4, taller than 4:5) with a red band along the top and a blue one along the bottom.
fn portrait() -> RgbImage {
    let image = with_block(photo(600, 800), (0, 0, 600, 30), RED);
    with_block(image, (0, 770, 600, 30), BLUE)
}

#[test]
fn a_4_3_landscape_is_within_the_feed_range_and_kept_whole() {
    for fit in [Fit::CENTRE, Fit::Pad { rgb: GREEN }] {
        let p = prepared(&photo(800, 600), Target::Feed, fit);
        assert_eq!((p.width, p.height), (800, 600));
        assert_in_feed_range(&p);
    }
}

#[test]
fn a_3_4_portrait_cropped_around_a_focal_point_near_the_top_keeps_the_top() {
    let focal_near_top = Fit::Crop {
        focal_x: 0.5,
        focal_y: 0.05,
    };

    let p = prepared(&portrait(), Target::Feed, focal_near_top);

    assert_eq!((p.width, p.height), (600, 750), "exactly 4:5");
    assert_eq!(p.width * 5, p.height * 4);
    let shown = decode(&p.jpeg);
    assert!(
        near(*shown.get_pixel(300, 10), RED, 40),
        "the top band is kept"
    );
    assert!(
        !near(*shown.get_pixel(300, 745), BLUE, 80),
        "the bottom band is cut"
    );
}

#[test]
fn a_3_4_portrait_cropped_around_the_centre_loses_both_ends_evenly() {
    let p = prepared(&portrait(), Target::Feed, Fit::CENTRE);

    assert_eq!((p.width, p.height), (600, 750));
    let shown = decode(&p.jpeg);
    // 50 rows are cut, 25 from each end: 5 rows of each band remain.
    assert!(near(*shown.get_pixel(300, 1), RED, 60));
    assert!(near(*shown.get_pixel(300, 748), BLUE, 60));
    assert!(!near(*shown.get_pixel(300, 8), RED, 80));
}

#[test]
fn a_3_4_portrait_padded_gets_even_bars_at_the_sides() {
    let p = prepared(&portrait(), Target::Feed, Fit::Pad { rgb: GREEN });

    // 800 high at 4:5 is 640 wide: 20-pixel bars on each side of the 600-pixel photo.
    assert_eq!((p.width, p.height), (640, 800));
    assert_eq!(p.width * 5, p.height * 4);
    let shown = decode(&p.jpeg);
    for (x, y) in [(5, 400), (634, 400), (5, 5), (634, 795)] {
        assert!(near(*shown.get_pixel(x, y), GREEN, 24), "bar at ({x}, {y})");
    }
    assert!(near(*shown.get_pixel(320, 10), RED, 40), "the photo, whole");
    assert!(
        near(*shown.get_pixel(320, 790), BLUE, 40),
        "the photo, whole"
    );
}

#[test]
fn a_panorama_becomes_exactly_1_91_to_1_or_a_hair_narrower_never_wider() {
    for fit in [Fit::CENTRE, Fit::Pad { rgb: GREEN }] {
        let p = prepared(&photo(1000, 300), Target::Feed, fit);
        // 300 × 1.91 = 573; 1000 / 1.91 = 523.6, rounded up.
        let expected = match fit {
            Fit::Crop { .. } => (573, 300),
            Fit::Pad { .. } => (1000, 524),
        };
        assert_eq!((p.width, p.height), expected, "{fit:?}");
        assert_in_feed_range(&p);
        assert!(ratio(p.width, p.height) > 1.905);
    }
}

#[test]
fn a_4_3_image_cropped_for_a_story_is_exactly_9_16() {
    let p = prepared(&photo(800, 600), Target::Vertical, Fit::CENTRE);

    // The largest whole 9:16 inside 800×600: 37 × (9, 16).
    assert_eq!((p.width, p.height), (333, 592));
    assert_eq!(p.width * 16, p.height * 9);
}

#[test]
fn a_4_3_image_padded_for_a_story_is_exactly_9_16_with_bars_above_and_below() {
    let p = prepared(
        &with_block(photo(800, 600), (0, 0, 800, 600), RED),
        Target::Vertical,
        Fit::Pad { rgb: GREEN },
    );

    // The smallest whole 9:16 holding 800×600: 89 × (9, 16) = 801×1424, the photo 412 rows down.
    assert_eq!((p.width, p.height), (801, 1424));
    assert_eq!(p.width * 16, p.height * 9);
    let shown = decode(&p.jpeg);
    for y in [5, 405, 1018, 1418] {
        assert!(near(*shown.get_pixel(400, y), GREEN, 24), "bar at row {y}");
    }
    for y in [420, 712, 1004] {
        assert!(near(*shown.get_pixel(400, y), RED, 40), "photo at row {y}");
    }
}

#[test]
fn story_sizes_scale_down_to_1440_by_2560() {
    let p = prepared(&photo(1600, 900), Target::Vertical, Fit::Pad { rgb: GREEN });

    assert_eq!((p.width, p.height), (1440, 2560));
}
