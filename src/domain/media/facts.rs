//! What the first bytes of a media file say about it: its format (from the bytes, never the name
//! or the `Content-Type`), size, dimensions, and for a video its index position, codecs, duration
//! and frame rate.

/// A file's format, sniffed from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// `multi_picture`: an MPO (several pictures in one JPEG, as some cameras write), which
    /// Instagram refuses.
    Jpeg {
        multi_picture: bool,
    },
    /// Another image format, by name (PNG, GIF, WebP, HEIF, BMP, TIFF).
    OtherImage(&'static str),
    Mp4,
    /// QuickTime.
    Mov,
    /// HTML: the URL leads to a page, not to the file.
    WebPage,
    /// Nothing recognised.
    Unknown,
}

impl Format {
    pub fn is_image(&self) -> bool {
        matches!(self, Format::Jpeg { .. } | Format::OtherImage(_))
    }

    pub fn is_video(&self) -> bool {
        matches!(self, Format::Mp4 | Format::Mov)
    }

    /// The format's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Jpeg {
                multi_picture: true,
            } => "MPO",
            Format::Jpeg { .. } => "JPEG",
            Format::OtherImage(name) => name,
            Format::Mp4 => "MP4",
            Format::Mov => "MOV",
            Format::WebPage => "a web page",
            Format::Unknown => "an unrecognised file",
        }
    }
}

/// What a probe learned about one media URL.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFacts {
    pub format: Format,
    /// The whole file's size, when the host said (`Content-Length` or `Content-Range`).
    pub bytes: Option<u64>,
    /// Pixels, when the header gave them.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// For MP4 and MOV.
    pub video: Option<VideoFacts>,
}

impl MediaFacts {
    /// Width over height.
    pub fn aspect_ratio(&self) -> Option<f64> {
        match (self.width, self.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => Some(f64::from(w) / f64::from(h)),
            _ => None,
        }
    }
}

/// What a video's index (`moov`) says. Everything but `moov_first` is unknown when the index
/// comes after the media data: that alone refuses the video.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VideoFacts {
    /// The index comes before the media data ("fast start"), as Instagram requires.
    pub moov_first: bool,
    pub duration_secs: Option<f64>,
    pub codec: Option<VideoCodec>,
    pub fps: Option<f64>,
    /// `None` when the video has no sound.
    pub audio: Option<AudioCodec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Hevc,
    /// Anything else, by its sample entry (`mp4v`, `vp09`, `av01`, ...).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioCodec {
    Aac,
    Other(String),
}
