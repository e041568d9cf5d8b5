//! `gufc batch FILE` / `gufc -f FILE`: a script of commands run on one device in one process,
//! so rules loaded, prefixes set and flows added by one line are there for the next.
//!
//! One command per line with the command line's syntax (words split as a shell does: spaces,
//! `'…'`, `"…"`, backslash escapes), without the `gufc` in front; `#` starts a comment
//! outside quotes; blank lines are skipped. Global options (`--device`, `--json`, …) are
//! given on the command line, not in the file. The first failing line stops the run with
//! `FILE:LINE` in front of its message, unless `--keep-going`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser};

use crate::error::{status, CliError};
use crate::{progress, run_command, CliResult, Command, Session, Setup};

/// Options of `gufc batch`.
#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The script: one command per line (`-` reads standard input).
    pub file: PathBuf,
    /// Run every line even after one fails; the exit status is the first failure's.
    #[arg(long)]
    pub keep_going: bool,
}

impl Args {
    /// The options of `gufc -f FILE`.
    pub fn file(file: PathBuf) -> Args {
        Args {
            file,
            keep_going: false,
        }
    }
}

/// One line of a batch file: a command and its own `--load`/`--local`.
#[derive(Parser, Debug)]
#[command(name = "gufc", no_binary_name = true, disable_version_flag = true)]
struct Line {
    #[command(flatten)]
    setup: Setup,
    #[command(subcommand)]
    command: Command,
}

/// Splits a line into words as a shell does (no expansions): whitespace separates, `'…'`
/// keeps everything literally, `"…"` keeps everything but `\"` and `\\`, a backslash outside
/// quotes escapes the next character, `#` at the start of a word starts a comment.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '#' if cur.is_none() => break,
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') if matches!(chars.peek(), Some('"' | '\\')) => {
                            w.push(chars.next().expect("peeked"))
                        }
                        Some(c) => w.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => cur.get_or_insert_with(String::new).push(c),
                None => return Err("a backslash at the end of the line".into()),
            },
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    Ok(words)
}

/// Parses one line into its command; errors carry no location (the caller adds FILE:LINE).
fn parse_line(words: &[String]) -> Result<Line, CliError> {
    let line = Line::try_parse_from(words).map_err(|e| {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or_default();
        CliError::usage(first.strip_prefix("error: ").unwrap_or(first).to_string())
    })?;
    if matches!(line.command, Command::Batch(_)) {
        return Err(CliError::usage("batch files do not nest"));
    }
    Ok(line)
}

/// A batch file's line, parsed: `FILE:LINE`, the text, the command.
pub struct ParsedLine<'t> {
    at: String,
    raw: &'t str,
    line: Line,
}

/// Parses every line of the script `text` (named `name` in messages), skipping blank and
/// comment lines; the first bad line is an error starting with `name:LINE:`. Runs nothing.
pub fn parse<'t>(name: &str, text: &'t str) -> Result<Vec<ParsedLine<'t>>, CliError> {
    let mut parsed = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let at = format!("{name}:{}", i + 1);
        let words = split_words(raw).map_err(|e| CliError::usage(e).in_batch(&at))?;
        if words.is_empty() {
            continue;
        }
        let line = parse_line(&words).map_err(|e| e.in_batch(&at))?;
        parsed.push(ParsedLine { at, raw, line });
    }
    Ok(parsed)
}

/// Runs the script on the session's device: every line parsed first (a syntax error anywhere
/// stops the run before any line runs), then line by line.
pub fn run(sess: &mut Session, setup: &Setup, a: Args) -> CliResult {
    let name = crate::shown(&a.file);
    let text = if a.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&a.file).map_err(|e| CliError::usage(format!("{name}: {e}")))?
    };
    let parsed = parse(&name, &text)?;
    // The command line's setup first, as for a single command.
    sess.setup(setup)?;
    let mut first_failure: Option<CliError> = None;
    let mut worst = ExitCode::SUCCESS;
    for ParsedLine { at, raw, line } in parsed {
        if progress::verbose() {
            progress::warn(format!("{at}: {}", raw.trim()));
        }
        match run_command(sess, &line.setup, line.command) {
            Ok(code) => {
                if code != ExitCode::SUCCESS && worst == ExitCode::SUCCESS {
                    worst = code;
                }
            }
            Err(e) => {
                let e = e.in_batch(&at);
                if !a.keep_going {
                    return Err(e);
                }
                e.report(sess.json);
                first_failure.get_or_insert(e);
            }
        }
    }
    match first_failure {
        Some(e) => Ok(ExitCode::from(e.kind.status())),
        None => Ok(if worst == ExitCode::SUCCESS {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(status::NEGATIVE)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn words_split_as_a_shell_splits_them() {
        let w = |s: &str| split_words(s).unwrap();
        assert_eq!(
            w("probe tcp 1.2.3.4:5 6.7.8.9:10"),
            ["probe", "tcp", "1.2.3.4:5", "6.7.8.9:10"]
        );
        assert_eq!(
            w("  rules load 'my rules.txt'  # why"),
            ["rules", "load", "my rules.txt"]
        );
        assert_eq!(
            w(r#"a "b \"c\" d" e\ f g#h"#),
            ["a", r#"b "c" d"#, "e f", "g#h"]
        );
        assert_eq!(w("x ''"), ["x", ""]);
        assert!(w("# only a comment").is_empty());
        assert!(split_words("a 'open").is_err());
        assert!(split_words("a \"open").is_err());
        assert!(split_words("a \\").is_err());
    }
}
