//! Where inbound messages come from on disk: `.eml` files, Maildir folders (`new/` and
//! `cur/`), mbox files, and standard input. Paths are listed first and each message is
//! read only when its turn comes, so a folder of any size is ingested in little memory.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One message to read: a file holding one message, an mbox file holding many, or stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageSource {
    File(PathBuf),
    Mbox(PathBuf),
    Stdin,
}

/// A message's bytes and the name it is reported under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    pub source: String,
    pub bytes: Vec<u8>,
}

/// The messages named by command-line arguments: `-` is stdin, a folder is a Maildir
/// (its `new/` and `cur/`, or the `.eml` files in it), a file starting with an mbox
/// `From ` line is an mbox, any other file is one message.
pub fn list_sources(arguments: &[String]) -> io::Result<Vec<MessageSource>> {
    let mut sources = Vec::new();
    for argument in arguments {
        if argument == "-" {
            sources.push(MessageSource::Stdin);
            continue;
        }
        let path = PathBuf::from(argument);
        if path.is_dir() {
            sources.extend(folder_messages(&path)?.into_iter().map(MessageSource::File));
        } else if is_mbox(&path) {
            sources.push(MessageSource::Mbox(path));
        } else {
            sources.push(MessageSource::File(path));
        }
    }
    Ok(sources)
}

/// The files of a Maildir's `new/` (and `cur/` when `include_cur`), sorted by name,
/// which begins with the delivery time.
pub fn maildir_messages(maildir: &Path, include_cur: bool) -> io::Result<Vec<PathBuf>> {
    let mut files = sorted_files(&maildir.join("new"))?;
    if include_cur {
        files.extend(sorted_files(&maildir.join("cur"))?);
    }
    Ok(files)
}

/// Marks a Maildir message as seen: moved from `new/` to `cur/` with the `S` flag.
pub fn mark_seen(message: &Path) -> io::Result<()> {
    let name = message
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| io::Error::other(format!("{} has no file name", message.display())))?;
    let maildir = message
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| io::Error::other(format!("{} is not in a Maildir", message.display())))?;
    let base = name.split(":2,").next().unwrap_or(name);
    std::fs::rename(message, maildir.join("cur").join(format!("{base}:2,S")))
}

/// Reads the messages of one source: one for a file or stdin, every message of an mbox.
pub fn read_source(source: &MessageSource) -> io::Result<Vec<RawMessage>> {
    match source {
        MessageSource::File(path) => Ok(vec![RawMessage {
            source: path.display().to_string(),
            bytes: std::fs::read(path)?,
        }]),
        MessageSource::Stdin => {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes)?;
            Ok(vec![RawMessage {
                source: "-".to_owned(),
                bytes,
            }])
        }
        MessageSource::Mbox(path) => {
            let bytes = std::fs::read(path)?;
            Ok(split_mbox(&bytes)
                .into_iter()
                .enumerate()
                .map(|(index, bytes)| RawMessage {
                    source: format!("{}#{}", path.display(), index + 1),
                    bytes,
                })
                .collect())
        }
    }
}

/// Splits an mbox into messages at lines starting with `From `, and undoes the quoting
/// of body lines that started with `From ` (`>From `, `>>From `, … lose one `>`).
pub fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|byte| *byte == b'\n') {
        if line.starts_with(b"From ") {
            messages.push(Vec::new());
            continue;
        }
        let Some(message) = messages.last_mut() else {
            continue;
        };
        let quote_depth = line.iter().take_while(|byte| **byte == b'>').count();
        if quote_depth > 0 && line[quote_depth..].starts_with(b"From ") {
            message.extend_from_slice(&line[1..]);
        } else {
            message.extend_from_slice(line);
        }
    }
    for message in &mut messages {
        // The blank line before the next "From " belongs to the mbox, not the message.
        if message.ends_with(b"\n\n") {
            message.pop();
        }
    }
    messages
}

fn folder_messages(folder: &Path) -> io::Result<Vec<PathBuf>> {
    if folder.join("new").is_dir() || folder.join("cur").is_dir() {
        return maildir_messages(folder, true);
    }
    Ok(sorted_files(folder)?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .collect())
}

fn sorted_files(folder: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Whether the file starts like an mbox. A file that cannot be opened is not, and its
/// error shows when it is read as a single message.
fn is_mbox(path: &Path) -> bool {
    let mut start = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| &start == b"From ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mbox_splits_at_from_lines_and_unquotes_bodies() {
        let mbox = b"From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From here\n\nFrom c@d Mon Jan 1 00:00:01 2024\nSubject: two\n\nbody\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0], b"Subject: one\n\nFrom here\n".to_vec());
        assert_eq!(messages[1], b"Subject: two\n\nbody\n".to_vec());
    }
}
