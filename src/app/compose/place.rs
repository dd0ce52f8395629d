//! The location of a post: search Facebook's places with the chosen account and pick one.

use leptos::prelude::*;

use super::form::{Compose, FieldError};
use crate::dto::PlaceView;

/// Places matching `query`, as the account sees them (`GET /places` on the API).
#[server(prefix = "/app/fn", endpoint = "search_places")]
pub async fn search_places(
    account_id: String,
    query: String,
) -> Result<Vec<PlaceView>, ServerFnError> {
    use super::super::server;
    let tenant = server::tenant().await?;
    server::rate_limit(crate::http::limits::Action::Search, Some(&tenant))?;
    server::services()?
        .places
        .search(&tenant, &account_id, &query)
        .await
        .map_err(server::domain_error)
}

#[component]
pub(super) fn LocationField(form: Compose) -> AnyView {
    let chosen = form.extras.place;
    let query = RwSignal::new(String::new());
    let search = Action::new(|(account, query): &(String, String)| {
        search_places(account.clone(), query.clone())
    });
    let run = move || {
        let q = query.get_untracked();
        if q.trim().chars().count() >= 2 {
            search.dispatch((form.account.get_untracked(), q));
        }
    };
    let results = move || {
        search.value().get().map(|found| match found {
            Ok(places) if places.is_empty() => view! {
                <p class="hint" data-testid="place-none">"No place matches. Try another name."</p>
            }
            .into_any(),
            Ok(places) => view! {
                <ul class="place-results" data-testid="place-results">
                    {places.into_iter().map(|p| {
                        let picked = p.clone();
                        view! {
                            <li><button type="button" class="link" data-testid="place-option"
                                on:click=move |_| { chosen.set(Some(picked.clone())); search.value().set(None); }>
                                <strong>{p.name.clone()}</strong>
                                {p.address.clone().map(|a| view! { <span class="hint">" · " {a}</span> })}
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => view! { <span class="field-error" role="alert">{super::super::error_text(&e)}</span> }.into_any(),
        })
    };
    view! {
        <div class="location stack">
            <span class="label">"Location"</span>
            {move || match chosen.get() {
                Some(place) => view! {
                    <p class="row" data-testid="place-chosen">
                        <span>"📍 " {place.name.clone()}</span>
                        <input type="hidden" name="form[location_id]" value=place.id.clone()/>
                        <input type="hidden" name="form[location_name]" value=place.name.clone()/>
                        <button type="button" class="button ghost small" on:click=move |_| chosen.set(None)>"Remove"</button>
                    </p>
                }.into_any(),
                None => view! {
                    <div class="row">
                        <input class="grow" type="search" aria-label="Search for a place" placeholder="Search for a place (a café, a city…)"
                            prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))
                            on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); run(); }
                            data-testid="place-query"/>
                        <button type="button" class="button ghost small" on:click=move |_| run()
                            disabled=move || search.pending().get() data-testid="place-search">"Find"</button>
                    </div>
                }.into_any(),
            }}
            {results}
            <FieldError form field="location"/>
        </div>
    }
    .into_any()
}
