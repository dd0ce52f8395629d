//! The two entry points: a photo for publishing, and a thumbnail for the library.

use std::ops::RangeInclusive;

use image::imageops;
use image::{Rgb, RgbImage};

use crate::color::convert_to_srgb;
use crate::decode::{decode, Decoded};
use crate::encode::encode_jpeg;
use crate::ratio::{self, Fit, Layout, Size, Target};
use crate::resample::kept_and_scaled;
use crate::{Kind, Limits, PrepareError};

/// The widest image Instagram keeps; wider ones are scaled down on its side.
pub const INSTAGRAM_MAX_WIDTH: u32 = 1440;

/// The widths a request may ask for. Anything wider than Instagram's 1440 is wasted, and the
/// upper bound keeps a padded 9:16 output (`max_width` × 16/9) within memory and within JPEG's
/// 65,535-pixel sides; the lower bound leaves room for the shapes' smallest whole multiples.
const WIDTHS: RangeInclusive<u32> = 16..=4096;
/// The longest sides a thumbnail may ask for, for the same reason.
const THUMBNAIL_SIDES: RangeInclusive<u32> = 1..=4096;

/// How to prepare a photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub target: Target,
    pub fit: Fit,
    /// The widest output, in pixels, clamped to 16..=4096. Narrower photos are not enlarged.
    pub max_width: u32,
}

impl Default for Request {
    /// The feed, cropped around the centre, at Instagram's width.
    fn default() -> Self {
        Request {
            target: Target::Feed,
            fit: Fit::CENTRE,
            max_width: INSTAGRAM_MAX_WIDTH,
        }
    }
}

/// A prepared photo: a baseline sRGB JPEG without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub source: Source,
}

/// What the uploaded file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub kind: Kind,
    /// The width as a person sees it: after the EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation turned or flipped the pixels.
    pub orientation_applied: bool,
    /// The file carried EXIF, XMP or IPTC metadata (which may say where it was taken); none of
    /// it is in the output.
    pub had_metadata: bool,
    /// The file carried an ICC colour profile, and its pixels were converted from it to sRGB.
    pub icc_converted: bool,
}

/// Prepares an uploaded photo for publishing: refuses what is too large, not an image, a
/// decompression bomb or damaged; then turns it upright, brings it into the target's shape by
/// `request.fit`, scales it down to `request.max_width`, flattens transparency onto white and
/// encodes it as a baseline sRGB JPEG (quality 90) without metadata. Animated GIF and WebP give
/// their first frame.
pub fn prepare_image(
    bytes: &[u8],
    request: &Request,
    limits: &Limits,
) -> Result<Prepared, PrepareError> {
    let Decoded {
        image,
        icc,
        mut source,
    } = decode(bytes, limits)?;
    let max_width = request.max_width.clamp(*WIDTHS.start(), *WIDTHS.end());
    let layout = ratio::layout(
        source.width,
        source.height,
        request.target,
        request.fit,
        max_width,
    );
    let mut content = kept_and_scaled(image, &layout);
    source.icc_converted = icc.is_some_and(|icc| convert_to_srgb(&mut content, &icc));
    // After the colour conversion, so the bars are exactly the colour asked for.
    let output = match request.fit {
        Fit::Pad { rgb } if layout.canvas != layout.content => with_bars(&content, &layout, rgb),
        _ => content,
    };
    finish(output, source)
}

/// A small JPEG for the library's grid: the whole upright image, its longest side at most
/// `max_side` (clamped to 1..=4096, never scaled up), under the same rules as [`prepare_image`].
pub fn thumbnail(bytes: &[u8], max_side: u32, limits: &Limits) -> Result<Prepared, PrepareError> {
    let Decoded {
        image,
        icc,
        mut source,
    } = decode(bytes, limits)?;
    let side = max_side.clamp(*THUMBNAIL_SIDES.start(), *THUMBNAIL_SIDES.end());
    let small = ratio::within_square(source.width, source.height, side);
    let mut thumb = if small == size_of(&image) {
        image
    } else {
        // An area average: fast, and sharp enough for a grid.
        imageops::thumbnail(&image, small.w, small.h)
    };
    source.icc_converted = icc.is_some_and(|icc| convert_to_srgb(&mut thumb, &icc));
    finish(thumb, source)
}

fn with_bars(content: &RgbImage, layout: &Layout, rgb: [u8; 3]) -> RgbImage {
    let mut canvas = RgbImage::from_pixel(layout.canvas.w, layout.canvas.h, Rgb(rgb));
    let (x, y) = layout.content_at;
    imageops::replace(&mut canvas, content, i64::from(x), i64::from(y));
    canvas
}

fn finish(image: RgbImage, source: Source) -> Result<Prepared, PrepareError> {
    Ok(Prepared {
        jpeg: encode_jpeg(&image)?,
        width: image.width(),
        height: image.height(),
        source,
    })
}

fn size_of(image: &RgbImage) -> Size {
    Size {
        w: image.width(),
        h: image.height(),
    }
}
