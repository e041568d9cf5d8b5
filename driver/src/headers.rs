//! Packet-header trace files in the ClassBench layout: per line at least five decimal columns
//! `src dst sport dport proto` (IPv4 addresses as host-order u32); further columns (such as
//! the expected rule) are kept as `extra`. Errors name file:line:column.

use std::path::Path;

use gufc_regmap::Key;

/// One header of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub key: Key,
    /// 1-based line number in the file.
    pub line: u32,
    /// Columns after the fifth, unparsed.
    pub extra: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}:{line}:{column}: {msg}")]
    Parse { file: String, line: u32, column: u32, msg: String },
}

pub fn read_file(path: &Path) -> Result<Vec<Header>, TraceError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TraceError::Io { file: file.clone(), source })?;
    parse(&file, &text)
}

/// Parses trace text; blank lines are skipped.
pub fn parse(file: &str, text: &str) -> Result<Vec<Header>, TraceError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        let tokens: Vec<(usize, &str)> = tokens(line);
        if tokens.is_empty() {
            continue;
        }
        let err = |column: usize, msg: String| TraceError::Parse { file: file.into(), line: line_no, column: column as u32 + 1, msg };
        if tokens.len() < 5 {
            return Err(err(line.len(), format!("expected 5 columns (src dst sport dport proto), found {}", tokens.len())));
        }
        let num = |i: usize, what: &str, max: u64| -> Result<u64, TraceError> {
            let (col, t) = tokens[i];
            match t.parse::<u64>() {
                Ok(v) if v <= max => Ok(v),
                _ => Err(err(col, format!("{what} '{t}' is not a decimal number in 0..={max}"))),
            }
        };
        let src = num(0, "source address", u32::MAX as u64)? as u32;
        let dst = num(1, "destination address", u32::MAX as u64)? as u32;
        let sport = num(2, "source port", 65535)? as u16;
        let dport = num(3, "destination port", 65535)? as u16;
        let proto = num(4, "protocol", 255)? as u8;
        out.push(Header {
            key: Key::v4(src, dst, proto, sport, dport),
            line: line_no,
            extra: tokens[5..].iter().map(|t| t.1.to_string()).collect(),
        });
    }
    Ok(out)
}

/// Whitespace-separated tokens with their byte columns.
fn tokens(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_classbench_lines_and_keeps_extra_columns() {
        let h = parse("t", "1600753409 3271393328 65535 21 6 413\n\n").unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].key, Key::v4(1600753409, 3271393328, 6, 65535, 21));
        assert_eq!(h[0].extra, vec!["413"]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("t", "1 2 3 4 6\n1 2 70000 4 6\n").unwrap_err().to_string();
        assert_eq!(e, "t:2:5: source port '70000' is not a decimal number in 0..=65535");
        let e = parse("t", "1 2 3\n").unwrap_err().to_string();
        assert!(e.starts_with("t:1:6: expected 5 columns"), "{e}");
    }
}
