//! The one format Instagram takes for photos.

use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;

use crate::PrepareError;

/// High enough that Instagram's own recompression is the only visible loss, low enough to stay
/// far below its 8 MB limit at 1440×2560.
const QUALITY: u8 = 90;

/// A baseline JPEG with a JFIF header and nothing else: the encoder writes EXIF, XMP or ICC
/// segments only when given them, and it is given none.
pub(crate) fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, PrepareError> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(image)
        .map_err(|error| PrepareError::Internal {
            reason: error.to_string(),
        })?;
    Ok(jpeg)
}
