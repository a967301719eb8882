//! The pages in a real browser: headless Chromium driven through WebDriver
//! (`chromedriver`, started here on a free loopback port). Screenshots of each step go to
//! `$CARGO_TARGET_TMPDIR/web-screenshots/`, to look at.

use std::path::PathBuf;
use std::process::Stdio;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use mobmatch::domain::{SubmissionId, SubmissionStatus};
use mobmatch::store::SubmissionFilter;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{ADMIN_PASSWORD, TestServer};
use crate::support::TestDatabase;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process on a free loopback port, killed when dropped.
struct ChromeDriver {
    _process: Child,
    port: u16,
}

impl ChromeDriver {
    async fn start() -> ChromeDriver {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {CHROMEDRIVER} ({error}); scripts/test installs chromium-driver"
                )
            });
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        // chromedriver says so on its standard output once it accepts sessions.
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("chromedriver ended before it started");
            if line.contains("started successfully") {
                break;
            }
        }
        ChromeDriver {
            _process: process,
            port,
        }
    }

    async fn browser(&self, profile: &std::path::Path) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1200,1800",
                    "--lang=en-GB",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromedriver opens a Chromium session")
    }
}

fn screenshot_folder() -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_folder().join(format!("{name}.png")), png).unwrap();
}

async fn type_into(browser: &Client, id: &str, text: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Date inputs take typed keys in the browser's locale order; setting the value is what
/// a date picker does.
async fn set_date(browser: &Client, id: &str, date: &str) {
    browser
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(date)],
        )
        .await
        .unwrap();
}

async fn choose(browser: &Client, id: &str, value: &str) {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn attribute(browser: &Client, css: &str, name: &str) -> Option<String> {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .attr(name)
        .await
        .unwrap()
}

/// Clicks what `locator` finds and waits until the browser has left the page: WebDriver
/// does not always wait for the navigation a click starts.
async fn click_to_next_page(browser: &Client, locator: Locator<'_>) {
    let old_page = browser.find(Locator::Css("html")).await.unwrap();
    browser.find(locator).await.unwrap().click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The old page's root goes stale once the new page is loaded.
    while old_page.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the page did not change"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_person_submits_confirms_by_email_the_secretariat_sees_it_and_an_introduction_is_answered()
 {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let driver = ChromeDriver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path()).await;

    // Filled in wrongly: the errors sit beside their fields, with the values kept.
    browser.goto(&server.url("/submit")).await.unwrap();
    browser
        .find(Locator::Id("f-role-receiving"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&browser, "f-organisation", "TKNIKA").await;
    type_into(&browser, "f-contact_name", "Maria Etxeberria").await;
    type_into(&browser, "f-contact_email", "maria@tknika.example").await;
    choose(&browser, "f-region", "ES21").await;
    choose(&browser, "f-mobility_type", "vet_learner").await;
    choose(&browser, "f-fields", "0713").await;
    type_into(&browser, "f-participants", "0").await;
    choose(&browser, "f-inclusion_support", "yes").await;
    set_date(&browser, "f-earliest_start", "2027-03-01").await;
    set_date(&browser, "f-latest_end", "2027-02-01").await;
    type_into(&browser, "f-duration", "10").await;
    choose(&browser, "f-languages", "en").await;
    type_into(&browser, "f-notes", "Workshops in English").await;
    click_to_next_page(&browser, Locator::Css("main form button[type=submit]")).await;

    let summary = text_of(&browser, ".error-summary").await;
    assert!(summary.contains("Participants"), "{summary}");
    assert!(summary.contains("Latest end"), "{summary}");
    assert_eq!(
        attribute(&browser, "#f-participants", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    let participants_error = text_of(&browser, "#participants-error").await;
    assert!(participants_error.contains("zero"), "{participants_error}");
    assert!(
        text_of(&browser, "#latest_end-error")
            .await
            .contains("before")
    );
    assert_eq!(
        browser
            .find(Locator::Id("f-organisation"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("TKNIKA")
    );
    assert_eq!(
        browser
            .find(Locator::Css("#f-region option[value=ES21]"))
            .await
            .unwrap()
            .prop("selected")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        browser
            .find(Locator::Id("f-notes"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Workshops in English")
    );
    screenshot(&browser, "01-submit-with-errors").await;

    // Corrected: the page says what happens next.
    type_into(&browser, "f-participants", "4").await;
    set_date(&browser, "f-latest_end", "2027-06-30").await;
    click_to_next_page(&browser, Locator::Css("main form button[type=submit]")).await;
    assert!(text_of(&browser, "h1").await.contains("Check your email"));
    screenshot(&browser, "02-submitted").await;
    let submissions = server
        .store
        .submissions(&SubmissionFilter::default())
        .await
        .unwrap();
    assert_eq!(submissions.len(), 1);
    let id = submissions[0].id;
    assert_eq!(submissions[0].status, SubmissionStatus::Unconfirmed);

    // The confirmation link, from the .eml file the outbox delivers.
    let outbox = tempfile::tempdir().unwrap();
    server.deliver_outbox_to(outbox.path()).await;
    let eml = std::fs::read_dir(outbox.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let body = mobmatch::mail::decode(&std::fs::read(&eml).unwrap()).body;
    let start = body.find("http://").expect("the email carries the link");
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    browser.goto(&link).await.unwrap();
    screenshot(&browser, "03-confirm-page").await;
    assert_eq!(
        server.store.submission(id).await.unwrap().status,
        SubmissionStatus::Unconfirmed,
        "opening the link alone confirms nothing"
    );
    click_to_next_page(&browser, Locator::Css("main form button")).await;
    assert!(text_of(&browser, ".notice").await.contains("Confirmed"));
    assert!(text_of(&browser, ".status").await.contains("open"));
    screenshot(&browser, "04-submission-open").await;
    assert_eq!(
        server.store.submission(id).await.unwrap().status,
        SubmissionStatus::Open
    );

    // The language switch.
    browser.goto(&server.url("/submit")).await.unwrap();
    click_to_next_page(&browser, Locator::LinkText("Español")).await;
    assert_eq!(
        text_of(&browser, "h1").await,
        "Ofrecer o solicitar una movilidad"
    );
    screenshot(&browser, "05-submit-in-spanish").await;
    browser.goto(&server.url("/?lang=en")).await.unwrap();

    // The secretariat logs in and sees the dashboard and the inbound log.
    server.set_admin_password().await;
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mail/13_rejected_many_errors.eml"),
    )
    .unwrap();
    mobmatch::mail::ingest_message(
        &server.store,
        &server.mail_rules(),
        "13.eml",
        &raw,
        server.now(),
    )
    .await
    .unwrap();
    browser.goto(&server.url("/admin")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/admin/login")
    );
    type_into(&browser, "f-password", ADMIN_PASSWORD).await;
    click_to_next_page(&browser, Locator::Css("main form button")).await;
    assert_eq!(text_of(&browser, "h1").await, "Dashboard");
    assert!(
        text_of(&browser, "ul.figures")
            .await
            .contains("1 open offers")
    );
    screenshot(&browser, "06-admin-dashboard").await;
    click_to_next_page(&browser, Locator::LinkText("Inbound log")).await;
    let log = text_of(&browser, "main table").await;
    assert!(log.contains("rejected"), "{log}");
    screenshot(&browser, "07-admin-inbound-log").await;
    click_to_next_page(&browser, Locator::Css("main table a")).await;
    assert!(text_of(&browser, "pre.raw").await.contains("Message-ID"));
    screenshot(&browser, "08-admin-inbound-message").await;
    click_to_next_page(&browser, Locator::LinkText("Submissions")).await;
    assert!(text_of(&browser, "main table").await.contains("TKNIKA"));
    screenshot(&browser, "09-admin-submissions").await;

    // The secretariat runs a round; the host answers the introduction on its page.
    crate::web::open_matching_request(&server).await;
    browser.goto(&server.url("/admin/rounds")).await.unwrap();
    click_to_next_page(
        &browser,
        Locator::Css("form[action='/admin/rounds/run'] button"),
    )
    .await;
    assert!(text_of(&browser, "main").await.contains("R-1"));
    screenshot(&browser, "10-admin-rounds").await;
    let letters = tempfile::tempdir().unwrap();
    server.deliver_outbox_to(letters.path()).await;
    let introduction_link = std::fs::read_dir(letters.path())
        .unwrap()
        .map(|entry| mobmatch::mail::decode(&std::fs::read(entry.unwrap().path()).unwrap()))
        .filter(|message| {
            message
                .recipients
                .iter()
                .any(|to| to == "maria@tknika.example")
        })
        .find_map(|message| {
            let start = message.body.find("/i/")?;
            let end = start + message.body[start..].find(char::is_whitespace)?;
            Some(server.url(&message.body[start..end]))
        })
        .expect("the host's introduction email links to its answer page");
    browser.goto(&introduction_link).await.unwrap();
    assert!(
        text_of(&browser, "main")
            .await
            .contains("Västra Götalandsregionen")
    );
    screenshot(&browser, "11-introduction-page").await;
    click_to_next_page(&browser, Locator::Css("button[value=accept]")).await;
    assert!(
        text_of(&browser, ".notice")
            .await
            .contains("your answer is recorded")
    );
    screenshot(&browser, "12-introduction-accepted").await;
    let introduction = &server
        .store
        .introductions(&Default::default())
        .await
        .unwrap()[0];
    assert_eq!(
        introduction.host_answer.map(|answer| answer.answer),
        Some(mobmatch::domain::Answer::Accept)
    );

    assert_eq!(
        server
            .store
            .submission(SubmissionId::new(id.get()))
            .await
            .unwrap()
            .status,
        SubmissionStatus::Open
    );
    browser.close().await.unwrap();
}
