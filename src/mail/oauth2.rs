//! OAuth2 access tokens for XOAUTH2, on IMAP and SMTP alike: mobmatch does not talk to
//! the identity provider itself but runs the configured `oauth2_token_command`, which
//! prints a current access token (Microsoft 365 and Gmail tokens last about an hour, so
//! it runs before each sign-in).

/// Runs `command` with `sh -c` and returns the token it printed, or why there is none
/// (with what the command wrote on standard error).
pub(crate) async fn run_token_command(command: &str) -> Result<String, String> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .output()
        .await
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            command,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if token.is_empty() {
        return Err(format!("{command} printed no token"));
    }
    Ok(token)
}
