//! What bytes are: the format from magic numbers (never the name or the `Content-Type`), an
//! image's size from its header (`imagesize`), the top-level boxes of an MP4/MOV, and a video's
//! tracks from its index (`re_mp4`).

use re_mp4::{Mp4, StsdBoxContent, TrackKind};

use crate::domain::media::{AudioCodec, Format, VideoCodec, VideoFacts};

/// The format of a file starting with `head`; `html` when the host called it a web page.
pub(super) fn format(head: &[u8], html: bool) -> Format {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Format::Jpeg {
            multi_picture: is_multi_picture(head),
        },
        [0x89, b'P', b'N', b'G', ..] => Format::OtherImage("PNG"),
        [b'G', b'I', b'F', b'8', ..] => Format::OtherImage("GIF"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => {
            Format::OtherImage("WebP")
        }
        [b'B', b'M', ..] => Format::OtherImage("BMP"),
        [b'I', b'I', 0x2A, 0, ..] | [b'M', b'M', 0, 0x2A, ..] => Format::OtherImage("TIFF"),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] => iso_format(brand),
        // Old QuickTime files open with their index or data, without a file type box.
        [_, _, _, _, b'm', b'o', b'o', b'v', ..]
        | [_, _, _, _, b'w', b'i', b'd', b'e', ..]
        | [_, _, _, _, b'm', b'd', b'a', b't', ..] => Format::Mov,
        _ if html || looks_like_html(head) => Format::WebPage,
        _ => Format::Unknown,
    }
}

/// An ISO file's major brand says what it holds: HEIF and AVIF pictures, QuickTime, or MP4.
fn iso_format(brand: &[u8]) -> Format {
    match brand.get(..4) {
        Some(b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"hevm" | b"mif1" | b"msf1") => {
            Format::OtherImage("HEIF")
        }
        Some(b"avif" | b"avis") => Format::OtherImage("AVIF"),
        Some(b"qt  ") => Format::Mov,
        _ => Format::Mp4,
    }
}

fn looks_like_html(head: &[u8]) -> bool {
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

/// A JPEG carrying a Multi-Picture Format index (an `APP2` segment starting `MPF\0`): an MPO.
fn is_multi_picture(jpeg: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        // Start of scan: the headers are over.
        if marker == 0xDA {
            return false;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let payload = jpeg.get(at + 4..at + 2 + len).unwrap_or(&[]);
        if marker == 0xE2 && payload.starts_with(b"MPF\0") {
            return true;
        }
        at += 2 + len;
    }
    false
}

/// An image's width and height from its header, if the bytes reach that far.
pub(super) fn image_size(head: &[u8]) -> Option<(u32, u32)> {
    let size = imagesize::blob_size(head).ok()?;
    Some((
        u32::try_from(size.width).ok()?,
        u32::try_from(size.height).ok()?,
    ))
}

/// A top-level box of an MP4/MOV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TopBox {
    pub(super) kind: [u8; 4],
    pub(super) start: u64,
    /// `None`: the box runs to the end of the file.
    pub(super) size: Option<u64>,
}

/// The box whose header starts at `bytes[0]` (which lies at `start` in the file).
pub(super) fn box_at(bytes: &[u8], start: u64) -> Option<TopBox> {
    let size = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    let kind: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let size = match size {
        0 => None,
        1 => Some(u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?)),
        n => Some(u64::from(n)),
    };
    // A box smaller than its own header would never end.
    if size.is_some_and(|s| s < 8) {
        return None;
    }
    Some(TopBox { kind, start, size })
}

/// The boxes whose headers lie in `head` (the file's first bytes), in order.
pub(super) fn top_boxes(head: &[u8]) -> Vec<TopBox> {
    let mut boxes = Vec::new();
    let mut at = 0u64;
    while let Some(b) = head.get(at as usize..).and_then(|rest| box_at(rest, at)) {
        boxes.push(b);
        match b.size {
            Some(size) => at += size,
            None => break,
        }
    }
    boxes
}

/// A video's facts from its file type box and its index (`moov`), read on their own.
pub(super) fn video(ftyp: &[u8], moov: &[u8]) -> Result<(VideoFacts, Option<(u32, u32)>), String> {
    let mut file = Vec::with_capacity(ftyp.len() + moov.len());
    file.extend_from_slice(ftyp);
    file.extend_from_slice(moov);
    let mp4 = Mp4::read_bytes(&file).map_err(|e| format!("its index is damaged: {e}"))?;
    // A track's kind comes from its codec when the reader knows it, else from its handler.
    let is = |t: &&re_mp4::Track, kind: TrackKind, handler: &[u8; 4]| {
        t.kind == Some(kind) || t.trak(&mp4).mdia.hdlr.handler_type.value == *handler
    };
    let tracks = mp4.tracks().values();
    let picture = tracks
        .clone()
        .find(|t| is(t, TrackKind::Video, b"vide"))
        .ok_or("it has no picture")?;
    let sound = tracks.clone().find(|t| is(t, TrackKind::Audio, b"soun"));
    let secs = match (picture.duration, picture.timescale) {
        (d, s) if d > 0 && s > 0 => d as f64 / s as f64,
        // A fragmented file: the movie header's duration.
        _ => match mp4.moov.mvhd.timescale {
            0 => 0.0,
            s => mp4.moov.mvhd.duration as f64 / f64::from(s),
        },
    };
    let frames = picture.samples.len();
    let facts = VideoFacts {
        moov_first: true,
        duration_secs: (secs > 0.0).then_some(secs),
        codec: Some(video_codec(
            &picture.trak(&mp4).mdia.minf.stbl.stsd.contents,
        )),
        fps: (secs > 0.0 && frames > 0).then(|| frames as f64 / secs),
        audio: sound.map(|t| audio_codec(&t.trak(&mp4).mdia.minf.stbl.stsd.contents)),
    };
    let size = (picture.width > 0 && picture.height > 0)
        .then(|| (u32::from(picture.width), u32::from(picture.height)));
    Ok((facts, size))
}

fn video_codec(entry: &StsdBoxContent) -> VideoCodec {
    match entry {
        StsdBoxContent::Avc1(_) => VideoCodec::H264,
        StsdBoxContent::Hvc1(_) | StsdBoxContent::Hev1(_) => VideoCodec::Hevc,
        StsdBoxContent::Vp08(_) => VideoCodec::Other("VP8".into()),
        StsdBoxContent::Vp09(_) => VideoCodec::Other("VP9".into()),
        StsdBoxContent::Av01(_) => VideoCodec::Other("AV1".into()),
        StsdBoxContent::Unknown(fourcc) => VideoCodec::Other(fourcc.to_string()),
        other => VideoCodec::Other(format!("{other:?}")),
    }
}

fn audio_codec(entry: &StsdBoxContent) -> AudioCodec {
    match entry {
        StsdBoxContent::Mp4a(_) => AudioCodec::Aac,
        StsdBoxContent::Unknown(fourcc) => AudioCodec::Other(fourcc.to_string()),
        other => AudioCodec::Other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(
            format(&[0xFF, 0xD8, 0xFF, 0xE0], false),
            Format::Jpeg {
                multi_picture: false
            }
        );
        assert_eq!(
            format(b"\x89PNG\r\n\x1a\n", false),
            Format::OtherImage("PNG")
        );
        assert_eq!(format(b"GIF89a", false), Format::OtherImage("GIF"));
        assert_eq!(
            format(b"RIFF\0\0\0\0WEBPVP8 ", false),
            Format::OtherImage("WebP")
        );
        assert_eq!(
            format(b"\0\0\0\x18ftypheic", false),
            Format::OtherImage("HEIF")
        );
        assert_eq!(format(b"\0\0\0\x18ftypisom", false), Format::Mp4);
        assert_eq!(format(b"\0\0\0\x14ftypqt  ", false), Format::Mov);
        assert_eq!(format(b"  <!DOCTYPE html><html>", false), Format::WebPage);
        assert_eq!(format(b"anything", true), Format::WebPage);
        assert_eq!(format(b"PK\x03\x04", false), Format::Unknown);
    }

    #[test]
    fn a_jpeg_with_a_multi_picture_index_is_an_mpo() {
        let mut mpo = vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 0, 0, 0xFF, 0xE2, 0, 8];
        mpo.extend_from_slice(b"MPF\0\0\0");
        assert_eq!(
            format(&mpo, false),
            Format::Jpeg {
                multi_picture: true
            }
        );
    }

    #[test]
    fn top_level_boxes_are_walked_by_their_sizes() {
        let mut file = Vec::new();
        file.extend_from_slice(&[0, 0, 0, 16]);
        file.extend_from_slice(b"ftypisom\0\0\0\0");
        file.extend_from_slice(&[0, 0, 0, 1]);
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(1u64 << 33).to_be_bytes());
        let boxes = top_boxes(&file);
        assert_eq!(boxes.len(), 2);
        assert_eq!(&boxes[0].kind, b"ftyp");
        assert_eq!(boxes[1].start, 16);
        assert_eq!(boxes[1].size, Some(1 << 33), "64-bit sizes");
        assert_eq!(box_at(&[0, 0, 0, 4, b'b', b'a', b'd', b'!'], 0), None);
    }
}
