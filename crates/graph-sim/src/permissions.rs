//! Facebook Login permission names the dialog accepts, and how a grant turns
//! into `granular_scopes` target ids (row C).

use super::state::{Grant, State};

/// Permissions Facebook Login knows. Anything else makes the dialog show
/// "Invalid Scopes" (row A). Instagram Login's `instagram_business_*` scopes
/// and retired ones such as `manage_pages` are deliberately absent.
pub(crate) const KNOWN_PERMISSIONS: &[&str] = &[
    "public_profile",
    "email",
    "user_birthday",
    "user_friends",
    "user_gender",
    "user_hometown",
    "user_likes",
    "user_link",
    "user_location",
    "user_photos",
    "user_posts",
    "user_videos",
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_manage_ads",
    "pages_messaging",
    "pages_events",
    "page_events",
    "publish_video",
    "read_insights",
    "read_page_mailboxes",
    "business_management",
    "ads_management",
    "ads_read",
    "attribution_read",
    "catalog_management",
    "leads_retrieval",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "instagram_manage_messages",
    "instagram_manage_events",
    "instagram_manage_upcoming_events",
    "instagram_shopping_tag_products",
    "instagram_branded_content_brand",
    "instagram_branded_content_creator",
    "instagram_branded_content_ads_brand",
    "whatsapp_business_management",
    "whatsapp_business_messaging",
    "whatsapp_business_manage_events",
    "commerce_account_read_settings",
    "commerce_account_manage_orders",
    "commerce_account_read_orders",
    "commerce_account_read_reports",
    "commerce_manage_accounts",
    "private_computation_access",
    "threads_business_basic",
    "gaming_user_locale",
];

/// The permission every login grants and the dialog never offers to decline.
pub(crate) const ALWAYS_GRANTED: &str = "public_profile";

pub(crate) fn is_known(permission: &str) -> bool {
    KNOWN_PERMISSIONS.contains(&permission)
}

/// Splits a `scope` parameter (comma- or space-separated), keeping order, without duplicates.
pub(crate) fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in scope.split([',', ' ']) {
        let part = part.trim();
        if !part.is_empty() && !out.iter().any(|p| p == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// Which objects a granted permission reaches: pages for `pages_*` and
/// `read_insights`, IG accounts for `instagram_*`, businesses for
/// `business_management`; `None` for user-level permissions.
pub(crate) fn target_ids(state: &State, grant: &Grant, permission: &str) -> Option<Vec<String>> {
    let pages = grant.pages.iter().filter_map(|id| state.pages.get(id));
    if permission.starts_with("pages_") || permission == "read_insights" {
        Some(pages.map(|p| p.id.clone()).collect())
    } else if permission.starts_with("instagram_") {
        Some(pages.filter_map(|p| p.ig_user_id.clone()).collect())
    } else if permission == "business_management" {
        let mut ids: Vec<String> = Vec::new();
        for (business_id, _) in pages.filter_map(|p| p.business.clone()) {
            if !ids.contains(&business_id) {
                ids.push(business_id);
            }
        }
        Some(ids)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_splitting_handles_commas_spaces_and_duplicates() {
        assert_eq!(
            split_scope("email, pages_show_list pages_show_list,,instagram_basic"),
            ["email", "pages_show_list", "instagram_basic"]
        );
        assert!(is_known("instagram_content_publish"));
        assert!(!is_known("instagram_business_basic"));
        assert!(!is_known("manage_pages"));
    }
}
