//! Who owns a piece of data. The tenant travels as a value into every storage call, so no query
//! can forget it (docs/architecture.md, "Two rules worth keeping").

use std::fmt;

/// A customer of the platform and one of its users, taken from verified claims only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    customer_id: String,
    user_id: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field} {problem}")]
pub struct TenantError {
    pub field: &'static str,
    pub problem: &'static str,
}

impl Tenant {
    /// Ids are opaque to us but bounded: at most 128 characters of letters, digits and `-_.:@`,
    /// which keeps them out of query operators and log-injection territory.
    pub fn new(
        customer_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Result<Self, TenantError> {
        let customer_id = customer_id.into();
        let user_id = user_id.into();
        check_id("customer_id", &customer_id)?;
        check_id("user_id", &user_id)?;
        Ok(Self {
            customer_id,
            user_id,
        })
    }

    /// A tenant read back from a store: ids that no longer pass the rules mean corrupt data.
    pub fn stored(
        customer_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Result<Self, super::StoreError> {
        Self::new(customer_id, user_id).map_err(|e| super::StoreError::corrupt("stored tenant", e))
    }

    pub fn customer_id(&self) -> &str {
        &self.customer_id
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

fn check_id(field: &'static str, value: &str) -> Result<(), TenantError> {
    if value.is_empty() {
        return Err(TenantError {
            field,
            problem: "is empty",
        });
    }
    if value.len() > 128 {
        return Err(TenantError {
            field,
            problem: "is longer than 128 characters",
        });
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c))
    {
        return Err(TenantError {
            field,
            problem: "may only contain letters, digits and - _ . : @",
        });
    }
    Ok(())
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.customer_id, self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        let t = Tenant::new("cust-42", "user_7@acme.io").unwrap();
        assert_eq!(t.customer_id(), "cust-42");
        assert_eq!(t.user_id(), "user_7@acme.io");
    }

    #[test]
    fn refuses_empty_long_and_operator_like_ids() {
        for bad in [
            "",
            "{\"$ne\":null}",
            "$gt",
            "a b",
            "a|b",
            &"x".repeat(129),
            "ünïcode",
        ] {
            assert!(
                Tenant::new(bad, "u").is_err(),
                "{bad:?} accepted as customer_id"
            );
            assert!(
                Tenant::new("c", bad).is_err(),
                "{bad:?} accepted as user_id"
            );
        }
    }
}
