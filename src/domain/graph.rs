//! How a Graph call fails, in the domain's terms: the ports (`connect::LoginGraph`,
//! `publish::PublishingGraph`) return [`GraphError`], which the adapter builds from Meta's error
//! envelope and which is classified here, once, so that callers decide from a type, never from a
//! string (docs/graph-api.md §6; docs/security.md R3, R4, R6).

use std::time::Duration;

/// A failed Graph call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with its error envelope.
    #[error("Graph error {code}{}: {message}", subcode.map(|s| format!("/{s}")).unwrap_or_default())]
    Api {
        http_status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        user_message: Option<String>,
        is_transient: bool,
        /// From `X-Business-Use-Case-Usage` / `X-App-Usage`, when Graph said how long to wait.
        retry_after: Option<Duration>,
    },
    /// No usable answer: the connection failed, timed out, or was dropped. Whether the request had
    /// an effect is unknown (for `media_publish` that is the ambiguous case of R2).
    #[error("Graph could not be reached: {0}")]
    Transport(String),
    /// Graph answered something we could not read.
    #[error("Graph sent an unreadable answer (HTTP {status}): {detail}")]
    Unreadable { status: u16, detail: String },
}

/// What a caller should do about an error (docs/graph-api.md §6, "Actions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later, with backoff (LATER).
    Retryable,
    /// Rate limited: wait (at least `retry_after` when known); not the post's fault (DEFER).
    Throttled,
    /// The container is still processing (9007/2207027): poll, then publish.
    NotReady,
    /// The publishing quota is reached (code 9): defer.
    QuotaReached,
    /// The token or session no longer works (190, 102): the account must be reconnected.
    ReauthRequired,
    /// The container is gone or expired: make a new one (NEW).
    ContainerGone,
    /// 24/2207008, "temporary error publishing a container": publish the same container again
    /// once or twice within two minutes, then make a new one.
    RetrySameContainer,
    /// Instagram could not download the media (9004/2207052): often transient, so a new container
    /// a few times, then the customer must fix the URL.
    MediaNotFetched,
    /// 368, "temporarily blocked for policies violations": wait hours, then try again.
    TemporarilyBlocked,
    /// A permission or Page role publishing needs is missing (10, 200-299): stop posting for the
    /// account until it is fixed (STOP).
    PermissionMissing,
    /// Fix the input or the account; retrying the same request will not help (FIX).
    Permanent,
}

/// Instagram publishing subcodes that a retry can fix (docs/graph-api.md §6).
const RETRYABLE_SUBCODES: [i64; 3] = [2207001, 2207003, 2207032];
const CONTAINER_GONE_SUBCODES: [i64; 4] = [2207006, 2207020, 2207053, 2207082];

impl GraphError {
    pub fn class(&self) -> ErrorClass {
        match self {
            GraphError::Transport(_) => ErrorClass::Retryable,
            GraphError::Unreadable { status, .. } if *status >= 500 => ErrorClass::Retryable,
            GraphError::Unreadable { .. } => ErrorClass::Permanent,
            GraphError::Api {
                http_status,
                code,
                subcode,
                is_transient,
                ..
            } => classify(*http_status, *code, *subcode, *is_transient),
        }
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn subcode(&self) -> Option<i64> {
        match self {
            GraphError::Api { subcode, .. } => *subcode,
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GraphError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Graph's own words, for the customer.
    pub fn message(&self) -> String {
        match self {
            GraphError::Api {
                message,
                user_message,
                ..
            } => user_message.clone().unwrap_or_else(|| message.clone()),
            other => other.to_string(),
        }
    }

    /// 100/33, "Unsupported get request. Object with ID ... does not exist": for an object we just
    /// made, Meta's long-standing bug (it exists; reads fail for a while); elsewhere, a missing
    /// or ungranted object.
    pub fn is_unknown_object(&self) -> bool {
        self.code() == Some(100) && self.subcode() == Some(33)
    }

    /// Whether the answer is missing, so the effect of the request is unknown.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            GraphError::Transport(_) => true,
            GraphError::Unreadable { status, .. } => *status >= 500,
            GraphError::Api { http_status, .. } => *http_status >= 500,
        }
    }
}

/// By subcode first, then code (docs/graph-api.md §6).
fn classify(http_status: u16, code: i64, subcode: Option<i64>, is_transient: bool) -> ErrorClass {
    match (code, subcode) {
        (190 | 102, _) => ErrorClass::ReauthRequired,
        (9007, _) | (_, Some(2207027)) => ErrorClass::NotReady,
        (_, Some(2207042)) | (9, _) => ErrorClass::QuotaReached,
        (_, Some(2207008)) => ErrorClass::RetrySameContainer,
        (_, Some(2207052)) | (9004, _) => ErrorClass::MediaNotFetched,
        (_, Some(s)) if CONTAINER_GONE_SUBCODES.contains(&s) => ErrorClass::ContainerGone,
        (_, Some(s)) if RETRYABLE_SUBCODES.contains(&s) => ErrorClass::Retryable,
        // Spam suspicion and restricted accounts (4/2207051, 25/2207050) share codes with limits
        // but must stop: the person acts in Instagram.
        (_, Some(2207051 | 2207050)) => ErrorClass::Permanent,
        (368, _) => ErrorClass::TemporarilyBlocked,
        (10, _) | (200..=299, _) => ErrorClass::PermissionMissing,
        (4 | 17 | 32 | 341 | 613, _) | (80000..=80014, _) => ErrorClass::Throttled,
        (1 | 2, _) => ErrorClass::Retryable,
        _ if http_status >= 500 || is_transient => ErrorClass::Retryable,
        _ => ErrorClass::Permanent,
    }
}

/// The 2207xxx subcode an ERROR container's `status` text carries ("... error code 2207082").
pub fn subcode_in_status(status: &str) -> Option<i64> {
    status
        .as_bytes()
        .windows(7)
        .enumerate()
        .filter(|(_, w)| w.starts_with(b"2207") && w.iter().all(u8::is_ascii_digit))
        .filter(|(i, _)| {
            let before = i.checked_sub(1).map(|j| status.as_bytes()[j]);
            let after = status.as_bytes().get(i + 7);
            !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit())
        })
        .find_map(|(_, w)| std::str::from_utf8(w).ok()?.parse().ok())
}

/// What the customer can do about an error, by code and subcode (docs/graph-api.md tables).
pub fn advice(code: Option<i64>, subcode: Option<i64>) -> &'static str {
    match (code, subcode) {
        (Some(190), _) => "Instagram no longer accepts this account's login. Reconnect the account, then retry the post.",
        (Some(102), _) => "Instagram ended the account's session. Reconnect the account, then retry the post.",
        (Some(10), _) | (Some(200..=299), _) => {
            "Publishing needs a permission or Page role the account no longer has. In Meta Business Suite, check that the person who connected it still has full control or content rights on the Facebook Page (and has completed any Page publishing authorization), then connect the account again with every permission ticked."
        }
        (_, Some(2207052)) | (Some(9004), _) => {
            "Instagram could not download the media. Check that the URL is public, uses https and points straight at a JPEG image or MP4/MOV video."
        }
        (_, Some(2207003)) => "Instagram timed out downloading the media. Use a faster host or a smaller file, then retry.",
        (_, Some(2207082)) => "Instagram could not process the media. Retry the post; if it fails again, re-export the video (MP4, H.264, AAC).",
        (_, Some(2207085)) => "Instagram could not process the video. Re-encode it (MP4, H.264, AAC, 23-60 fps) and retry.",
        (_, Some(2207081)) => "This account cannot publish trial reels. Publish it as an ordinary reel.",
        (_, Some(2207089)) => "A video on its own must be posted as a reel.",
        (_, Some(2207018)) => "Collaborators are usernames without '@'.",
        (_, Some(2207042)) | (Some(9), _) => "The account reached Instagram's daily publishing limit. The post will be published when the limit resets.",
        (_, Some(2207050)) | (Some(25), _) => "Instagram restricted this account. Open the Instagram app to resolve it, then retry.",
        (_, Some(2207051)) => "Instagram flagged this activity as spam or restricted. Wait before posting again and check the account in the Instagram app.",
        (_, Some(2207028)) => "A carousel needs between 2 and 10 items.",
        (_, Some(2207040)) => "Captions may mention at most 20 accounts.",
        (_, Some(2207010)) | (Some(36004), _) => "The caption is too long: at most 2,200 characters.",
        (_, Some(2207004)) | (Some(36000), _) => "The image is larger than 8 MB. Use a smaller JPEG.",
        (_, Some(2207005)) | (Some(36001), _) => "Instagram accepts only JPEG images. Convert the image and try again.",
        (_, Some(2207009)) | (Some(36003), _) => "The image's aspect ratio must be between 4:5 and 1.91:1. Crop it and try again.",
        (_, Some(2207026)) | (Some(352), _) => "The video format is not supported: use MP4 or MOV with H.264 or HEVC video and AAC audio.",
        (_, Some(2207023)) => "Instagram did not recognise the media type. Check the media URLs and the post type.",
        (_, Some(2207006 | 2207008 | 2207020 | 2207053)) => "Instagram lost the uploaded media. Retry the post to upload it again.",
        (_, Some(2207001 | 2207032)) => "Instagram had a temporary problem. Retry the post in a few minutes.",
        (Some(506), _) => "Instagram refused a duplicate of a recent post. Change the caption or media.",
        (Some(368), _) => "Instagram temporarily blocked this account from posting under its policies. The block is temporary: the post is tried again in a few hours. Check the content against Instagram's guidelines.",
        (Some(4 | 17 | 32 | 341 | 613 | 80000..=80014), _) => "Instagram is rate limiting this account or app. The post will be retried automatically.",
        (Some(1 | 2), _) => "Instagram had a temporary problem. Retry the post in a few minutes.",
        _ => "Check the post's media and caption, then retry. If it keeps failing, reconnect the account.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: i64, subcode: Option<i64>) -> GraphError {
        GraphError::Api {
            http_status: status,
            code,
            subcode,
            message: "m".into(),
            user_message: None,
            is_transient: false,
            retry_after: None,
        }
    }

    #[test]
    fn classification_follows_the_retry_rules() {
        use ErrorClass::*;
        let cases = [
            (api(400, 1, None), Retryable),
            (api(400, 2, None), Retryable),
            (api(400, 341, None), Throttled),
            (api(400, 4, None), Throttled),
            (api(400, 17, None), Throttled),
            (api(400, 32, None), Throttled),
            (api(400, 613, None), Throttled),
            (api(400, 80002, None), Throttled),
            (api(400, 9007, Some(2207027)), NotReady),
            (api(400, 9, Some(2207042)), QuotaReached),
            (api(400, 9, None), QuotaReached),
            (api(400, 190, Some(463)), ReauthRequired),
            (api(400, 190, None), ReauthRequired),
            (api(400, 102, None), ReauthRequired),
            (api(400, 24, Some(2207008)), RetrySameContainer),
            (api(400, 24, Some(2207006)), ContainerGone),
            (api(400, -2, Some(2207020)), ContainerGone),
            (api(400, -1, Some(2207053)), ContainerGone),
            (api(400, -2, Some(2207003)), Retryable),
            (api(400, -1, Some(2207001)), Retryable),
            (api(400, -1, Some(2207032)), Retryable),
            (api(400, 9004, Some(2207052)), MediaNotFetched),
            (api(400, 4, Some(2207051)), Permanent),
            (api(400, 25, Some(2207050)), Permanent),
            (api(400, 368, None), TemporarilyBlocked),
            (api(400, 10, None), PermissionMissing),
            (api(400, 200, None), PermissionMissing),
            (api(400, 299, None), PermissionMissing),
            (api(400, 100, Some(33)), Permanent),
            (api(400, 100, Some(2207089)), Permanent),
            (api(400, 110, Some(2207018)), Permanent),
            (api(400, 36001, Some(2207005)), Permanent),
            (api(400, 506, None), Permanent),
            (api(500, 100, None), Retryable),
            (GraphError::Transport("reset".into()), Retryable),
        ];
        for (err, class) in cases {
            assert_eq!(err.class(), class, "{err}");
        }
    }

    #[test]
    fn an_error_containers_subcode_is_read_from_its_status() {
        let table = [
            ("Media upload has failed with error code 2207082", Some(2207082)),
            ("Error: Media download has failed. The media URI doesn't meet our requirements. (2207052)", Some(2207052)),
            ("ERROR 2207003: timeout", Some(2207003)),
            ("Error: something else", None),
            ("id 22070821 is not a subcode", None),
            ("", None),
        ];
        for (status, expected) in table {
            assert_eq!(subcode_in_status(status), expected, "{status:?}");
        }
    }

    #[test]
    fn only_missing_answers_are_ambiguous() {
        assert!(GraphError::Transport("timeout".into()).is_ambiguous());
        assert!(api(502, 2, None).is_ambiguous());
        assert!(!api(400, 9007, Some(2207027)).is_ambiguous());
    }

    #[test]
    fn every_class_of_failure_has_advice() {
        assert!(advice(Some(190), Some(463)).contains("Reconnect"));
        assert!(advice(Some(9004), Some(2207052)).contains("public"));
        assert!(advice(None, None).contains("retry"));
    }
}
