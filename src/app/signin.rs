//! Signing in. On the platform, the platform hands its user over (`POST /auth/session`); in demo
//! mode, a plain form signs in as any customer and user, so the app can be tried alone.

use leptos::{form::ActionForm, prelude::*};

use super::{error_text, layout::SignInPrompt, SessionResource};

/// Signs the browser in as the typed customer and user. Demo mode only.
#[server(prefix = "/app/fn", endpoint = "demo_sign_in")]
pub async fn demo_sign_in(customer_id: String, user_id: String) -> Result<(), ServerFnError> {
    use super::server;
    let result = sign_in_as(customer_id, user_id).await;
    server::form_result(<DemoSignIn as leptos::server_fn::ServerFn>::PATH, result).await
}

#[cfg(feature = "ssr")]
async fn sign_in_as(customer_id: String, user_id: String) -> Result<(), ServerFnError> {
    use super::server;
    let services = server::services()?;
    if !services.config.is_demo() {
        return Err(server::bad_request(
            "Signing in with a form is only possible in demo mode.",
        ));
    }
    server::rate_limit(crate::http::limits::Action::SignIn, None)?;
    let tenant = crate::domain::tenant::Tenant::new(customer_id.trim(), user_id.trim())
        .map_err(|e| server::bad_request(format!("The {e}.")))?;
    let session = server::browser_session().await?;
    let valid_until = chrono::Utc::now()
        + chrono::TimeDelta::from_std(services.config.edge.session_max)
            .unwrap_or(chrono::TimeDelta::hours(12));
    crate::auth::session::sign_in(&session, &tenant, valid_until)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect("/");
    Ok(())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let sign_in = ServerAction::<DemoSignIn>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || session.get().map(|s| match s {
                Ok(info) if info.demo => view! {
                    <section class="card narrow">
                        <h1>"Sign in to the demo"</h1>
                        <p class="muted">"On the platform, people arrive signed in. Here, pick any customer and user: each pair has its own accounts and posts."</p>
                        <ActionForm action=sign_in attr:class="stack" attr:data-testid="signin-form">
                            <label>"Customer ID"
                                <input name="customer_id" required maxlength="128" value="demo-customer" autocomplete="organization"/>
                            </label>
                            <label>"User ID"
                                <input name="user_id" required maxlength="128" value="demo-user" autocomplete="username"/>
                            </label>
                            <button type="submit" class="button">"Sign in"</button>
                        </ActionForm>
                        {move || sign_in.value().get().and_then(|r| r.err()).map(|e| view! {
                            <p class="alert error" role="alert">{error_text(&e)}</p>
                        })}
                    </section>
                }.into_any(),
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}
