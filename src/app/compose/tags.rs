//! Tagging people in a media row. On feed images a tag sits where the person is: click the
//! preview to place it. Reels and stories take tags without a position; carousel videos none.
//!
//! The row's tags travel in one hidden field, `form[media][i][tags]`, in a small notation of
//! our own: tags separated by spaces, each `username` or `username:x,y` (x and y from 0 to 1).
//! Usernames cannot hold `:`, `,` or spaces, so it needs no escaping.

use leptos::prelude::*;

use super::{browser, media::Row};
use crate::dto::{instagram_username, MediaType, PostKind, UserTag, MAX_USER_TAGS};

/// Whether the row's media takes tags, and whether they carry a position.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tagging {
    Positioned,
    Unpositioned,
    None,
}

impl Tagging {
    pub(super) fn of(kind: PostKind, media_type: MediaType) -> Self {
        match (kind, media_type) {
            (PostKind::Reel | PostKind::Story, _) => Self::Unpositioned,
            (_, MediaType::Image) => Self::Positioned,
            (_, MediaType::Video) => Self::None,
        }
    }
}

/// `v` (0 to 1) in thousandths. The page formats positions from integers: formatting floats
/// would add the standard library's float printing to the browser's download.
fn per_mille(v: f64) -> u32 {
    (v.clamp(0.0, 1.0) * 1000.0).round() as u32
}

/// Thousandths as a decimal fraction: 250 -> "0.250".
fn decimal(per_mille: u32) -> String {
    format!("{}.{:03}", per_mille / 1000, per_mille % 1000)
}

/// The row's tags in the form's notation; positions only where the media takes them.
fn encode(tags: &[UserTag], tagging: Tagging) -> String {
    let one = |t: &UserTag| match (tagging, t.x, t.y) {
        (Tagging::Positioned, Some(x), Some(y)) => format!(
            "{}:{},{}",
            t.username,
            decimal(per_mille(x)),
            decimal(per_mille(y))
        ),
        _ => t.username.clone(),
    };
    match tagging {
        Tagging::None => String::new(),
        _ => tags.iter().map(one).collect::<Vec<_>>().join(" "),
    }
}

/// Reads the form's notation back; the domain then checks the tags against the kind of post.
#[cfg(feature = "ssr")]
pub(super) fn parse(field: &str) -> Result<Vec<UserTag>, String> {
    let unreadable = |token: &str| {
        format!(
            "\"{token}\" is not a tag: give a username, or username:x,y with x and y from 0 to 1."
        )
    };
    field
        .split_whitespace()
        .map(|token| match token.split_once(':') {
            None => Ok(UserTag {
                username: token.to_string(),
                x: None,
                y: None,
            }),
            Some((username, at)) => {
                let (x, y) = at.split_once(',').ok_or_else(|| unreadable(token))?;
                let number = |v: &str| v.parse::<f64>().map_err(|_| unreadable(token));
                Ok(UserTag {
                    username: username.to_string(),
                    x: Some(number(x)?),
                    y: Some(number(y)?),
                })
            }
        })
        .collect()
}

/// What is wrong with adding `raw` to `tags`, said before the server says it.
fn refusal(tags: &[UserTag], raw: &str) -> Option<String> {
    let Some(name) = instagram_username(raw) else {
        return Some(format!(
            "\"{}\" is not an Instagram username (letters, digits, dots and underscores).",
            raw.trim()
        ));
    };
    if tags.iter().any(|t| t.username == name) {
        return Some(format!("@{name} is already tagged."));
    }
    (tags.len() >= MAX_USER_TAGS)
        .then(|| format!("At most {MAX_USER_TAGS} people can be tagged in one image or video."))
}

/// The tag list of one row: add by username, remove, and (on feed images) the marker to place.
#[component]
pub(super) fn PeopleTags(index: usize, row: Row, kind: RwSignal<PostKind>) -> AnyView {
    let tagging = move || Tagging::of(kind.get(), row.media_type.get());
    let typed = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let add = move || {
        let raw = typed.get_untracked();
        if raw.trim().is_empty() {
            return;
        }
        if let Some(p) = row.tags.with_untracked(|t| refusal(t, &raw)) {
            problem.set(Some(p));
            return;
        }
        let username = instagram_username(&raw).unwrap_or_default().to_string();
        // Placed in the middle until the person clicks where they are.
        let centre = (tagging() == Tagging::Positioned).then_some(0.5);
        row.tags.update(|t| {
            t.push(UserTag {
                username,
                x: centre,
                y: centre,
            })
        });
        row.placing.set(row.tags.with_untracked(|t| t.len() - 1));
        typed.set(String::new());
        problem.set(None);
    };
    (move || {
        (tagging() != Tagging::None).then(|| view! {
            <div class="people-tags" data-testid="people-tags">
                <input type="hidden" name=format!("form[media][{index}][tags]") prop:value=move || row.tags.with(|t| encode(t, tagging()))/>
                <div class="row">
                    <input class="grow" aria-label="Tag someone (Instagram username)" placeholder="Tag someone: username"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add(); }
                        data-testid="tag-username"/>
                    <button type="button" class="button ghost small" on:click=move |_| add() data-testid="tag-add">"Tag"</button>
                </div>
                {move || problem.get().map(|p| view! { <span class="field-error" role="alert" data-testid="tag-error">{p}</span> })}
                <TagChips row positioned=Signal::derive(move || tagging() == Tagging::Positioned)/>
            </div>
        })
    })
    .into_any()
}

#[component]
fn TagChips(row: Row, positioned: Signal<bool>) -> AnyView {
    let percent = |v: Option<f64>| format!("{}%", (per_mille(v.unwrap_or(0.5)) + 5) / 10);
    (move || {
        let chips = row.tags.get().into_iter().enumerate().map(|(i, t)| {
            let placing = move || positioned.get() && row.placing.get() == i;
            view! {
                <li class="chip" class:placing=placing data-testid="tag-chip">
                    <button type="button" class="link" title="Place this tag on the preview"
                        on:click=move |_| row.placing.set(i)>"@" {t.username.clone()}</button>
                    {positioned.get().then(|| view! { <span class="hint">{percent(t.x)} " across, " {percent(t.y)} " down"</span> })}
                    <button type="button" class="link" aria-label=format!("Remove @{}", t.username)
                        on:click=move |_| {
                            row.tags.update(|tags| { tags.remove(i); });
                            row.placing.set(0);
                        }>"×"</button>
                </li>
            }
        }).collect_view();
        let hint = move || {
            (positioned.get() && row.tags.with(|t| !t.is_empty()))
                .then(|| view! { <p class="hint">"Click the preview where the highlighted person is."</p> })
        };
        view! { <ul class="chips">{chips}</ul> {hint} }
    })
    .into_any()
}

/// Markers on the preview, and the click that places the chosen tag.
#[component]
pub(super) fn TagMarkers(row: Row, kind: RwSignal<PostKind>) -> AnyView {
    let positioned = move || Tagging::of(kind.get(), row.media_type.get()) == Tagging::Positioned;
    (move || {
        positioned().then(|| {
            row.tags
                .get()
                .into_iter()
                .enumerate()
                .filter_map(|(i, t)| Some((i, t.username, t.x?, t.y?)))
                .map(|(i, name, x, y)| view! {
                    <span class="tag-marker" class:placing=move || row.placing.get() == i
                        style=format!("left: {}%; top: {}%", decimal(per_mille(x) * 100), decimal(per_mille(y) * 100))>"@" {name}</span>
                })
                .collect_view()
        })
    })
    .into_any()
}

/// Places the chosen tag where the preview was clicked.
pub(super) fn place_on_click(row: Row, ev: &leptos::ev::MouseEvent) {
    let Some((x, y)) = browser::click_fraction(ev) else {
        return;
    };
    let i = row.placing.get_untracked();
    row.tags.update(|t| {
        if let Some(tag) = t.get_mut(i) {
            tag.x = Some(x);
            tag.y = Some(y);
        }
    });
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn tag(username: &str, at: Option<(f64, f64)>) -> UserTag {
        UserTag {
            username: username.into(),
            x: at.map(|a| a.0),
            y: at.map(|a| a.1),
        }
    }

    #[test]
    fn tags_survive_the_form_with_and_without_positions() {
        let tags = vec![
            tag("anna.k", Some((0.25, 0.75))),
            tag("bo_b", Some((0.5, 0.5))),
        ];
        assert_eq!(
            encode(&tags, Tagging::Positioned),
            "anna.k:0.250,0.750 bo_b:0.500,0.500"
        );
        assert_eq!(parse(&encode(&tags, Tagging::Positioned)).unwrap(), tags);
        // A reel's tags have no position, even if one was placed before the kind changed.
        assert_eq!(
            parse(&encode(&tags, Tagging::Unpositioned)).unwrap(),
            vec![tag("anna.k", None), tag("bo_b", None)]
        );
        assert_eq!(encode(&tags, Tagging::None), "");
        assert_eq!(parse("  ").unwrap(), vec![]);
    }

    #[test]
    fn a_tag_the_form_cannot_read_is_refused_by_name() {
        for bad in ["anna:0.5", "anna:x,0.5", "anna:0.5,"] {
            let message = parse(bad).unwrap_err();
            assert!(message.contains(&format!("\"{bad}\"")), "{message}");
        }
    }

    #[test]
    fn the_page_refuses_a_bad_name_a_second_tag_and_the_twenty_first() {
        assert!(refusal(&[], "not a name").is_some());
        assert_eq!(refusal(&[], "@anna.k"), None);
        let one = [tag("anna.k", None)];
        assert_eq!(
            refusal(&one, "anna.k").as_deref(),
            Some("@anna.k is already tagged.")
        );
        let full: Vec<UserTag> = (0..MAX_USER_TAGS)
            .map(|i| tag(&format!("p{i}"), None))
            .collect();
        assert!(refusal(&full, "one.more").unwrap().contains("At most 20"));
    }
}
