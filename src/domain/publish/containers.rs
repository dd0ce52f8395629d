//! Containers: one per carousel item, then the container to publish, each polled until Instagram
//! has processed it (docs/graph-api.md §5, Status).

use std::time::Duration;

use chrono::TimeDelta;

use super::{
    backoff::poll_delay,
    failures::{fail, stories_refused},
    graph::{ContainerSpec, ContainerStatus},
    worker::{Job, Next, StepResult},
};
use crate::domain::{
    clock,
    graph::{advice, subcode_in_status, ErrorClass, GraphError},
    posts::{MediaItem, MediaType, PostError, PostKind, PostStatus},
};

/// Meta's container budget is per rolling day.
const CONTAINER_WINDOW: TimeDelta = TimeDelta::hours(24);
/// A post waiting for container room looks again no sooner than this.
const MIN_ROOM_WAIT: Duration = Duration::from_secs(60);
/// Processing that takes longer than this fails the post (Postiz gives up after ~30 minutes too).
const MAX_PROCESSING: TimeDelta = TimeDelta::minutes(30);
/// How many times a post's containers are made again after Instagram failed or lost them.
pub(super) const MAX_REMAKES: u32 = 3;
/// Reads of a fresh container that may answer 100/33 before `media_publish` is tried anyway (it
/// answers 9007 while the container is not ready).
const MAX_UNSEEN_READS: u32 = 5;
/// The wait between such reads: Meta's bug lasts seconds, sometimes a minute.
const UNSEEN_WAIT: Duration = Duration::from_secs(2);

/// ERROR subcodes a new container can fix (docs/graph-api.md §6): download timeout, server or
/// create errors, lost or expired media, processing failures, and failed downloads (often
/// transient; after a few, the customer must fix the URL).
const REMAKE_SUBCODES: [i64; 7] = [
    2207001, 2207003, 2207020, 2207032, 2207053, 2207082, 2207052,
];

/// What a container's `status_code` means for the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusMeaning {
    /// FINISHED: ready to publish.
    Ready,
    /// IN_PROGRESS: poll again later.
    Processing,
    /// ERROR: Instagram could not process the media.
    Failed,
    /// EXPIRED: not published within 24 hours; make new containers.
    Expired,
    /// PUBLISHED: an earlier attempt published it without our hearing.
    AlreadyPublished,
    /// Anything Meta has not documented.
    Unknown,
}

pub(super) fn meaning(status_code: &str) -> StatusMeaning {
    match status_code {
        "FINISHED" => StatusMeaning::Ready,
        "IN_PROGRESS" => StatusMeaning::Processing,
        "ERROR" => StatusMeaning::Failed,
        "EXPIRED" => StatusMeaning::Expired,
        "PUBLISHED" => StatusMeaning::AlreadyPublished,
        _ => StatusMeaning::Unknown,
    }
}

/// The container of one carousel item.
fn item_spec(item: &MediaItem) -> ContainerSpec {
    let spec = match item.media_type {
        MediaType::Image => ContainerSpec {
            image_url: Some(item.url.clone()),
            alt_text: item.alt_text.clone(),
            user_tags: item.user_tags.clone(),
            ..Default::default()
        },
        MediaType::Video => ContainerSpec {
            video_url: Some(item.url.clone()),
            media_type: Some("VIDEO"),
            ..Default::default()
        },
    };
    ContainerSpec {
        is_carousel_item: true,
        ..spec
    }
}

impl Job<'_> {
    /// Room for one more container in the account's rolling day (Meta allows 400, every
    /// re-upload included): without it the post waits until the oldest leaves the window,
    /// instead of being refused with code 4 (docs/graph-api.md §5 "Containers"). When our count
    /// cannot be read, Meta's own refusal still defers the post.
    pub(super) async fn container_room(&mut self) -> Option<Next> {
        let budget = self.worker.config.container_budget as usize;
        let now = clock::now();
        let ig = self.post().instagram_user_id.clone();
        let made = self
            .worker
            .posts
            .containers_since(&ig, now - CONTAINER_WINDOW)
            .await
            .ok()?;
        if made.len() < budget {
            return None;
        }
        let frees_at = made[made.len() - budget.max(1)] + CONTAINER_WINDOW;
        let wait = (frees_at - now)
            .to_std()
            .unwrap_or_default()
            .max(MIN_ROOM_WAIT);
        if self.state.progress.publish_requested_at.is_none() {
            self.state.status = PostStatus::Queued;
        }
        if self
            .state
            .steps
            .last()
            .is_none_or(|s| s.step != "containers")
        {
            self.record(
                "containers",
                format!(
                    "@{} made Instagram's {budget} uploads of the last 24 hours; the post waits {} minutes for room.",
                    self.post().instagram_username,
                    wait.as_secs().div_ceil(60)
                ),
            );
        }
        Some(Next::Wait(wait))
    }

    /// Makes one container on the post's account; its processing clock starts with the first.
    async fn new_container(&mut self, spec: &ContainerSpec) -> Result<String, GraphError> {
        let ig = self.post().instagram_user_id.clone();
        let id = self.graph.create_container(&self.token, &ig, spec).await?;
        if let Err(e) = self.worker.posts.record_container(&ig, clock::now()).await {
            tracing::warn!(error = %crate::telemetry::chain(&e), "could not count a container");
        }
        self.state
            .progress
            .processing_since
            .get_or_insert(clock::now());
        Ok(id)
    }

    pub(super) async fn create_item(&mut self, i: usize) -> StepResult {
        let id = self
            .new_container(&item_spec(&self.post().media[i]))
            .await?;
        self.record(
            "container",
            format!(
                "Uploaded item {} of {} to Instagram (container {id}).",
                i + 1,
                self.post().media.len()
            ),
        );
        self.state.progress.item_containers.push(id);
        Ok(Next::Continue)
    }

    pub(super) async fn check_items(&mut self) -> StepResult {
        for id in self.state.progress.item_containers.clone() {
            let status = match self.graph.container_status(&self.token, &id).await {
                Ok(status) => status,
                Err(e) if e.is_unknown_object() => match self.unseen() {
                    Some(wait) => return Ok(wait),
                    // Seen enough: the carousel container's creation will tell.
                    None => continue,
                },
                Err(e) => return Err(e.into()),
            };
            match self.on_status(&status)? {
                Next::Continue => {}
                other => return Ok(other),
            }
        }
        self.state.progress.items_ready = true;
        self.state.progress.polls = 0;
        self.state.progress.unseen_reads = 0;
        Ok(Next::Continue)
    }

    /// Our own fresh container answered 100/33 (Meta's bug): wait a little and read again, a few
    /// times; `None` once that is used up, and the next step is tried as if it were ready.
    fn unseen(&mut self) -> Option<Next> {
        let p = &mut self.state.progress;
        if p.unseen_reads >= MAX_UNSEEN_READS {
            return None;
        }
        p.unseen_reads += 1;
        if p.unseen_reads == 1 {
            self.record(
                "processing",
                "Instagram does not show the upload yet (a known delay on its side); checking again.".into(),
            );
        }
        Some(Next::Wait(UNSEEN_WAIT))
    }

    /// The container to publish: the single item's, or the carousel's around its items, with
    /// the post's options where its kind takes them (the draft checked which).
    fn spec(&self) -> ContainerSpec {
        let post = self.post();
        let first = &post.media[0];
        let o = &post.options;
        let caption = (!post.caption.is_empty() && post.kind != PostKind::Story)
            .then(|| post.caption.clone());
        let url = |t: MediaType| (first.media_type == t).then(|| first.url.clone());
        let feed = ContainerSpec {
            caption,
            collaborators: o.collaborators.clone(),
            location_id: o.location.as_ref().map(|p| p.id.clone()),
            is_ai_generated: o.is_ai_generated,
            ..Default::default()
        };
        match post.kind {
            PostKind::Image => ContainerSpec {
                image_url: Some(first.url.clone()),
                alt_text: first.alt_text.clone(),
                user_tags: first.user_tags.clone(),
                ..feed
            },
            PostKind::Reel => ContainerSpec {
                video_url: Some(first.url.clone()),
                media_type: Some("REELS"),
                user_tags: first.user_tags.clone(),
                share_to_feed: o.share_to_feed,
                cover_url: o.cover_url.clone(),
                thumb_offset_ms: o.thumb_offset_ms,
                trial_reel: o.trial_reel,
                ..feed
            },
            PostKind::Story => ContainerSpec {
                image_url: url(MediaType::Image),
                video_url: url(MediaType::Video),
                media_type: Some("STORIES"),
                user_tags: first.user_tags.clone(),
                ..Default::default()
            },
            PostKind::Carousel => ContainerSpec {
                media_type: Some("CAROUSEL"),
                children: self.state.progress.item_containers.clone(),
                ..feed
            },
        }
    }

    pub(super) async fn create_container(&mut self) -> StepResult {
        let id = match self.new_container(&self.spec()).await {
            Ok(id) => id,
            // A story refused for want of a permission: Creator accounts cannot publish stories.
            Err(e)
                if self.post().kind == PostKind::Story
                    && e.class() == ErrorClass::PermissionMissing =>
            {
                return Ok(stories_refused(self, &e).await);
            }
            Err(e) => return Err(e.into()),
        };
        self.record(
            "container",
            format!(
                "Instagram accepted the post (container {id}); waiting for it to be processed."
            ),
        );
        let p = &mut self.state.progress;
        p.container_id = Some(id);
        p.polls = 0;
        Ok(Next::Continue)
    }

    pub(super) async fn check_container(&mut self) -> StepResult {
        let id = self.state.progress.container_id.clone().unwrap_or_default();
        let next = match self.graph.container_status(&self.token, &id).await {
            Ok(status) => self.on_status(&status)?,
            Err(e) if e.is_unknown_object() => match self.unseen() {
                Some(wait) => return Ok(wait),
                // Try to publish: Instagram answers 9007 while the container is not ready.
                None => Next::Continue,
            },
            Err(e) => return Err(e.into()),
        };
        if matches!(next, Next::Continue) {
            let p = &mut self.state.progress;
            p.container_ready = true;
            p.polls = 0;
            p.unseen_reads = 0;
        }
        Ok(next)
    }

    /// What a container's status means for the post.
    pub(super) fn on_status(&mut self, status: &ContainerStatus) -> Result<Next, GraphError> {
        match meaning(&status.status_code) {
            StatusMeaning::Ready => Ok(Next::Continue),
            StatusMeaning::Processing => Ok(self.wait_for_processing()),
            StatusMeaning::Failed => Ok(self.processing_failed(status)),
            StatusMeaning::Expired => Ok(self.remake(
                "Instagram's upload expired before publishing; uploading again.",
                PostError {
                    message: "Instagram's uploads kept expiring before they could be published."
                        .into(),
                    advice: advice(None, Some(2207020)).into(),
                    code: None,
                    subcode: Some(2207020),
                },
            )),
            StatusMeaning::AlreadyPublished => {
                self.state
                    .progress
                    .publish_requested_at
                    .get_or_insert(clock::now());
                Ok(Next::Continue)
            }
            StatusMeaning::Unknown => Err(GraphError::Unreadable {
                status: 200,
                detail: format!("unknown container status {}", status.status_code),
            }),
        }
    }

    /// An ERROR container is dead: a new one when its subcode says that can help (a few times),
    /// otherwise the post fails with the advice for that subcode.
    fn processing_failed(&mut self, status: &ContainerStatus) -> Next {
        let detail = status
            .status
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        let subcode = subcode_in_status(&detail);
        let error = PostError {
            message: format!("Instagram could not process the media: {detail}"),
            advice: advice(None, subcode.or(Some(2207052))).into(),
            code: None,
            subcode,
        };
        match subcode {
            Some(s) if REMAKE_SUBCODES.contains(&s) => self.remake(
                &format!("Instagram could not process the upload ({s}); uploading it again."),
                error,
            ),
            _ => {
                fail(&mut self.state, error);
                Next::Done
            }
        }
    }

    /// Makes the containers again, at most [`MAX_REMAKES`] times; then fails with `error`.
    pub(super) fn remake(&mut self, detail: &str, error: PostError) -> Next {
        if self.state.progress.remakes >= MAX_REMAKES {
            fail(&mut self.state, error);
            return Next::Done;
        }
        self.record("container", detail.into());
        self.state.progress.reset_containers();
        Next::Continue
    }

    pub(super) fn wait_for_processing(&mut self) -> Next {
        let since = self
            .state
            .progress
            .processing_since
            .unwrap_or_else(clock::now);
        if clock::now() - since > MAX_PROCESSING {
            fail(
                &mut self.state,
                PostError {
                    message: "Instagram was still processing the media after 30 minutes.".into(),
                    advice: "Check that the video meets Instagram's format rules (MP4 or MOV, H.264, AAC), then retry.".into(),
                    code: None,
                    subcode: None,
                },
            );
            return Next::Done;
        }
        let p = &mut self.state.progress;
        let wait = poll_delay(p.polls, self.worker.config.poll_interval);
        p.polls += 1;
        if p.polls == 1 {
            self.record("processing", "Instagram is processing the media.".into());
        }
        Next::Wait(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_has_a_meaning() {
        let table = [
            ("FINISHED", StatusMeaning::Ready),
            ("IN_PROGRESS", StatusMeaning::Processing),
            ("ERROR", StatusMeaning::Failed),
            ("EXPIRED", StatusMeaning::Expired),
            ("PUBLISHED", StatusMeaning::AlreadyPublished),
            ("finished", StatusMeaning::Unknown),
            ("", StatusMeaning::Unknown),
        ];
        for (code, expected) in table {
            assert_eq!(meaning(code), expected, "{code:?}");
        }
    }

    #[test]
    fn carousel_items_are_marked_and_videos_typed() {
        let image = MediaItem {
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://cdn.example.com/a.jpg".into(),
            media_type: MediaType::Image,
            alt_text: Some("a red door".into()),
            user_tags: vec![],
        };
        let video = MediaItem {
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://cdn.example.com/b.mp4".into(),
            media_type: MediaType::Video,
            alt_text: None,
            user_tags: vec![],
        };
        let spec = item_spec(&image);
        assert!(spec.is_carousel_item);
        assert_eq!(
            spec.image_url.as_deref(),
            Some("https://cdn.example.com/a.jpg")
        );
        assert_eq!(spec.alt_text.as_deref(), Some("a red door"));
        assert_eq!(spec.media_type, None, "images carry no media_type");
        let spec = item_spec(&video);
        assert_eq!(spec.media_type, Some("VIDEO"));
        assert_eq!(
            spec.video_url.as_deref(),
            Some("https://cdn.example.com/b.mp4")
        );
    }
}
