//! The library's grid shows small JPEGs: the whole upright picture, its longest side at most
//! the size asked for, never enlarged, with no metadata.

mod common;

use common::*;
use media_prep::{thumbnail, Limits};

#[test]
fn the_longest_side_becomes_the_size_asked_for() {
    for ((w, h), expected) in [
        ((800, 600), (256, 192)),
        ((600, 800), (192, 256)),
        ((1000, 250), (256, 64)),
    ] {
        let bytes = jpeg_with(&photo(w, h), Some(exif_with_gps(1)), None);

        let thumb = thumbnail(&bytes, 256, &Limits::default()).unwrap();

        assert_eq!((thumb.width, thumb.height), expected, "{w}×{h}");
        assert_eq!(decode(&thumb.jpeg).dimensions(), expected);
        assert!(thumb.source.had_metadata && !thumb.source.orientation_applied);
        assert_bare_baseline_jpeg(&thumb.jpeg);
        assert!(!contains(&thumb.jpeg, GPS_DATUM));
    }
}

#[test]
fn a_picture_smaller_than_the_thumbnail_is_not_enlarged() {
    let thumb = thumbnail(&jpeg(&photo(120, 90)), 256, &Limits::default()).unwrap();

    assert_eq!((thumb.width, thumb.height), (120, 90));
}
