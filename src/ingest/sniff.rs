//! Sniffing a file's container before polars reads it: Parquet or delimited text, gzip or
//! not, the delimiter, and whether the first line is a header. Reads a few KiB, never the file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::schema::known_source_names;

/// How a file's bytes are laid out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Container {
    Parquet,
    Text {
        gzip: bool,
        separator: u8,
        /// Hive text: `\x01`-separated, no quoting, `\N` for null.
        quoted: bool,
        /// The column names: from the first line, or supplied with `--header-from`.
        header: Vec<String>,
        /// Whether the first line is the header (false when names were supplied).
        has_header: bool,
    },
}

impl Container {
    pub fn describe(&self) -> String {
        match self {
            Container::Parquet => "Parquet".to_string(),
            Container::Text {
                gzip,
                separator,
                has_header,
                ..
            } => {
                let sep = match separator {
                    b',' => "CSV".to_string(),
                    b'\t' => "tab-separated text".to_string(),
                    0x01 => "Hive text (\\x01-separated)".to_string(),
                    other => format!("text separated by {:?}", *other as char),
                };
                let gz = if *gzip { ", gzip" } else { "" };
                let header = if *has_header { "" } else { ", no header row" };
                format!("{sep}{gz}{header}")
            }
        }
    }
}

const PARQUET_MAGIC: &[u8] = b"PAR1";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// Sniffs `path`. `header_sets` are the column lists given with `--header-from`; one whose
/// length matches the field count is used when the file has no header row.
pub fn sniff(path: &Path, header_sets: &[Vec<String>]) -> Result<Container> {
    let mut magic = [0u8; 4];
    let n = read_prefix(path, &mut magic)?;
    if n == 0 {
        return Err(Error::Invalid(format!(
            "{}: the file is empty: no header and no rows",
            path.display()
        )));
    }
    if magic[..n].starts_with(PARQUET_MAGIC) {
        return Ok(Container::Parquet);
    }
    let gzip = magic[..n].starts_with(GZIP_MAGIC);
    let line = first_line(path, gzip)?;
    let separator = guess_separator(&line);
    let quoted = separator != 0x01;
    let fields = split_line(&line, separator, quoted);
    if looks_like_header(&fields) {
        return Ok(Container::Text {
            gzip,
            separator,
            quoted,
            header: fields,
            has_header: true,
        });
    }
    let header = header_sets
        .iter()
        .find(|h| h.len() == fields.len())
        .cloned()
        .ok_or_else(|| no_header(path, &fields, header_sets))?;
    Ok(Container::Text {
        gzip,
        separator,
        quoted,
        header,
        has_header: false,
    })
}

fn no_header(path: &Path, fields: &[String], header_sets: &[Vec<String>]) -> Error {
    if header_sets.is_empty() {
        let sample: Vec<&str> = fields.iter().take(3).map(String::as_str).collect();
        return Error::NoHeader {
            path: path.display().to_string(),
            fields: fields.len(),
            sample: sample.join("|"),
        };
    }
    let given: Vec<String> = header_sets.iter().map(|h| h.len().to_string()).collect();
    Error::HeaderMismatch {
        path: path.display().to_string(),
        given: given.join(" or "),
        fields: fields.len(),
    }
}

/// Reads the column names of a `--header-from` file: its first line, split on `\x01`, tab
/// or comma (gzip allowed).
pub fn read_header_file(path: &Path) -> Result<Vec<String>> {
    let mut magic = [0u8; 2];
    let n = read_prefix(path, &mut magic)?;
    let line = first_line(path, magic[..n].starts_with(GZIP_MAGIC))?;
    let separator = guess_separator(&line);
    let names = split_line(&line, separator, separator != 0x01);
    if !looks_like_header(&names) {
        return Err(Error::Invalid(format!(
            "{}: --header-from file's first line holds no known CUR column name",
            path.display()
        )));
    }
    Ok(names)
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> Result<usize> {
    let mut file = File::open(path).map_err(Error::io(path))?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).map_err(Error::io(path))? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The first line of the (possibly gzip) file, without its line ending; at most 1 MiB.
fn first_line(path: &Path, gzip: bool) -> Result<String> {
    let file = File::open(path).map_err(Error::io(path))?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut line = Vec::new();
    BufReader::new(reader.take(1 << 20))
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

fn guess_separator(line: &str) -> u8 {
    if line.contains('\x01') {
        return 0x01;
    }
    let count = |c| line.matches(c).count();
    if count('\t') > count(',') {
        b'\t'
    } else {
        b','
    }
}

/// Splits one line; `quoted` honours `"..."` fields with `""` escapes.
pub(crate) fn split_line(line: &str, separator: u8, quoted: bool) -> Vec<String> {
    let sep = separator as char;
    if !quoted {
        return line.split(sep).map(str::to_string).collect();
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            c if c == sep && !in_quotes => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A header line names at least one column curlens knows in some format.
fn looks_like_header(fields: &[String]) -> bool {
    fields.iter().any(|f| {
        let f = f.trim();
        known_source_names().any(|k| k.eq_ignore_ascii_case(f))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn csv_header_is_read() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(
            &path,
            "\u{feff}identity/LineItemId,\"lineItem/UnblendedCost\"\r\nx,1\n",
        )
        .unwrap();
        let Container::Text {
            header,
            separator,
            has_header,
            ..
        } = sniff(&path, &[])?
        else {
            panic!("text expected")
        };
        assert_eq!(header, ["identity/LineItemId", "lineItem/UnblendedCost"]);
        assert_eq!(separator, b',');
        assert!(has_header);
        Ok(())
    }

    #[test]
    fn headerless_hive_text_asks_for_header_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Step2CUR.gz");
        std::fs::write(&path, gz(b"abc\x012019-11-26 00:00:00\x011.5\n")).unwrap();
        let err = sniff(&path, &[]).unwrap_err().to_string();
        assert!(err.contains("3 fields"), "{err}");
        assert!(err.contains("--header-from"), "{err}");
    }

    #[test]
    fn headerless_hive_text_takes_the_matching_header() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Step2CUR.gz");
        std::fs::write(&path, gz(b"abc\x01\\N\x011.5\n")).unwrap();
        let two = vec!["a".to_string(), "b".to_string()];
        let three: Vec<String> = ["identity_line_item_id", "x", "line_item_unblended_cost"]
            .map(String::from)
            .to_vec();
        let c = sniff(&path, &[two, three.clone()])?;
        assert_eq!(
            c,
            Container::Text {
                gzip: true,
                separator: 1,
                quoted: false,
                header: three,
                has_header: false
            }
        );
        Ok(())
    }

    #[test]
    fn parquet_by_magic() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(&path, b"PAR1....").unwrap();
        assert_eq!(sniff(&path, &[])?, Container::Parquet);
        Ok(())
    }
}
