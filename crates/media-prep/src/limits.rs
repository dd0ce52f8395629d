//! How much a file may ask of the server before anything is decoded.

use crate::PrepareError;

/// Bounds on what one uploaded file may cost. They are checked in order of cost: the byte
/// count, then the pixel count from the header alone, and only then is anything decoded, with
/// `max_alloc` handed to the decoder as a second guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted.
    pub max_bytes: u64,
    /// The most pixels (width × height) a header may announce. A few kilobytes of PNG or GIF can
    /// announce gigapixels (a decompression bomb), so this is what bounds memory and time.
    pub max_pixels: u64,
    /// The most memory the decoder may allocate for one image. Peak memory for a request is
    /// about this plus two 3-byte-per-pixel copies of the image (flattening transparency, and
    /// turning it upright).
    pub max_alloc: u64,
}

impl Default for Limits {
    /// 30 MiB, 50 megapixels, 512 MiB: larger than any phone or camera photo customers post
    /// (a 48-megapixel phone JPEG is about 15 MB), small enough that two images decoded at once
    /// fit a small server.
    fn default() -> Self {
        Limits {
            max_bytes: 30 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

impl Limits {
    pub(crate) fn check_bytes(&self, len: usize) -> Result<(), PrepareError> {
        let bytes = len as u64;
        if bytes > self.max_bytes {
            return Err(PrepareError::TooLarge {
                bytes,
                max_bytes: self.max_bytes,
            });
        }
        Ok(())
    }

    pub(crate) fn check_pixels(&self, width: u32, height: u32) -> Result<(), PrepareError> {
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(PrepareError::TooManyPixels {
                width,
                height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }

    pub(crate) fn check_alloc(&self, bytes: u64) -> Result<(), PrepareError> {
        if bytes > self.max_alloc {
            return Err(self.too_much_memory());
        }
        Ok(())
    }

    pub(crate) fn too_much_memory(&self) -> PrepareError {
        PrepareError::TooMuchMemory {
            max_alloc: self.max_alloc,
        }
    }

    /// The limits a decoder is built with, before the header has been checked: only memory,
    /// since PNG reads its metadata chunks (compressed text, ICC profiles) while it is built;
    /// the sides are left to [`Limits::check_pixels`], which can say what they are.
    pub(crate) fn for_header(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(self.max_alloc);
        limits
    }

    /// The limits a decoder decodes with, the second guard: besides `max_alloc`, which bounds
    /// what decoders allocate beyond the image itself (a GIF frame larger than its screen), the
    /// decoder must not meet an image larger than its header announced.
    pub(crate) fn for_decoding(&self, width: u32, height: u32) -> image::Limits {
        let mut limits = self.for_header();
        limits.max_image_width = Some(width);
        limits.max_image_height = Some(height);
        limits
    }
}
