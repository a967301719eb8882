//! What a failed TLS handshake means for the operator, for IMAP and SMTP alike: rustls
//! reports `invalid peer certificate: UnknownIssuer`, the operator needs to read which
//! setting to change.

use std::error::Error;

use tokio_rustls::rustls::{self, CertificateError};

/// A sentence saying why the TLS handshake with `host` failed and what to do, when
/// `error` (or an error it wraps) is a rustls error.
pub(crate) fn explain_tls_failure(host: &str, error: &(dyn Error + 'static)) -> Option<String> {
    let failure = rustls_error(error)?;
    Some(match failure {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the certificate of {host} is signed by a certificate authority that is not trusted \
             ({failure}); if the server uses a private certificate authority, set SSL_CERT_FILE \
             to that authority's PEM certificate"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the certificate of the server is not for {host} ({failure}); set the host to the \
             name the server's certificate is for"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => format!(
            "the certificate of {host} has expired ({failure}); ask the server's operator to \
             renew it"
        ),
        other => format!(
            "the TLS handshake with {host} failed ({other}); check the host, port and tls \
             settings (\"implicit\" for ports 993 and 465, \"starttls\" for 143 and 587)"
        ),
    })
}

fn rustls_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(failure) = error.downcast_ref::<rustls::Error>() {
            return Some(failure);
        }
        // An io::Error's source() skips the error it wraps, so look inside it first.
        if let Some(failure) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| rustls_error(inner))
        {
            return Some(failure);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_authority_inside_an_io_error_is_explained_with_what_to_set() {
        let error = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let explanation = explain_tls_failure("mail.example.org", &error).unwrap();
        assert!(explanation.contains("not trusted"), "{explanation}");
        assert!(explanation.contains("SSL_CERT_FILE"), "{explanation}");
    }

    #[test]
    fn an_error_that_is_not_about_tls_has_no_explanation() {
        let error = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(explain_tls_failure("mail.example.org", &error), None);
    }
}
