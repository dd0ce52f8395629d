//! Containers: one per carousel item, then the container to publish, each polled until Instagram
//! has processed it (docs/graph-api.md §5, Status).

use chrono::TimeDelta;

use super::{
    backoff::poll_delay,
    failures::fail,
    graph::{ContainerSpec, ContainerStatus},
    worker::{Job, Next, StepResult},
};
use crate::domain::{
    clock,
    graph::{advice, GraphError},
    posts::{MediaItem, MediaType, PostError, PostKind},
};

/// Processing that takes longer than this fails the post (Postiz gives up after ~30 minutes too).
const MAX_PROCESSING: TimeDelta = TimeDelta::minutes(30);

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
    /// Makes one container on the post's account; its processing clock starts with the first.
    async fn new_container(&mut self, spec: &ContainerSpec) -> Result<String, GraphError> {
        let id = self
            .worker
            .graph
            .create_container(&self.token, &self.post().instagram_user_id, spec)
            .await?;
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
            let status = self.worker.graph.container_status(&self.token, &id).await?;
            match self.on_status(&status)? {
                Next::Continue => {}
                other => return Ok(other),
            }
        }
        self.state.progress.items_ready = true;
        self.state.progress.polls = 0;
        Ok(Next::Continue)
    }

    /// The container to publish: the post's own, or the carousel's around its items.
    fn spec(&self) -> ContainerSpec {
        let post = self.post();
        let first = &post.media[0];
        let caption = (!post.caption.is_empty() && post.kind != PostKind::Story)
            .then(|| post.caption.clone());
        let url = |t: MediaType| (first.media_type == t).then(|| first.url.clone());
        match post.kind {
            PostKind::Image => ContainerSpec {
                image_url: Some(first.url.clone()),
                alt_text: first.alt_text.clone(),
                caption,
                ..Default::default()
            },
            PostKind::Reel => ContainerSpec {
                video_url: Some(first.url.clone()),
                media_type: Some("REELS"),
                caption,
                ..Default::default()
            },
            PostKind::Story => ContainerSpec {
                image_url: url(MediaType::Image),
                video_url: url(MediaType::Video),
                media_type: Some("STORIES"),
                ..Default::default()
            },
            PostKind::Carousel => ContainerSpec {
                media_type: Some("CAROUSEL"),
                children: self.state.progress.item_containers.clone(),
                caption,
                ..Default::default()
            },
        }
    }

    pub(super) async fn create_container(&mut self) -> StepResult {
        let id = self.new_container(&self.spec()).await?;
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
        let status = self.worker.graph.container_status(&self.token, &id).await?;
        let next = self.on_status(&status)?;
        if matches!(next, Next::Continue) {
            self.state.progress.container_ready = true;
            self.state.progress.polls = 0;
        }
        Ok(next)
    }

    /// What a container's status means for the post.
    pub(super) fn on_status(&mut self, status: &ContainerStatus) -> Result<Next, GraphError> {
        match meaning(&status.status_code) {
            StatusMeaning::Ready => Ok(Next::Continue),
            StatusMeaning::Processing => Ok(self.wait_for_processing()),
            StatusMeaning::Failed => {
                let detail = status
                    .status
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                fail(
                    &mut self.state,
                    PostError {
                        message: format!("Instagram could not process the media: {detail}"),
                        advice: advice(Some(9004), Some(2207052)).into(),
                        code: None,
                        subcode: None,
                    },
                );
                Ok(Next::Done)
            }
            StatusMeaning::Expired => {
                self.record(
                    "container",
                    "Instagram's upload expired before publishing; uploading again.".into(),
                );
                self.state.progress.reset_containers();
                Ok(Next::Continue)
            }
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
            url: "https://cdn.example.com/a.jpg".into(),
            media_type: MediaType::Image,
            alt_text: Some("a red door".into()),
        };
        let video = MediaItem {
            url: "https://cdn.example.com/b.mp4".into(),
            media_type: MediaType::Video,
            alt_text: None,
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
