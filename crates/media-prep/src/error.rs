//! Why a photo was refused, in words the customer can act on.

use std::fmt;

use crate::Kind;

const MIB: f64 = 1024.0 * 1024.0;

/// Why a file cannot be prepared. `Display` gives a message for the person who uploaded it: the
/// rule that was broken and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepareError {
    /// More bytes than [`Limits::max_bytes`](crate::Limits::max_bytes).
    TooLarge { bytes: u64, max_bytes: u64 },
    /// Not a JPEG, PNG, GIF or WebP image; `kind` says what it seems to be.
    NotAnImage { kind: Kind },
    /// The header announces more pixels than [`Limits::max_pixels`](crate::Limits::max_pixels).
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// Decoding would take more memory than [`Limits::max_alloc`](crate::Limits::max_alloc).
    TooMuchMemory { max_alloc: u64 },
    /// The decoder failed: the file is damaged or incomplete.
    Damaged { kind: Kind },
    /// A valid file in a variant the decoders do not read (an arithmetic-coded or 12-bit JPEG).
    UnsupportedEncoding { kind: Kind },
    /// The prepared image could not be written as JPEG. The geometry rules make this impossible;
    /// it would be a fault in this crate, not in the file.
    Internal { reason: String },
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::TooLarge { bytes, max_bytes } => write!(
                f,
                "The file is {:.1} MB; the limit is {:.0} MB. Export it at a smaller size or a \
                 higher compression and upload it again.",
                *bytes as f64 / MIB,
                *max_bytes as f64 / MIB,
            ),
            PrepareError::NotAnImage { kind } => not_an_image(f, *kind),
            PrepareError::TooManyPixels {
                width,
                height,
                max_pixels,
            } => write!(
                f,
                "The image is {width}×{height} pixels ({} megapixels); the limit is {} \
                 megapixels. Resize it and upload it again.",
                megapixels(u64::from(*width) * u64::from(*height)),
                megapixels(*max_pixels),
            ),
            PrepareError::TooMuchMemory { max_alloc } => write!(
                f,
                "Reading this image would need more than the {:.0} MB of memory allowed. Export \
                 it with fewer pixels and upload it again.",
                *max_alloc as f64 / MIB,
            ),
            PrepareError::Damaged { kind } => write!(
                f,
                "This {} image could not be read: the file is damaged or incomplete. Upload it \
                 again, or export a new copy from the original.",
                kind.name(),
            ),
            PrepareError::UnsupportedEncoding { kind } => write!(
                f,
                "This {0} image uses an encoding that cannot be read here. Open it in a photo \
                 editor, save it as a standard {0} and upload it again.",
                kind.name(),
            ),
            PrepareError::Internal { reason } => write!(
                f,
                "The image was read but could not be saved for Instagram ({reason}). This is a \
                 fault in the service, not in the file; please report it.",
            ),
        }
    }
}

impl std::error::Error for PrepareError {}

fn not_an_image(f: &mut fmt::Formatter<'_>, kind: Kind) -> fmt::Result {
    const NOT: &str = "This file is not a JPEG, PNG, GIF or WebP image";
    match kind {
        Kind::Heic => write!(
            f,
            "{NOT}; it looks like a HEIC photo, the iPhone's own format. Export it as JPEG (or \
             set Settings › Camera › Formats to Most Compatible) and upload it again."
        ),
        Kind::Avif | Kind::Tiff => write!(
            f,
            "{NOT}; it looks like a {} image. Export it as JPEG and upload it again.",
            kind.name()
        ),
        Kind::Pdf => write!(
            f,
            "{NOT}; it looks like a PDF. Export the page as a JPEG or PNG image and upload that."
        ),
        Kind::Mp4 | Kind::Mov => write!(
            f,
            "{NOT}; it looks like a video ({}). Post videos as reels, and upload a photo here.",
            kind.name()
        ),
        Kind::Jpeg | Kind::Png | Kind::Gif | Kind::Webp | Kind::Other => write!(
            f,
            "{NOT}, and its format is not recognised. Save the photo as JPEG and upload it again."
        ),
    }
}

/// Whole megapixels where that is precise enough, one decimal below ten.
fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1_000_000.0;
    if mp >= 10.0 {
        format!("{mp:.0}")
    } else {
        format!("{mp:.1}")
    }
}
