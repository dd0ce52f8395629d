//! What a file is, from its first bytes.

/// What a file is, judged from its first bytes (its magic number), never from its name or a
/// declared content type: customers rename files, and browsers guess types from names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    /// HEIC or another HEIF still image: the iPhone's default photo format.
    Heic,
    Avif,
    Tiff,
    Pdf,
    /// An ISO base media file (MP4, M4V, 3GP) that is not a still image or a QuickTime movie.
    Mp4,
    /// A QuickTime movie (brand `qt  `), as iPhones record.
    Mov,
    Other,
}

/// How many leading bytes [`sniff`] may look at; passing more is harmless, passing fewer may turn
/// a HEIF-family file into [`Kind::Heic`] where a longer prefix would have shown it to be AVIF.
pub const SNIFF_LEN: usize = 64;

/// Tells what the bytes are from their first bytes (see [`SNIFF_LEN`]).
pub fn sniff(first_bytes: &[u8]) -> Kind {
    let b = first_bytes;
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Jpeg
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Png
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Kind::Gif
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Kind::Webp
    } else if b.starts_with(b"%PDF-") {
        Kind::Pdf
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Kind::Tiff
    } else if b.get(4..8) == Some(b"ftyp") {
        iso_media_kind(b)
    } else {
        Kind::Other
    }
}

/// HEIC, AVIF, MP4 and MOV all begin with an ISO `ftyp` box; its major brand tells them apart,
/// and for the generic HEIF brands (`mif1`, `msf1`) the compatible brands say whether the
/// pictures inside are AV1 (AVIF) or HEVC (HEIC).
fn iso_media_kind(b: &[u8]) -> Kind {
    let Some(major) = b.get(8..12) else {
        return Kind::Other;
    };
    match major {
        b"qt  " => Kind::Mov,
        b"avif" | b"avis" => Kind::Avif,
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Kind::Heic,
        b"mif1" | b"msf1" => {
            let declared = b.get(..4).map_or(0, |size| {
                u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize
            });
            let end = declared.min(b.len());
            let compatible = b.get(16..end).unwrap_or_default();
            if compatible
                .chunks_exact(4)
                .any(|brand| brand == b"avif" || brand == b"avis")
            {
                Kind::Avif
            } else {
                Kind::Heic
            }
        }
        _ => Kind::Mp4,
    }
}

impl Kind {
    /// The format's usual name, as people know it from file names and export dialogs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG",
            Kind::Png => "PNG",
            Kind::Gif => "GIF",
            Kind::Webp => "WebP",
            Kind::Heic => "HEIC",
            Kind::Avif => "AVIF",
            Kind::Tiff => "TIFF",
            Kind::Pdf => "PDF",
            Kind::Mp4 => "MP4",
            Kind::Mov => "MOV",
            Kind::Other => "unknown",
        }
    }

    /// The decoder for the kinds this crate reads; `None` for every other kind.
    pub(crate) fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Kind::Jpeg => Some(image::ImageFormat::Jpeg),
            Kind::Png => Some(image::ImageFormat::Png),
            Kind::Gif => Some(image::ImageFormat::Gif),
            Kind::Webp => Some(image::ImageFormat::WebP),
            _ => None,
        }
    }
}
