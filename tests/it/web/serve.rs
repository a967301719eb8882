//! `mobmatch serve --web-only` and `mobmatch admin-password` as an operator runs them.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::ADMIN_PASSWORD;
use super::http::Client;

fn mobmatch(folder: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mobmatch"));
    command
        .current_dir(folder)
        .env(
            "MOBMATCH_DATABASE_URL",
            format!("sqlite://{}/mobmatch.db", folder.display()),
        )
        .env("MOBMATCH_WEB__LISTEN", "127.0.0.1:0")
        .kill_on_drop(true);
    command
}

async fn set_password(folder: &std::path::Path, password: &str) -> std::process::Output {
    let mut child = mobmatch(folder)
        .arg("admin-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    child.wait_with_output().await.unwrap()
}

#[tokio::test]
async fn serve_answers_until_sigterm_with_the_password_set_by_admin_password() {
    let folder = tempfile::tempdir().unwrap();

    let refused = set_password(folder.path(), "short").await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("at least 12"));
    let set = set_password(folder.path(), ADMIN_PASSWORD).await;
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );

    let without_secret = mobmatch(folder.path())
        .args(["serve", "--web-only"])
        .output()
        .await
        .unwrap();
    assert_eq!(without_secret.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&without_secret.stderr).contains("run mobmatch init"));

    let mut server = mobmatch(folder.path())
        .args(["serve", "--web-only"])
        .env("MOBMATCH_SECRET", "serve test secret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let listening = lines
        .next_line()
        .await
        .unwrap()
        .expect("the server says where it listens");
    let address = listening
        .strip_prefix("Listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{listening}"))
        .parse()
        .unwrap();
    let mut client = Client::new(address);
    assert_eq!(client.get("/healthz").await.body, "ok\n");
    let login = client
        .post_form(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(login.status, 303, "{}", login.body);

    let pid = server.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = server.wait().await.unwrap();
    assert!(status.success(), "{status:?}");
}
