//! Who a delivery status notification (RFC 3464, the `message/delivery-status` part of a
//! `multipart/report`) says we could not reach, and whether for good. Pure: the caller
//! counts the bounces. Such reports stay ignored robots that are never answered.

use crate::domain::EmailAddress;

/// One recipient a report names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounce {
    pub address: EmailAddress,
    pub kind: BounceKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BounceKind {
    /// Failed for good (`Action: failed` with a 5.x.x status, or no status).
    Hard,
    /// Failed for now, or delayed (a 4.x.x status, `Action: delayed`); only counted.
    Soft,
}

/// The recipients of a delivery-status text that failed or were delayed, in order.
/// Recipients delivered, relayed or expanded are left out, as are addresses that do not
/// parse.
pub fn bounces(delivery_status: &str) -> Vec<Bounce> {
    let text = delivery_status.replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block.lines().find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_owned())
                })
            };
            let recipient = field("Final-Recipient").or_else(|| field("Original-Recipient"))?;
            // "rfc822; anna@example.org"
            let address = recipient.rsplit(';').next().unwrap_or_default();
            let address = EmailAddress::parse(address).ok()?;
            let action = field("Action").unwrap_or_default().to_ascii_lowercase();
            let status = field("Status").unwrap_or_default();
            let kind = match action.as_str() {
                "failed" if status.starts_with('4') => BounceKind::Soft,
                "failed" => BounceKind::Hard,
                "delayed" => BounceKind::Soft,
                _ => return None,
            };
            Some(Bounce { address, kind })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounce(address: &str, kind: BounceKind) -> Bounce {
        Bounce {
            address: EmailAddress::parse(address).unwrap(),
            kind,
        }
    }

    #[test]
    fn reads_each_failed_or_delayed_recipient_and_how_it_failed() {
        let report = "Reporting-MTA: dns; mx.example\r\n\
                      \r\n\
                      Final-Recipient: rfc822; Nobody@School.example\r\n\
                      Action: failed\r\n\
                      Status: 5.1.1\r\n\
                      \r\n\
                      Original-Recipient: rfc822;full@school.example\r\n\
                      Action: failed\r\n\
                      Status: 4.2.2\r\n\
                      \r\n\
                      Final-Recipient: rfc822; slow@school.example\r\n\
                      action: delayed\r\n\
                      \r\n\
                      Final-Recipient: rfc822; fine@school.example\r\n\
                      Action: delivered\r\n\
                      Status: 2.0.0\r\n\
                      \r\n\
                      Final-Recipient: rfc822; gone@school.example\r\n\
                      Action: failed\r\n";
        assert_eq!(
            bounces(report),
            [
                bounce("nobody@school.example", BounceKind::Hard),
                bounce("full@school.example", BounceKind::Soft),
                bounce("slow@school.example", BounceKind::Soft),
                bounce("gone@school.example", BounceKind::Hard),
            ]
        );
    }

    #[test]
    fn a_report_without_recipients_names_nobody() {
        assert_eq!(bounces("Reporting-MTA: dns; mx.example\n"), []);
        assert_eq!(
            bounces("Final-Recipient: rfc822; not an address\nAction: failed\n"),
            []
        );
    }
}
