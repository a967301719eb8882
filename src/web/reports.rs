//! The admin's reports and population figures: the monthly report folders under
//! `reports.dir` (download any file, write a month again) and the population CSV upload,
//! read by the same importer as `mobmatch import population`.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::admin::{Admin, admin_page};
use super::pages::{Visitor, see_other};
use super::{SharedState, WebError};
use crate::forms::FormLanguage;
use crate::import::{ImportError, import_population_csv};
use crate::report::{self, ReportMonth};
use crate::report_mail::read_report_input;

/// The largest population file accepted.
const POPULATION_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/admin/reports", get(reports))
        .route("/admin/reports/regenerate", post(regenerate))
        .route("/admin/reports/{month}/{file}", get(download))
        .route(
            "/admin/population",
            post(upload_population).layer(DefaultBodyLimit::max(POPULATION_UPLOAD_BYTES)),
        )
}

#[derive(Serialize)]
pub(super) struct ReportFolder {
    pub(super) month: String,
    files: Vec<String>,
    pub(super) charts: Vec<String>,
}

/// The report folders, newest month first, with their files by name.
pub(super) fn report_folders(dir: &Path) -> Vec<ReportFolder> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut folders: Vec<ReportFolder> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let month: ReportMonth = entry.file_name().to_str()?.parse().ok()?;
            let mut files: Vec<String> = std::fs::read_dir(entry.path())
                .ok()?
                .filter_map(Result::ok)
                .filter(|file| file.path().is_file())
                .filter_map(|file| file.file_name().to_str().map(str::to_owned))
                .collect();
            files.sort();
            let charts = files
                .iter()
                .filter(|file| file.ends_with(".png"))
                .cloned()
                .collect();
            Some(ReportFolder {
                month: month.to_string(),
                files,
                charts,
            })
        })
        .collect();
    folders.sort_by(|a, b| b.month.cmp(&a.month));
    folders
}

async fn reports(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    reports_page(&state, &visitor, StatusCode::OK, Value::UNDEFINED).await
}

async fn reports_page(
    state: &SharedState,
    visitor: &Visitor,
    status: StatusCode,
    import: Value,
) -> Result<Response, WebError> {
    let previous = ReportMonth::before(state.now().with_timezone(&state.timezone).date_naive());
    admin_page(
        state,
        visitor,
        status,
        "admin/reports.html",
        context! {
            folders => Value::from(Serde(report_folders(&state.reports_dir))),
            previous_month => previous.to_string(),
            import,
        },
    )
}

async fn regenerate(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let month: ReportMonth = pairs
        .iter()
        .find(|(key, _)| key == "month")
        .and_then(|(_, value)| value.parse().ok())
        .ok_or(WebError::BadRequest(FormLanguage::En))?;
    let input = read_report_input(&state.store)
        .await
        .map_err(|error| WebError::Internal(format!("the report for {month}: {error}")))?;
    let dir = state.reports_dir.join(month.to_string());
    let targets = state.targets.clone();
    let definition = state.report_definition;
    // Polars and the charts take seconds of CPU: off the async workers.
    let written = tokio::task::spawn_blocking(move || {
        report::write_report(input, month, &targets, definition, &dir)
    })
    .await
    .map_err(|error| WebError::Internal(format!("the report task ended: {error}")))?;
    if let Err(error) = written {
        return Err(WebError::Internal(format!(
            "the report for {month}: {error}"
        )));
    }
    Ok(see_other("/admin/reports"))
}

async fn download(
    _: Admin,
    State(state): State<SharedState>,
    UrlPath((month, file)): UrlPath<(String, String)>,
) -> Result<Response, WebError> {
    let not_found = || WebError::NotFound(FormLanguage::En);
    let month: ReportMonth = month.parse().map_err(|_| not_found())?;
    // Only a plain file name of a report folder: no separators, no "..".
    let plain = !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "._-".contains(character));
    if !plain {
        return Err(not_found());
    }
    let path: PathBuf = state.reports_dir.join(month.to_string()).join(&file);
    let bytes = tokio::fs::read(&path).await.map_err(|_| not_found())?;
    let content_type = match path.extension().and_then(|extension| extension.to_str()) {
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("csv") => "text/csv; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = if content_type.starts_with("image/") {
        format!("inline; filename=\"{file}\"")
    } else {
        format!("attachment; filename=\"{file}\"")
    };
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("a plain file name is a valid header"),
    );
    Ok(response)
}

#[derive(Serialize)]
struct ImportSummary {
    file: String,
    rows: u64,
    imported: u64,
    replaced: u64,
    rejected: u64,
    problems: Vec<String>,
}

async fn upload_population(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let bad_request = || WebError::BadRequest(FormLanguage::En);
    let mut pairs = Vec::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| bad_request())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "population" {
            let file_name = field.file_name().unwrap_or("population.csv").to_owned();
            let bytes = field.bytes().await.map_err(|_| bad_request())?;
            upload = Some((file_name, bytes.to_vec()));
        } else {
            let value = field.text().await.map_err(|_| bad_request())?;
            pairs.push((name, value));
        }
    }
    visitor.check_csrf(&state, &pairs)?;
    let Some((file_name, bytes)) = upload.filter(|(_, bytes)| !bytes.is_empty()) else {
        let problem = ImportSummary {
            file: String::new(),
            rows: 0,
            imported: 0,
            replaced: 0,
            rejected: 0,
            problems: vec!["choose a CSV file with the columns region, year, vet_learners (and optionally ivet_graduates)".to_owned()],
        };
        return reports_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Value::from(Serde(problem)),
        )
        .await;
    };
    let (status, summary) =
        match import_population_csv(&state.store, &file_name, &bytes, state.now()).await {
            Ok(report) => (
                if report.rejected > 0 {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                },
                ImportSummary {
                    file: file_name,
                    rows: report.rows,
                    imported: report.imported,
                    replaced: report.updated,
                    rejected: report.rejected,
                    problems: report.errors.iter().map(ToString::to_string).collect(),
                },
            ),
            Err(ImportError::Store(error)) => return Err(error.into()),
            Err(error) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ImportSummary {
                    file: file_name,
                    rows: 0,
                    imported: 0,
                    replaced: 0,
                    rejected: 0,
                    problems: vec![error.to_string()],
                },
            ),
        };
    reports_page(&state, &visitor, status, Value::from(Serde(summary))).await
}
