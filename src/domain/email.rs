use std::fmt;

use serde::{Serialize, Serializer};

use super::{InvalidValue, ValueProblem};

/// An email address as people write it in forms: one `@`, a domain with a dot, no
/// spaces. Stored in lower case so that the same person is found however they typed it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, InvalidValue> {
        let trimmed = input.trim();
        let address = trimmed
            .strip_prefix("mailto:")
            .unwrap_or(trimmed)
            .trim_start_matches('<')
            .trim_end_matches('>');
        let Some((local, domain)) = address.split_once('@') else {
            return Err(ValueProblem::NotAnEmailAddress.into());
        };
        let well_formed = !local.is_empty()
            && address.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && !address
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>'));
        if !well_formed {
            return Err(ValueProblem::NotAnEmailAddress.into());
        }
        Ok(EmailAddress(address.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "EmailAddress({})", self.0)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_unwrapped_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Anna.Berg@VGRegion.se ")
                .unwrap()
                .as_str(),
            "anna.berg@vgregion.se"
        );
        assert_eq!(
            EmailAddress::parse("<ion@tknika.eus>").unwrap().as_str(),
            "ion@tknika.eus"
        );
        assert_eq!(
            EmailAddress::parse("mailto:ion@tknika.eus")
                .unwrap()
                .as_str(),
            "ion@tknika.eus"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@school.se",
            "anna@school",
            "anna berg@school.se",
            "a@b@school.se",
            "anna@.se",
            "anna@school..se",
            "a@school.se, b@school.se",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
