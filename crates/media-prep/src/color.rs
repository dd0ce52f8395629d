//! Colour: everything leaves as sRGB.

use image::RgbImage;
use moxcms::{ColorProfile, Layout, TransformOptions};

/// Converts pixels described by an embedded ICC profile to sRGB, in place, and says whether it
/// did. The output carries no profile (it carries no metadata at all), and a JPEG without one is
/// shown as sRGB: an iPhone's Display P3 photo left unconverted would look dull and washed out.
///
/// A profile that cannot be read or converted (a CMYK or greyscale profile, since the pixels are
/// RGB by now, or a damaged one) leaves the pixels as they are, treated as sRGB: the photo is
/// still worth publishing with slightly-off colours.
pub(crate) fn convert_to_srgb(image: &mut RgbImage, icc: &[u8]) -> bool {
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    let Ok(transform) = profile.create_transform_8bit(
        Layout::Rgb,
        &ColorProfile::new_srgb(),
        Layout::Rgb,
        TransformOptions::default(),
    ) else {
        return false;
    };
    let row_len = image.width() as usize * 3;
    if row_len == 0 {
        return false;
    }
    // A row at a time, so the conversion needs one row of extra memory, not a second image.
    let mut converted = vec![0; row_len];
    for row in image.chunks_exact_mut(row_len) {
        if transform.transform(row, &mut converted).is_err() {
            return false;
        }
        row.copy_from_slice(&converted);
    }
    true
}
