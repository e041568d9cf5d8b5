//! How a command fails: a kind that fixes the exit status, a message, and where the bad input
//! was written when it was written somewhere (file:line:column, or the argument).

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use gufc::device::DeviceError;
use gufc::rules::{LoadError, RuleError, RuleErrors};

/// Exit statuses, documented in `gufc --help` and docs/cli.md. Stable across releases.
pub mod status {
    /// Success: the command did what was asked, the result is positive.
    pub const OK: u8 = 0;
    /// A negative result: `rules diff` found differences, `selftest` found a failure.
    pub const NEGATIVE: u8 = 1;
    /// Bad usage or bad input: arguments, rule files, captures, batch lines, values the device
    /// cannot hold. Nothing was written to the device.
    pub const INPUT: u8 = 2;
    /// The device failed: refused a command, timed out, reads all-ones, bus error, not found.
    pub const DEVICE: u8 = 3;
    /// Output closed early (e.g. piped into `head`): the status a shell gives SIGPIPE.
    pub const BROKEN_PIPE: u8 = 141;
}

/// What kind of failure, which fixes the exit status and the JSON `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bad arguments (status 2, code `usage`).
    Usage,
    /// Bad input files or values (status 2, code `input`).
    Input,
    /// The device failed (status 3, code `device`).
    Device,
    /// Standard output was closed early (status 141, nothing printed).
    BrokenPipe,
}

impl Kind {
    /// The exit status of this kind.
    pub fn status(self) -> u8 {
        match self {
            Kind::Usage | Kind::Input => status::INPUT,
            Kind::Device => status::DEVICE,
            Kind::BrokenPipe => status::BROKEN_PIPE,
        }
    }

    /// The JSON `code`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Input => "input",
            Kind::Device => "device",
            Kind::BrokenPipe => "broken_pipe",
        }
    }
}

/// A command's failure, printed as `gufc: error: …` (or one JSON object under `--json`).
#[derive(Debug)]
pub struct CliError {
    /// The kind, for the exit status.
    pub kind: Kind,
    /// The message, with the location in front when there is one.
    pub message: String,
    /// Where the bad input was written (`file:line:column`, `batch.gufc:3`, `--local`).
    pub location: Option<String>,
}

impl CliError {
    /// A usage error: the arguments are wrong.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Usage,
            message: message.into(),
            location: None,
        }
    }

    /// A device failure described by the CLI.
    pub fn device(message: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Device,
            message: message.into(),
            location: None,
        }
    }

    /// An input error at `location`.
    pub fn input_at(location: impl fmt::Display, message: impl fmt::Display) -> CliError {
        let location = location.to_string();
        CliError {
            kind: Kind::Input,
            message: format!("{location}: {message}"),
            location: Some(location),
        }
    }

    /// The error with advice after its message.
    pub fn with_hint(mut self, hint: &str) -> CliError {
        self.message = format!("{}; {hint}", self.message);
        self
    }

    /// The same error seen from a batch line: the line's place goes in front.
    pub fn in_batch(self, at: &str) -> CliError {
        CliError {
            kind: self.kind,
            message: format!("{at}: {}", self.message),
            location: Some(match self.location {
                Some(inner) if inner != at => format!("{at}: {inner}"),
                _ => at.to_string(),
            }),
        }
    }

    /// Prints the error on stderr (JSON under `--json`) and gives its exit status.
    pub fn report(&self, json: bool) -> ExitCode {
        if self.kind == Kind::BrokenPipe {
            // The reader went away (`gufc … | head`): end quietly, as SIGPIPE would.
        } else if json {
            let mut v = serde_json::json!({
                "schema": crate::output::SCHEMA,
                "code": self.kind.code(),
                "status": self.kind.status(),
                "message": self.message,
            });
            if let Some(l) = &self.location {
                v["location"] = l.clone().into();
            }
            let _ = writeln!(std::io::stderr(), "{v}");
        } else {
            // A closed stderr leaves nothing to tell; the status still says it.
            let _ = writeln!(std::io::stderr(), "gufc: error: {}", self.message);
        }
        ExitCode::from(self.kind.status())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

fn rule_error(e: &RuleError, all: String) -> CliError {
    CliError {
        kind: Kind::Input,
        message: all,
        location: Some(e.loc.to_string()),
    }
}

impl From<Box<dyn std::error::Error>> for CliError {
    /// Classifies the library's errors: device errors are `device`, rule errors carry their
    /// first location, the rest is bad input.
    fn from(e: Box<dyn std::error::Error>) -> CliError {
        let e = match e.downcast::<CliError>() {
            Ok(c) => return *c,
            Err(e) => e,
        };
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return CliError {
                    kind: Kind::BrokenPipe,
                    message: io.to_string(),
                    location: None,
                };
            }
        }
        if let Some(d) = e.downcast_ref::<DeviceError>() {
            return CliError {
                kind: Kind::Device,
                message: d.to_string(),
                location: None,
            };
        }
        if let Some(LoadError::Rules(r)) = e.downcast_ref::<LoadError>() {
            return rule_error(r.first(), r.to_string());
        }
        if let Some(r) = e.downcast_ref::<RuleErrors>() {
            return rule_error(r.first(), r.to_string());
        }
        if let Some(r) = e.downcast_ref::<RuleError>() {
            return rule_error(r, r.to_string());
        }
        #[cfg(target_os = "linux")]
        if let Some(v) = e.downcast_ref::<gufc::vfio_user::VfioUserError>() {
            return CliError {
                kind: Kind::Device,
                message: v.to_string(),
                location: None,
            };
        }
        if let Some(t) = e.downcast_ref::<gufc::device::TransactionError>() {
            return CliError {
                kind: Kind::Device,
                message: t.to_string(),
                location: None,
            };
        }
        CliError {
            kind: Kind::Input,
            message: format!("{e:#}"),
            location: None,
        }
    }
}

impl From<DeviceError> for CliError {
    fn from(e: DeviceError) -> CliError {
        CliError::from(Box::new(e) as Box<dyn std::error::Error>)
    }
}

impl From<String> for CliError {
    fn from(s: String) -> CliError {
        CliError {
            kind: Kind::Input,
            message: s,
            location: None,
        }
    }
}

impl From<&str> for CliError {
    fn from(s: &str) -> CliError {
        CliError::from(s.to_string())
    }
}

macro_rules! via_box {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> CliError {
                CliError::from(Box::new(e) as Box<dyn std::error::Error>)
            }
        }
    )*};
}
via_box!(
    LoadError,
    RuleErrors,
    RuleError,
    std::io::Error,
    serde_json::Error,
    gufc::device::TransactionError
);
