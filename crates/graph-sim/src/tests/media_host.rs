//! The media host `/_sim/files/{name}`: real files at real URLs, checked with real decoders
//! and parsers.

use std::io::Cursor;
use std::time::Instant;

use mp4parse::{CodecType, SampleEntry, TrackType};
use reqwest::StatusCode;

use super::*;

async fn fetch(t: &TestSim, path: &str) -> reqwest::Response {
    t.http.get(t.url(path)).send().await.unwrap()
}

async fn body(t: &TestSim, path: &str) -> Vec<u8> {
    let response = fetch(t, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

#[track_caller]
fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response.headers()[name].to_str().unwrap()
}

/// Offset of the first `FF marker` of a JPEG, walking its segments.
fn jpeg_marker_offset(bytes: &[u8], marker: u8) -> Option<usize> {
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        if bytes[at + 1] == marker {
            return Some(at);
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        at += 2 + len;
    }
    None
}

fn decode_jpeg(bytes: &[u8]) -> (u16, u16, Vec<u8>) {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let pixels = decoder.decode().expect("a decodable JPEG");
    let info = decoder.info().unwrap();
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    (info.width, info.height, pixels)
}

#[tokio::test]
async fn jpeg_files_are_baseline_jpegs_of_the_asked_size() {
    let t = TestSim::start().await;
    let response = fetch(&t, "/_sim/files/photo.jpg").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/jpeg");
    assert_eq!(header(&response, "accept-ranges"), "bytes");
    let length: usize = header(&response, "content-length").parse().unwrap();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), length);
    assert_eq!(&bytes[..3], [0xFF, 0xD8, 0xFF]);
    assert_eq!(&bytes[bytes.len() - 2..], [0xFF, 0xD9]);
    let (w, h, pixels) = decode_jpeg(&bytes);
    assert_eq!((w, h), (1080, 1080));
    // A picture, not one flat colour.
    assert_ne!(pixels[..3], pixels[pixels.len() - 3..]);
    // Baseline: SOF0, and no progressive SOF2.
    assert!(jpeg_marker_offset(&bytes, 0xC0).is_some());
    assert!(jpeg_marker_offset(&bytes, 0xC2).is_none());

    for (w, h) in [(1080, 1350), (1080, 566), (320, 400), (1, 1), (1441, 999)] {
        let bytes = body(&t, &format!("/_sim/files/p.jpeg?w={w}&h={h}")).await;
        let (width, height, _) = decode_jpeg(&bytes);
        assert_eq!((width, height), (w, h));
    }
    let bad = fetch(&t, "/_sim/files/p.jpg?w=0").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn jpeg_bytes_pads_after_the_end_marker_to_exactly_n_bytes() {
    let t = TestSim::start().await;
    let natural = body(&t, "/_sim/files/a.jpg?w=1080&h=1350").await;
    let big = 8 * 1024 * 1024 + 1;
    let padded = body(&t, &format!("/_sim/files/a.jpg?w=1080&h=1350&bytes={big}")).await;
    assert_eq!(padded.len(), big);
    assert_eq!(padded[..natural.len()], natural[..]);
    assert!(padded[natural.len()..].iter().all(|b| *b == 0));
    assert_eq!(decode_jpeg(&padded).0, 1080);

    // 300 MB are streamed: HEAD tells the size, a range reads the end.
    let huge = "/_sim/files/a.jpg?bytes=300000000";
    let head = t.http.head(t.url(huge)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-length"), "300000000");
    assert!(head.bytes().await.unwrap().is_empty());
    let tail = t
        .http
        .get(t.url(huge))
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&tail, "content-range"),
        "bytes 299999990-299999999/300000000"
    );
    assert_eq!(tail.bytes().await.unwrap().to_vec(), vec![0u8; 10]);

    let too_small = fetch(&t, "/_sim/files/a.jpg?bytes=10").await;
    assert_eq!(too_small.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn exif_bytes_put_the_frame_header_beyond_a_small_first_read() {
    let t = TestSim::start().await;
    for exif in [1000, 70_000, 200_000] {
        let bytes = body(
            &t,
            &format!("/_sim/files/a.jpg?w=1080&h=1350&exif_bytes={exif}"),
        )
        .await;
        assert_eq!(&bytes[2..4], [0xFF, 0xE1]);
        assert_eq!(&bytes[6..12], b"Exif\0\0");
        let sof = jpeg_marker_offset(&bytes, 0xC0).unwrap();
        assert_eq!(sof, 2 + exif + 2 + 64 + 3);
        assert_eq!(&bytes[sof + 5..sof + 9], [0x05, 0x46, 0x04, 0x38]);
        assert_eq!(decode_jpeg(&bytes).0, 1080);
    }
}

#[tokio::test]
async fn png_gif_and_webp_are_real_images_of_their_type() {
    let t = TestSim::start().await;

    let response = fetch(&t, "/_sim/files/a.png?w=300&h=200").await;
    assert_eq!(header(&response, "content-type"), "image/png");
    let png = response.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 300);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 200);
    let idat_at = png.windows(4).position(|w| w == b"IDAT").unwrap();
    let idat_len = u32::from_be_bytes(png[idat_at - 4..idat_at].try_into().unwrap()) as usize;
    let raw =
        miniz_oxide::inflate::decompress_to_vec_zlib(&png[idat_at + 4..idat_at + 4 + idat_len])
            .expect("valid zlib data with a right Adler-32");
    // One filter byte and ceil(300 / 8) bytes per row.
    assert_eq!(raw.len(), 200 * (1 + 38));
    assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));

    let response = fetch(&t, "/_sim/files/a.gif?w=64&h=48").await;
    assert_eq!(header(&response, "content-type"), "image/gif");
    let gif = response.bytes().await.unwrap();
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(Cursor::new(gif.to_vec())).unwrap();
    assert_eq!((decoder.width(), decoder.height()), (64, 48));
    let frame = decoder.read_next_frame().unwrap().expect("one frame");
    assert_eq!(frame.buffer.len(), 64 * 48 * 4);
    // The checkerboard's second square has the second colour.
    assert_ne!(frame.buffer[..4], frame.buffer[40 * 4..41 * 4]);

    let response = fetch(&t, "/_sim/files/a.webp?w=500&h=400").await;
    assert_eq!(header(&response, "content-type"), "image/webp");
    let webp = response.bytes().await.unwrap();
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(webp.to_vec())).unwrap();
    assert_eq!(decoder.dimensions(), (500, 400));
    let mut pixels = vec![0; decoder.output_buffer_size().unwrap()];
    decoder.read_image(&mut pixels).unwrap();
    assert_eq!(&pixels[..3], [0x33, 0x99, 0xCC]);
}

/// Top-level box types in order.
fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut at = 0;
    let mut kinds = Vec::new();
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += size;
    }
    assert_eq!(at, bytes.len(), "boxes fill the file exactly");
    kinds
}

fn video_track(context: &mp4parse::MediaContext) -> &mp4parse::Track {
    context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .expect("a video track")
}

fn seconds(track: &mp4parse::Track) -> f64 {
    track.duration.unwrap().0 as f64 / track.timescale.unwrap().0 as f64
}

#[tokio::test]
async fn mp4_files_are_read_back_by_a_real_parser() {
    let t = TestSim::start().await;
    let response = fetch(&t, "/_sim/files/reel.mp4").await;
    assert_eq!(header(&response, "content-type"), "video/mp4");
    let mp4 = response.bytes().await.unwrap();
    assert_eq!(top_level_boxes(&mp4), ["ftyp", "moov", "mdat"]);
    assert_eq!(&mp4[8..12], b"isom");
    assert_eq!(&mp4[16..24], b"isommp42");

    let context = mp4parse::read_mp4(&mut Cursor::new(mp4.to_vec())).unwrap();
    assert_eq!(context.timescale.unwrap().0, 1000);
    assert_eq!(context.tracks.len(), 2);
    let video = video_track(&context);
    assert!((seconds(video) - 10.0).abs() < 1e-9);
    let tkhd = video.tkhd.as_ref().unwrap();
    assert_eq!((tkhd.width >> 16, tkhd.height >> 16), (1080, 1920));
    let stts = video.stts.as_ref().unwrap();
    assert_eq!(stts.samples[0].sample_count, 300);
    assert_eq!(stts.samples[0].sample_delta, 3000); // 90 kHz / 30 fps
    match &video.stsd.as_ref().unwrap().descriptions[0] {
        SampleEntry::Video(v) => {
            assert_eq!(v.codec_type, CodecType::H264);
            assert_eq!((v.width, v.height), (1080, 1920));
            match &v.codec_specific {
                mp4parse::VideoCodecSpecific::AVCConfig(avcc) => {
                    assert_eq!(avcc[1], 100, "High profile");
                    assert_eq!(avcc[4], 0xFF, "4-byte NAL lengths");
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    let audio = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Audio)
        .unwrap();
    assert!(seconds(audio) <= 10.0 && seconds(audio) > 9.9);
    match &audio.stsd.as_ref().unwrap().descriptions[0] {
        SampleEntry::Audio(a) => {
            assert_eq!(a.codec_type, CodecType::AAC);
            assert_eq!((a.channelcount, a.samplerate), (2, 44_100.0));
            match &a.codec_specific {
                mp4parse::AudioCodecSpecific::ES_Descriptor(es) => {
                    assert_eq!(es.audio_object_type, Some(2), "AAC-LC");
                    assert_eq!(es.audio_sample_rate, Some(44_100));
                    assert_eq!(es.audio_channel_count, Some(2));
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    // The chunk offsets point into the mdat, and the samples fill it.
    let stco = video.stco.as_ref().unwrap().offsets[0] as usize;
    assert_eq!(&mp4[stco - 4..stco], b"mdat");
    let stsz = video.stsz.as_ref().unwrap();
    let audio_stsz = audio.stsz.as_ref().unwrap();
    let audio_stco = audio.stco.as_ref().unwrap().offsets[0] as usize;
    assert_eq!(audio_stco, stco + 300 * stsz.sample_size as usize);
    assert_eq!(audio.stts.as_ref().unwrap().samples[0].sample_count, 430);
    assert_eq!(
        audio_stco + audio_stsz.sample_size as usize * 430,
        mp4.len()
    );
}

#[tokio::test]
async fn video_parameters_shape_the_file() {
    let t = TestSim::start().await;
    // QuickTime, HEVC, moov at the end, no audio, 4.5 s at 60 fps.
    let mov = body(
        &t,
        "/_sim/files/clip.mov?codec=hvc1&moov=end&audio=0&secs=4.5&fps=60&w=720&h=1280&sim_status=ERROR",
    )
    .await;
    assert_eq!(top_level_boxes(&mov), ["ftyp", "mdat", "moov"]);
    assert_eq!(&mov[8..12], b"qt  ");
    let context = mp4parse::read_mp4(&mut Cursor::new(mov.clone())).unwrap();
    assert_eq!(context.tracks.len(), 1);
    let video = video_track(&context);
    assert!((seconds(video) - 4.5).abs() < 1e-9);
    assert_eq!(video.stts.as_ref().unwrap().samples[0].sample_count, 270);
    let tkhd = video.tkhd.as_ref().unwrap();
    assert_eq!((tkhd.width >> 16, tkhd.height >> 16), (720, 1280));
    // mp4parse knows no HEVC: the entry is there, with its hvcC.
    assert!(matches!(
        video.stsd.as_ref().unwrap().descriptions[0],
        SampleEntry::Unknown
    ));
    let hvc1 = mov.windows(4).position(|w| w == b"hvc1").unwrap();
    assert_eq!(&mov[hvc1 + 4 + 78 + 4..hvc1 + 4 + 78 + 8], b"hvcC");
    let head = t
        .http
        .head(t.url("/_sim/files/clip.mov?moov=end"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&head, "content-type"), "video/quicktime");

    let mp4v = body(&t, "/_sim/files/old.mp4?codec=mp4v&secs=3").await;
    let context = mp4parse::read_mp4(&mut Cursor::new(mp4v)).unwrap();
    match &video_track(&context).stsd.as_ref().unwrap().descriptions[0] {
        SampleEntry::Video(v) => assert_eq!(v.codec_type, CodecType::MP4V),
        other => panic!("{other:?}"),
    }

    // Odd sizes and fractional rates still parse; the duration never exceeds secs.
    let odd = body(&t, "/_sim/files/o.mp4?w=1081&h=1351&fps=29.97&secs=60").await;
    let context = mp4parse::read_mp4(&mut Cursor::new(odd)).unwrap();
    let video = video_track(&context);
    assert!(seconds(video) <= 60.0 && seconds(video) > 59.9);
    assert_eq!(video.stts.as_ref().unwrap().samples[0].sample_delta, 3003);

    for bad in ["codec=vp9", "moov=middle", "secs=0", "fps=0", "w=8"] {
        let response = fetch(&t, &format!("/_sim/files/x.mp4?{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn video_bytes_pads_the_mdat_so_the_file_is_exactly_n_bytes() {
    let t = TestSim::start().await;
    let mp4 = body(&t, "/_sim/files/big.mp4?bytes=20000000&secs=12").await;
    assert_eq!(mp4.len(), 20_000_000);
    assert_eq!(top_level_boxes(&mp4), ["ftyp", "moov", "mdat"]);
    let context = mp4parse::read_mp4(&mut Cursor::new(mp4)).unwrap();
    let video = video_track(&context);
    assert!((seconds(video) - 12.0).abs() < 1e-9);
    // The samples now fill (almost) the whole mdat: about 13 Mbit/s.
    assert!(video.stsz.as_ref().unwrap().sample_size > 50_000);

    let head = t
        .http
        .head(t.url("/_sim/files/big.mov?bytes=300000001&moov=end"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&head, "content-length"), "300000001");
    let too_small = fetch(&t, "/_sim/files/x.mp4?bytes=1000").await;
    assert_eq!(too_small.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ranges_answer_206_and_head_has_no_body() {
    let t = TestSim::start().await;
    let path = "/_sim/files/r.jpg?w=200&h=100&bytes=5000";
    let whole = body(&t, path).await;
    for (range, start, end) in [
        ("bytes=0-99", 0, 100),
        ("bytes=4900-", 4900, 5000),
        ("bytes=-7", 4993, 5000),
        ("bytes=10-10", 10, 11),
        ("bytes=4990-9999", 4990, 5000),
    ] {
        let response = t
            .http
            .get(t.url(path))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&response, "content-range"),
            format!("bytes {start}-{}/5000", end - 1)
        );
        assert_eq!(
            header(&response, "content-length"),
            (end - start).to_string()
        );
        assert_eq!(response.bytes().await.unwrap()[..], whole[start..end]);
    }
    let response = t
        .http
        .get(t.url(path))
        .header("range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&response, "content-range"), "bytes */5000");

    let head = t
        .http
        .head(t.url(path))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&head, "content-length"), "100");
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_same_query_gives_the_same_bytes() {
    let t = TestSim::start().await;
    for path in [
        "/_sim/files/a.jpg?w=640&h=800&exif_bytes=300",
        "/_sim/files/b.mp4?secs=3.5&codec=avc1",
        "/_sim/files/c.png",
        "/_sim/files/d.webp",
    ] {
        assert_eq!(body(&t, path).await, body(&t, path).await, "{path}");
    }
    // The name does not matter, only the extension and the query.
    assert_eq!(
        body(&t, "/_sim/files/one.jpg?w=50&h=50").await,
        body(
            &t,
            "/_sim/files/two.JPG?w=50&h=50&sim_status=ERROR&anything=1"
        )
        .await
    );
}

#[tokio::test]
async fn status_redirect_delay_and_unknown_extensions() {
    let t = TestSim::start().await;
    let response = fetch(&t, "/_sim/files/a.jpg?status=503").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = fetch(&t, "/_sim/files/a.jpg?status=404").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let target = format!("{}/_sim/files/b.jpg?w=10&h=10", t.base);
    let response = t
        .http
        .get(t.url("/_sim/files/a.jpg"))
        .query(&[("redirect", target.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(header(&response, "location"), target);

    let started = Instant::now();
    let response = fetch(&t, "/_sim/files/a.gif?delay_ms=300&w=2&h=2").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed().as_millis() >= 300);

    for name in ["a.txt", "a.heic", "noextension", "a.jpg.exe"] {
        let response = fetch(&t, &format!("/_sim/files/{name}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
    }
}

#[tokio::test]
async fn media_files_are_public_but_control_writes_stay_same_site() {
    let t = TestSim::start().await;
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let file = t
            .http
            .get(t.url("/_sim/files/a.jpg?w=20&h=20"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), StatusCode::OK, "{name}");
        let avatar = t
            .http
            .get(t.url("/_sim/avatar/someone.svg"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(avatar.status(), StatusCode::OK, "{name}");
        let reset = t
            .http
            .post(t.url("/_sim/reset"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), StatusCode::FORBIDDEN, "{name}");
    }
}
