//! The posting history: every post with its status, times, permalink and, when it failed, why and
//! what to do. It refreshes itself while posts are in flight.

use leptos::{form::ActionForm, prelude::*};
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    components::LocalTime, error_text, layout::SignInPrompt, when_signed_in, SessionResource,
};
use crate::dto::{MediaType, PostKind, PostPageView, PostStatus, PostView};

#[server(prefix = "/app/fn", endpoint = "list_posts")]
pub async fn list_posts(
    status: Option<String>,
    cursor: Option<String>,
) -> Result<PostPageView, ServerFnError> {
    use super::server;
    use crate::domain::posts::ListQuery;
    let tenant = server::tenant().await?;
    let statuses = status.as_deref().map(statuses_of).unwrap_or_default();
    let query = ListQuery {
        statuses,
        cursor: cursor.filter(|c| !c.is_empty()),
        ..ListQuery::default()
    };
    server::services()?
        .posts
        .list(&tenant, query)
        .await
        .map_err(server::domain_error)
}

#[server(prefix = "/app/fn", endpoint = "cancel_post")]
pub async fn cancel_post(id: String) -> Result<PostView, ServerFnError> {
    use super::server;
    let result = async {
        let tenant = server::tenant().await?;
        server::services()?
            .posts
            .cancel(&tenant, &id)
            .await
            .map_err(server::domain_error)
    };
    server::form_result(
        <CancelPost as leptos::server_fn::ServerFn>::PATH,
        result.await,
    )
    .await
}

#[server(prefix = "/app/fn", endpoint = "retry_post")]
pub async fn retry_post(id: String) -> Result<PostView, ServerFnError> {
    use super::server;
    let result = async {
        let tenant = server::tenant().await?;
        server::services()?
            .posts
            .retry(&tenant, &id)
            .await
            .map_err(server::domain_error)
    };
    server::form_result(
        <RetryPost as leptos::server_fn::ServerFn>::PATH,
        result.await,
    )
    .await
}

/// The filter tabs: what they show and the statuses behind them.
const TABS: [(&str, &str); 6] = [
    ("All", ""),
    ("Scheduled", "scheduled"),
    ("In progress", "queued,publishing"),
    ("Published", "published"),
    ("Failed", "failed"),
    ("Cancelled", "cancelled"),
];

#[cfg(feature = "ssr")]
fn statuses_of(list: &str) -> Vec<PostStatus> {
    list.split(',')
        .filter_map(|s| PostStatus::parse(s.trim()))
        .collect()
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let state = HistoryState::new(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || session.get().map(|s| match s {
                Ok(info) if info.signed_in.is_some() => view! { <History state/> }.into_any(),
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// What the history reads and does, made once per page ([`super::when_signed_in`]).
#[derive(Clone, Copy)]
struct HistoryState {
    cancel: ServerAction<CancelPost>,
    retry: ServerAction<RetryPost>,
    posts: Resource<Result<PostPageView, ServerFnError>>,
}

impl HistoryState {
    fn new(session: SessionResource) -> Self {
        let query = use_query_map();
        let cancel = ServerAction::<CancelPost>::new();
        let retry = ServerAction::<RetryPost>::new();
        let tick = RwSignal::new(0u32);
        let posts = Resource::new(
            move || {
                (
                    status_filter(query),
                    query.with(|q| q.get("cursor")),
                    tick.get(),
                    cancel.version().get(),
                    retry.version().get(),
                )
            },
            move |(status, cursor, ..)| when_signed_in(session, list_posts(status, cursor)),
        );
        live::refresh_while_in_flight(posts, tick);
        Self {
            cancel,
            retry,
            posts,
        }
    }
}

/// The status the history is filtered by, if any.
fn status_filter(query: Memo<leptos_router::params::ParamsMap>) -> Option<String> {
    query.with(|q| q.get("status")).filter(|s| !s.is_empty())
}

#[component]
fn History(state: HistoryState) -> impl IntoView {
    let HistoryState {
        cancel,
        retry,
        posts,
    } = state;
    let query = use_query_map();
    let status = move || status_filter(query);
    let action_error = move || {
        cancel
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| retry.value().get().and_then(|r| r.err()))
    };

    view! {
        <section class="page-head">
            <div>
                <h1>"History"</h1>
                <p class="muted">"Everything you published or scheduled, newest first."</p>
            </div>
            <A href="/compose" attr:class="button primary">"New post"</A>
        </section>
        <nav class="tabs" aria-label="Filter by status">
            {TABS.into_iter().map(|(label, value)| {
                let href = if value.is_empty() { "/history".to_string() } else { format!("/history?status={value}") };
                view! {
                    <a href=href class:active=move || status().unwrap_or_default() == value>{label}</a>
                }
            }).collect_view()}
        </nav>
        {move || action_error().map(|e| view! { <p class="alert error" role="alert">{error_text(&e)}</p> })}
        <Transition fallback=|| view! { <p class="muted">"Loading posts…"</p> }>
            {move || posts.get().map(|r| match r {
                Ok(page) if page.posts.is_empty() => view! {
                    <section class="card empty" data-testid="history-empty">
                        <h2>"No posts here yet"</h2>
                        <p><A href="/compose">"Compose a post"</A></p>
                    </section>
                }.into_any(),
                Ok(page) => {
                    let more = page.next_cursor.clone().map(|c| {
                        let s = status().map(|s| format!("status={s}&")).unwrap_or_default();
                        format!("/history?{s}cursor={c}")
                    });
                    view! {
                        <ul class="posts" data-testid="posts">
                            {page.posts.into_iter().map(|p| view! { <PostCard post=p cancel=cancel retry=retry/> }).collect_view()}
                        </ul>
                        {more.map(|href| view! { <p class="more"><a href=href class="button ghost">"Older posts"</a></p> })}
                    }.into_any()
                }
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn status_badge(status: PostStatus) -> (&'static str, &'static str) {
    match status {
        PostStatus::Scheduled => ("Scheduled", "badge info"),
        PostStatus::Queued => ("Queued", "badge neutral"),
        PostStatus::Publishing => ("Publishing", "badge info"),
        PostStatus::Published => ("Published", "badge ok"),
        PostStatus::Failed => ("Failed", "badge error"),
        PostStatus::Cancelled => ("Cancelled", "badge neutral"),
    }
}

fn kind_label(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Image => "Image",
        PostKind::Carousel => "Carousel",
        PostKind::Reel => "Reel",
        PostKind::Story => "Story",
    }
}

#[component]
fn PostCard(
    post: PostView,
    cancel: ServerAction<CancelPost>,
    retry: ServerAction<RetryPost>,
) -> impl IntoView {
    let (label, class) = status_badge(post.status);
    let thumb = post.media.first().cloned();
    let caption: String = post.caption.chars().take(220).collect();
    let truncated = post.caption.chars().count() > 220;
    let can_cancel = matches!(post.status, PostStatus::Scheduled | PostStatus::Queued);
    let can_retry = post.status == PostStatus::Failed;
    let steps = post.steps.clone();
    let (cancel_id, retry_id) = (post.id.clone(), post.id.clone());
    view! {
        <li class="card post" data-testid="post" data-status=post.status.as_str()>
            <div class="thumb">
                {match thumb {
                    Some(m) if m.media_type == MediaType::Image => view! { <img src=m.url alt="" loading="lazy" referrerpolicy="no-referrer"/> }.into_any(),
                    Some(_) => view! { <span class="thumb-video" aria-label="Video">"▶"</span> }.into_any(),
                    None => view! { <span></span> }.into_any(),
                }}
            </div>
            <div class="post-main">
                <p class="row">
                    <span class=class data-testid="post-status">{label}</span>
                    <span class="muted small">{kind_label(post.kind)} {(post.media.len() > 1).then(|| format!(" · {} items", post.media.len()))} " · @" {post.instagram_username.clone()}</span>
                </p>
                <p class="caption">{caption}{truncated.then_some("…")}</p>
                <PostOptionsLine post=post.clone()/>
                <p class="muted small times">
                    {post.scheduled_at.map(|t| view! { <span>"Scheduled for " <LocalTime at=t/></span> })}
                    {post.published_at.map(|t| view! { <span>"Published " <LocalTime at=t/></span> })}
                    {post.next_attempt_at.filter(|_| post.attempts > 0 || post.status == PostStatus::Queued && post.scheduled_at.is_none()).map(|t| view! {
                        <span>"Next attempt " <LocalTime at=t/></span>
                    })}
                    {(post.published_at.is_none() && post.scheduled_at.is_none()).then(|| view! { <span>"Created " <LocalTime at=post.created_at/></span> })}
                </p>
                {post.permalink.clone().map(|link| view! {
                    <p><a href=link target="_blank" rel="noopener noreferrer" data-testid="permalink">"View on Instagram ↗"</a></p>
                })}
                {post.error.clone().map(|e| view! {
                    <div class="alert error small" data-testid="post-error">
                        <strong>{e.message}</strong>
                        <p>{e.advice}</p>
                    </div>
                })}
                <details class="steps">
                    <summary class="small muted">"What happened"</summary>
                    <ol>
                        {steps.into_iter().map(|s| view! { <li><LocalTime at=s.at/> " · " {s.detail}</li> }).collect_view()}
                    </ol>
                </details>
            </div>
            <div class="post-actions">
                {can_cancel.then(|| view! {
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=cancel_id/>
                        <button type="submit" class="button ghost small" data-testid="cancel-post">"Cancel"</button>
                    </ActionForm>
                })}
                {can_retry.then(|| view! {
                    <ActionForm action=retry>
                        <input type="hidden" name="id" value=retry_id/>
                        <button type="submit" class="button small" data-testid="retry-post">"Retry"</button>
                    </ActionForm>
                })}
            </div>
        </li>
    }
}

/// What the post carries besides media and caption, in one line: collaborators, people
/// tagged, the place, the labels and the first comment's fate.
#[component]
fn PostOptionsLine(post: PostView) -> AnyView {
    let o = &post.options;
    let tagged: Vec<String> = post
        .media
        .iter()
        .flat_map(|m| m.user_tags.iter().map(|t| format!("@{}", t.username)))
        .collect();
    let mut parts: Vec<String> = vec![];
    if !o.collaborators.is_empty() {
        parts.push(format!("With @{}", o.collaborators.join(", @")));
    }
    if !tagged.is_empty() {
        parts.push(format!("Tagged {}", tagged.join(", ")));
    }
    if let Some(place) = &o.location {
        parts.push(format!("📍 {}", place.name.as_deref().unwrap_or(&place.id)));
    }
    if o.is_ai_generated {
        parts.push("AI label".into());
    }
    if o.share_to_feed == Some(false) {
        parts.push("Reels only".into());
    }
    if let Some(trial) = o.trial_reel {
        parts.push(match trial {
            crate::dto::TrialReel::Manual => "Trial reel (you share it)".into(),
            crate::dto::TrialReel::Performance => "Trial reel (shared if it does well)".into(),
        });
    }
    if o.first_comment.is_some() {
        parts.push(match (&post.first_comment_id, post.status) {
            (Some(_), _) => "First comment posted".into(),
            (None, PostStatus::Published) => "First comment not posted".into(),
            (None, _) => "First comment waits for the post".into(),
        });
    }
    (!parts.is_empty())
        .then(
            || view! { <p class="muted small" data-testid="post-options">{parts.join(" · ")}</p> },
        )
        .into_any()
}

/// Keeps the history live while posts are scheduled, queued or publishing (browser only).
mod live {
    use leptos::prelude::*;

    use crate::dto::PostPageView;

    pub fn refresh_while_in_flight(
        posts: Resource<Result<PostPageView, ServerFnError>>,
        tick: RwSignal<u32>,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let handle = set_interval_with_handle(
                move || {
                    let in_flight = posts.with_untracked(|r| {
                        matches!(r, Some(Ok(page)) if page.posts.iter().any(|p| matches!(p.status, crate::dto::PostStatus::Queued | crate::dto::PostStatus::Publishing)
                            || p.scheduled_at.is_some_and(|t| p.status == crate::dto::PostStatus::Scheduled && t <= chrono::Utc::now() + chrono::TimeDelta::minutes(1))))
                    });
                    if in_flight {
                        tick.update(|n| *n += 1);
                    }
                },
                std::time::Duration::from_secs(2),
            )
            .ok();
            on_cleanup(move || {
                if let Some(h) = handle {
                    h.clear();
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (posts, tick);
    }
}
