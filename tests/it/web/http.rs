//! A small HTTP/1.1 client over a plain TCP connection, enough to drive the web server
//! as a browser does (cookies kept between requests) and to see every header and byte it
//! answers, without a client library deciding anything for the test.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM_TYPE: &str = "application/x-www-form-urlencoded";

pub struct Client {
    address: SocketAddr,
    cookies: BTreeMap<String, String>,
    accept_language: Option<String>,
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location in the answer {} {}", self.status, self.body))
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in:\n{}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').expect("the value ends");
        self.body[start..end].to_owned()
    }
}

impl Client {
    pub fn new(address: SocketAddr) -> Client {
        Client {
            address,
            cookies: BTreeMap::new(),
            accept_language: None,
        }
    }

    pub fn with_accept_language(mut self, header: &str) -> Client {
        self.accept_language = Some(header.to_owned());
        self
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    pub fn forget_cookies(&mut self) {
        self.cookies.clear();
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None).await
    }

    /// Posts `pairs` as a URL-encoded form, exactly as given (no CSRF token added).
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let body: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
            .collect();
        let body = (FORM_TYPE.to_owned(), body.join("&"));
        self.send("POST", path, Some(body)).await
    }

    /// Posts `fields` and one file as `multipart/form-data`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &str),
    ) -> Answer {
        const BOUNDARY: &str = "mobmatch-test-boundary";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        let (name, file_name, content) = file;
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
        ));
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send("POST", path, Some((content_type, body))).await
    }

    /// Reads the CSRF token from `form_page`, then posts `pairs` with it to `path`.
    pub async fn post_form(
        &mut self,
        form_page: &str,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> Answer {
        let token = self.get(form_page).await.csrf_token();
        let mut with_token = vec![("csrf", token.as_str())];
        with_token.extend_from_slice(pairs);
        self.post(path, &with_token).await
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<(String, String)>) -> Answer {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        if let Some(language) = &self.accept_language {
            request.push_str(&format!("Accept-Language: {language}\r\n"));
        }
        if let Some((content_type, body)) = &body {
            request.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        if let Some((_, body)) = &body {
            request.push_str(body);
        }
        let mut stream = TcpStream::connect(self.address)
            .await
            .expect("the server accepts");
        // A refused body may not be read to its end; the answer tells what happened.
        let _ = stream.write_all(request.as_bytes()).await;
        // The server may close the connection right after answering a request it refused
        // early (a body over the limit); what arrived before that is the answer.
        let mut raw = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(read) = stream.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            raw.extend_from_slice(&buffer[..read]);
        }
        let answer = parse_answer(&raw);
        for (name, value) in &answer.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((cookie, content)) = pair.split_once('=') {
                    if value.contains("Max-Age=0") {
                        self.cookies.remove(cookie);
                    } else {
                        self.cookies.insert(cookie.to_owned(), content.to_owned());
                    }
                }
            }
        }
        answer
    }
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("an HTTP answer has a blank line after its headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")
    });
    if chunked {
        body = unchunk(&body);
    }
    Answer {
        status,
        headers,
        body: String::from_utf8(body).expect("pages are UTF-8"),
    }
}

fn unchunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked
            .windows(2)
            .position(|window| window == b"\r\n")
            .expect("a chunk size line");
        let size_text = String::from_utf8_lossy(&chunked[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("a hexadecimal chunk size");
        if size == 0 {
            return body;
        }
        let start = line_end + 2;
        body.extend_from_slice(&chunked[start..start + size]);
        chunked = &chunked[start + size + 2..];
    }
}

fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}
