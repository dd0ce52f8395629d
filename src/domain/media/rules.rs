//! Instagram's limits on media, per kind of post (docs/graph-api.md §5 "Limits"), applied to what
//! a probe read. Only documented rules refuse; each refusal names the rule and the fix.

use super::{AudioCodec, Format, MediaFacts, VideoCodec};
use crate::dto::{MediaType, PostKind};

const MIB: u64 = 1024 * 1024;
/// Images: JPEG only, at most 8 MiB.
const IMAGE_MAX_BYTES: u64 = 8 * MIB;
/// Feed images (single and carousel): between 4:5 and 1.91:1, give or take rounding of pixels.
const FEED_RATIO: (f64, f64) = (0.8, 1.91);
const RATIO_SLACK: f64 = 0.005;
/// Reels: 3 s to 15 min, at most 300 MiB, 23-60 fps, at most 1920 px wide, 0.01:1 to 10:1.
const REEL_SECS: (f64, f64) = (3.0, 15.0 * 60.0);
const REEL_MAX_BYTES: u64 = 300 * MIB;
const REEL_FPS: (f64, f64) = (23.0, 60.0);
const REEL_MAX_WIDTH: u32 = 1920;
const REEL_RATIO: (f64, f64) = (0.01, 10.0);
/// Story videos: 3 to 60 s, at most 100 MiB.
const STORY_SECS: (f64, f64) = (3.0, 60.0);
const STORY_MAX_BYTES: u64 = 100 * MIB;
/// Durations a hair outside a bound (a 2.99 s export of a 3 s clip) are rounding, not a breach.
const SECS_SLACK: f64 = 0.05;
const FPS_SLACK: f64 = 0.5;

/// Whether Instagram would take `facts` as a `declared` item of a `kind` post.
pub fn check(kind: PostKind, declared: MediaType, facts: &MediaFacts) -> Result<(), String> {
    match &facts.format {
        Format::WebPage => return Err("The URL leads to a web page, not to the file itself. Use the direct link to the image or video (the address of the file, usually ending in .jpg or .mp4).".into()),
        Format::Unknown => return Err("The file at this URL is neither a JPEG image nor an MP4 or MOV video.".into()),
        _ => {}
    }
    match declared {
        MediaType::Image => check_image(kind, facts),
        MediaType::Video => check_video(kind, facts),
    }
}

fn check_image(kind: PostKind, facts: &MediaFacts) -> Result<(), String> {
    match facts.format {
        Format::Jpeg {
            multi_picture: true,
        } => return Err("This JPEG holds several pictures (an MPO file, as some cameras save), which Instagram refuses. Save it again as an ordinary JPEG.".into()),
        Format::Jpeg { .. } => {}
        ref f if f.is_video() => return Err(format!("This URL holds a video ({}), but the item says image. Set its media type to video.", f.name())),
        ref f => return Err(format!("Instagram accepts only JPEG images; this one is {}. Convert it to JPEG and try again.", f.name())),
    }
    if let Some(bytes) = facts.bytes.filter(|b| *b > IMAGE_MAX_BYTES) {
        return Err(format!(
            "The image is {}; Instagram accepts at most 8 MiB. Export it smaller.",
            megabytes(bytes)
        ));
    }
    let feed = matches!(kind, PostKind::Image | PostKind::Carousel);
    if let (true, Some(ratio)) = (feed, facts.aspect_ratio()) {
        if !within(ratio, FEED_RATIO, RATIO_SLACK) {
            return Err(format!(
                "The image is {}×{} pixels, an aspect ratio of {ratio:.2}:1; feed images must be between 4:5 (0.8:1, portrait) and 1.91:1 (landscape). Crop it.",
                facts.width.unwrap_or(0),
                facts.height.unwrap_or(0)
            ));
        }
    }
    Ok(())
}

fn check_video(kind: PostKind, facts: &MediaFacts) -> Result<(), String> {
    if facts.format.is_image() {
        return Err(format!(
            "This URL holds an image ({}), but the item says video. Set its media type to image.",
            facts.format.name()
        ));
    }
    let video = facts.video.clone().unwrap_or_default();
    if !video.moov_first {
        return Err("The video's index (the \"moov atom\") comes after its data; Instagram needs it first. Export it with \"fast start\" or \"optimise for web\" (ffmpeg: -movflags +faststart).".into());
    }
    match &video.codec {
        Some(VideoCodec::H264 | VideoCodec::Hevc) | None => {}
        Some(VideoCodec::Other(name)) => {
            return Err(format!(
                "The video is encoded as {name}; Instagram needs H.264 or HEVC. Export it again as MP4 (H.264, AAC)."
            ))
        }
    }
    if let Some(AudioCodec::Other(name)) = &video.audio {
        return Err(format!(
            "The video's sound is encoded as {name}; Instagram needs AAC. Export it again as MP4 (H.264, AAC)."
        ));
    }
    let (secs, max_bytes, what) = match kind {
        PostKind::Story => (STORY_SECS, STORY_MAX_BYTES, "Story videos"),
        PostKind::Reel => (REEL_SECS, REEL_MAX_BYTES, "Reels"),
        // The documentation gives carousel videos no limits of their own: the reel limits,
        // which are the widest, refuse only what no video post accepts.
        _ => (REEL_SECS, REEL_MAX_BYTES, "Videos"),
    };
    if let Some(d) = video
        .duration_secs
        .filter(|d| !within(*d, secs, SECS_SLACK))
    {
        return Err(format!(
            "The video is {} long; {what} must last {} to {}. Trim it.",
            duration(d),
            duration(secs.0),
            duration(secs.1)
        ));
    }
    if let Some(bytes) = facts.bytes.filter(|b| *b > max_bytes) {
        return Err(format!(
            "The video is {}; {what} may be at most {}. Export it smaller.",
            megabytes(bytes),
            megabytes(max_bytes)
        ));
    }
    if kind == PostKind::Reel {
        check_reel_picture(facts, &video.fps)?;
    }
    Ok(())
}

/// The reel-only rules: frame rate, width and shape.
fn check_reel_picture(facts: &MediaFacts, fps: &Option<f64>) -> Result<(), String> {
    if let Some(fps) = fps.filter(|f| !within(*f, REEL_FPS, FPS_SLACK)) {
        return Err(format!(
            "The video has {fps:.0} frames per second; reels need 23 to 60. Export it at 30 fps."
        ));
    }
    if let Some(width) = facts.width.filter(|w| *w > REEL_MAX_WIDTH) {
        return Err(format!(
            "The video is {width} pixels wide; reels may be at most {REEL_MAX_WIDTH}. Export it at 1080×1920."
        ));
    }
    if let Some(ratio) = facts
        .aspect_ratio()
        .filter(|r| !within(*r, REEL_RATIO, 0.0))
    {
        return Err(format!(
            "The video's aspect ratio is {ratio:.2}:1; reels must be between 0.01:1 and 10:1 (9:16 is best)."
        ));
    }
    Ok(())
}

fn within(value: f64, (min, max): (f64, f64), slack: f64) -> bool {
    value >= min - slack && value <= max + slack
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

fn duration(secs: f64) -> String {
    if secs <= 60.0 {
        return format!("{secs:.1} seconds").replace(".0 ", " ");
    }
    let whole = secs.round() as u64;
    match whole % 60 {
        0 => format!("{} minutes", whole / 60),
        s => format!("{}:{s:02} minutes", whole / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::media::VideoFacts;

    fn jpeg(w: u32, h: u32, bytes: u64) -> MediaFacts {
        MediaFacts {
            format: Format::Jpeg {
                multi_picture: false,
            },
            bytes: Some(bytes),
            width: Some(w),
            height: Some(h),
            video: None,
        }
    }

    fn mp4(secs: f64, fps: f64, w: u32, h: u32, bytes: u64) -> MediaFacts {
        MediaFacts {
            format: Format::Mp4,
            bytes: Some(bytes),
            width: Some(w),
            height: Some(h),
            video: Some(VideoFacts {
                moov_first: true,
                duration_secs: Some(secs),
                codec: Some(VideoCodec::H264),
                fps: Some(fps),
                audio: Some(AudioCodec::Aac),
            }),
        }
    }

    fn refused(result: Result<(), String>, says: &str) {
        let message = result.expect_err("refused");
        assert!(message.contains(says), "{message:?} does not say {says:?}");
    }

    #[test]
    fn images_are_jpeg_up_to_8_mb_and_feed_images_between_4_5_and_1_91() {
        let (image, carousel, story) = (PostKind::Image, PostKind::Carousel, PostKind::Story);
        assert!(check(image, MediaType::Image, &jpeg(1080, 1350, 500_000)).is_ok());
        assert!(
            check(image, MediaType::Image, &jpeg(1080, 566, 500_000)).is_ok(),
            "1.91:1"
        );
        assert!(check(image, MediaType::Image, &jpeg(1080, 1080, 8 * MIB)).is_ok());
        refused(
            check(image, MediaType::Image, &jpeg(1080, 1080, 8 * MIB + 1)),
            "at most 8 MiB",
        );
        refused(
            check(image, MediaType::Image, &jpeg(1080, 1920, 1)),
            "between 4:5",
        );
        refused(
            check(carousel, MediaType::Image, &jpeg(2000, 1000, 1)),
            "between 4:5",
        );
        assert!(
            check(story, MediaType::Image, &jpeg(1080, 1920, 1)).is_ok(),
            "stories take any shape"
        );
        let mut png = jpeg(1080, 1080, 1);
        png.format = Format::OtherImage("PNG");
        refused(
            check(image, MediaType::Image, &png),
            "only JPEG images; this one is PNG",
        );
        let mut mpo = jpeg(1080, 1080, 1);
        mpo.format = Format::Jpeg {
            multi_picture: true,
        };
        refused(check(image, MediaType::Image, &mpo), "MPO");
        refused(
            check(image, MediaType::Image, &mp4(10.0, 30.0, 1080, 1920, 1)),
            "holds a video",
        );
        let unknown_size = MediaFacts {
            bytes: None,
            ..jpeg(1080, 1080, 0)
        };
        assert!(check(image, MediaType::Image, &unknown_size).is_ok());
    }

    #[test]
    fn videos_follow_the_reel_and_story_limits() {
        let (reel, story) = (PostKind::Reel, PostKind::Story);
        let ok = mp4(30.0, 30.0, 1080, 1920, 20 * MIB);
        assert!(check(reel, MediaType::Video, &ok).is_ok());
        assert!(check(story, MediaType::Video, &ok).is_ok());
        assert!(check(PostKind::Carousel, MediaType::Video, &ok).is_ok());
        refused(
            check(reel, MediaType::Video, &mp4(2.0, 30.0, 1080, 1920, 1)),
            "2 seconds long; Reels must last 3 seconds to 15 minutes",
        );
        assert!(
            check(reel, MediaType::Video, &mp4(2.99, 30.0, 1080, 1920, 1)).is_ok(),
            "rounding"
        );
        refused(
            check(reel, MediaType::Video, &mp4(901.0, 30.0, 1080, 1920, 1)),
            "15:01 minutes long",
        );
        refused(
            check(story, MediaType::Video, &mp4(61.0, 30.0, 1080, 1920, 1)),
            "3 seconds to 60 seconds",
        );
        refused(
            check(
                story,
                MediaType::Video,
                &mp4(30.0, 30.0, 1080, 1920, 101 * MIB),
            ),
            "at most 100.0 MiB",
        );
        refused(
            check(
                reel,
                MediaType::Video,
                &mp4(30.0, 30.0, 1080, 1920, 301 * MIB),
            ),
            "at most 300.0 MiB",
        );
        refused(
            check(reel, MediaType::Video, &mp4(30.0, 15.0, 1080, 1920, 1)),
            "15 frames per second",
        );
        refused(
            check(reel, MediaType::Video, &mp4(30.0, 30.0, 2160, 3840, 1)),
            "2160 pixels wide",
        );
        assert!(
            check(story, MediaType::Video, &mp4(30.0, 15.0, 2160, 3840, 1)).is_ok(),
            "frame rate and width are reel rules"
        );

        let mut late_index = ok.clone();
        late_index.video = Some(VideoFacts::default());
        refused(check(reel, MediaType::Video, &late_index), "fast start");
        let mut mpeg4 = ok.clone();
        mpeg4.video.as_mut().unwrap().codec = Some(VideoCodec::Other("mp4v".into()));
        refused(
            check(reel, MediaType::Video, &mpeg4),
            "encoded as mp4v; Instagram needs H.264 or HEVC",
        );
        let mut hevc = ok.clone();
        hevc.video.as_mut().unwrap().codec = Some(VideoCodec::Hevc);
        assert!(check(reel, MediaType::Video, &hevc).is_ok());
        let mut opus = ok.clone();
        opus.video.as_mut().unwrap().audio = Some(AudioCodec::Other("Opus".into()));
        refused(check(reel, MediaType::Video, &opus), "needs AAC");
        let mut silent = ok;
        silent.video.as_mut().unwrap().audio = None;
        assert!(check(reel, MediaType::Video, &silent).is_ok());
        refused(
            check(reel, MediaType::Video, &jpeg(1080, 1920, 1)),
            "holds an image",
        );
    }

    #[test]
    fn a_web_page_or_an_unknown_file_is_named_as_such() {
        let page = MediaFacts {
            format: Format::WebPage,
            bytes: None,
            width: None,
            height: None,
            video: None,
        };
        refused(check(PostKind::Image, MediaType::Image, &page), "web page");
        let unknown = MediaFacts {
            format: Format::Unknown,
            ..page
        };
        refused(check(PostKind::Reel, MediaType::Video, &unknown), "neither");
    }
}
