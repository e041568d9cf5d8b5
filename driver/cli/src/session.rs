//! One device for a whole run: a single command, or every line of a batch file. The session
//! opens the device once, keeps it, and remembers which source line each TCAM entry it
//! committed came from, so `probe` and `trace` can name the winning rule by file:line.
//!
//! Everything a command asks to write (rule files, local prefixes) is read and checked first,
//! against the device's capabilities, before the first register write.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use gufc::backend::Bar;
use gufc::device::{CommitReport, Device};
use gufc::rules::{Loaded, Loc, RuleStage};
use gufc_regmap::Action;

use crate::error::CliError;
use crate::open::Setup;
use crate::Target;

/// Where a committed TCAM entry came from.
#[derive(Clone, Debug)]
pub struct RuleOrigin {
    /// The rule's place, `file:line:column`.
    pub loc: Loc,
    /// The rule in canonical text.
    pub rule: String,
}

/// Which source line each TCAM index holds; `None` when unknown (rules written by another
/// process on a device this one did not reset).
pub type Origins = Option<BTreeMap<u32, RuleOrigin>>;

/// A local prefix to write, and where it was given (for messages).
#[derive(Clone, Debug)]
pub struct LocalSpec {
    /// The prefix's address, host bits clear.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
    /// `--local '…'` or the rule file's `file:line:column`.
    pub origin: String,
}

/// A [`Setup`] read and parsed: nothing touched the device yet.
#[derive(Default)]
pub struct Prepared {
    /// The rule file, compiled.
    pub rules: Option<Loaded>,
    /// Local prefixes: the rule file's `local` lines, then `--local`s.
    pub locals: Vec<LocalSpec>,
}

impl Prepared {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.rules.is_none() && self.locals.is_empty()
    }
}

/// The example rule files, compiled into the binary so `demo` works from any directory.
pub const EXAMPLES: &[(&str, &str)] = &[(
    "examples/host-firewall.rules",
    include_str!("../../../examples/host-firewall.rules"),
)];

/// Parses `ADDR[/LEN]` given as `arg`; refuses host bits set past the prefix, as the rule
/// parser does, naming the argument.
pub fn parse_local(text: &str, arg: &str) -> Result<(IpAddr, u8), CliError> {
    let p = gufc::rules::text::parse_cidr(text)
        .map_err(|e| CliError::usage(format!("{arg} '{text}': {e}")))?;
    Ok((p.addr(), p.prefix_len()))
}

/// The rule stage `caps` describe, for the compiler: RTL 2.0 matches its low `FLAG_BITS` TCP
/// flags, 1.x none (a flagged rule is refused at its line).
pub fn rule_target(caps: &gufc::device::Caps) -> RuleStage {
    match caps.rules {
        Some(r) => RuleStage::Rtl2 {
            flag_bits: r.flag_bits.min(8) as u8,
        },
        None => RuleStage::Rtl1,
    }
}

/// Reads, parses and compiles a rule file for `target` (see [`rule_target`]); warnings go to
/// stderr.
pub fn load_rules(path: &Path, setup: &Setup, target: RuleStage) -> Result<Loaded, CliError> {
    let opts = gufc::rules::LoadOptions {
        strict: setup.strict,
        drop_unmatchable_flags: setup.drop_unmatchable_flags,
    };
    let loaded = gufc::rules::load_file_with(path, setup.format.map(Into::into), opts, target)?;
    for w in &loaded.set.warnings {
        crate::progress::warn(w);
    }
    Ok(loaded)
}

/// Compiles a built-in example by name (as listed in [`EXAMPLES`]).
pub fn load_example(name: &str) -> Result<Loaded, CliError> {
    let (_, text) = EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| CliError::usage(format!("no built-in example {name}")))?;
    let set = gufc::rules::text::parse(name, text)?;
    let compiled = gufc::rules::compile(&set).map_err(gufc::rules::RuleErrors::from)?;
    Ok(Loaded { set, compiled })
}

/// Reads everything `setup` names (rule file compiled for `target`, `--local`s), checking all
/// of it.
pub fn prepare(setup: &Setup, target: RuleStage) -> Result<Prepared, CliError> {
    let rules = match &setup.load {
        Some(p) => Some(load_rules(p, setup, target)?),
        None => None,
    };
    prepare_loaded(rules, setup)
}

/// [`prepare`] with the rules already loaded (a command's own file, or a built-in example).
pub fn prepare_loaded(rules: Option<Loaded>, setup: &Setup) -> Result<Prepared, CliError> {
    let mut locals = Vec::new();
    if let Some(l) = &rules {
        for lp in &l.set.locals {
            locals.push(LocalSpec {
                addr: lp.prefix.addr(),
                len: lp.prefix.prefix_len(),
                origin: lp.loc.to_string(),
            });
        }
    }
    for s in &setup.locals {
        let (addr, len) = parse_local(s, "--local")?;
        locals.push(LocalSpec {
            addr,
            len,
            origin: format!("--local '{s}'"),
        });
    }
    Ok(Prepared { rules, locals })
}

/// Checks `p` against what the device can hold, naming the rule's file:line:column. Reads
/// nothing but the capabilities read at open.
pub fn check<B: Bar>(dev: &Device<B>, p: &Prepared) -> Result<(), CliError> {
    let caps = dev.caps();
    let mut distinct: Vec<(IpAddr, u8)> = p.locals.iter().map(|l| (l.addr, l.len)).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > caps.local_entries as usize {
        return Err(CliError::usage(format!(
            "{} local prefixes given, the device's locality table has {} entries",
            distinct.len(),
            caps.local_entries
        )));
    }
    let Some(l) = &p.rules else { return Ok(()) };
    for (i, e) in l.compiled.entries.iter().enumerate() {
        let loc = &l.compiled.sources[i].loc;
        if let Action::Deliver { channel } = e.action {
            if channel as u32 >= caps.channels {
                return Err(CliError::input_at(
                    loc,
                    format!(
                        "channel {channel} is out of range: the device has {} channels (0..={})",
                        caps.channels,
                        caps.channels - 1
                    ),
                ));
            }
        }
        dev.validate(e).map_err(|m| {
            CliError::input_at(loc, format!("the device cannot hold this rule: {m}"))
        })?;
    }
    if l.compiled.len() > caps.tcam_entries as usize {
        return Err(CliError::usage(format!(
            "the rules need {} TCAM entries, the device has {} (raise --tcam-entries)",
            l.compiled.len(),
            caps.tcam_entries
        )));
    }
    Ok(())
}

/// Writes `p` (already [`check`]ed): local prefixes, then the rules in one commit; records
/// where each committed entry came from in `origins`.
pub fn apply<B: Bar>(
    dev: &mut Device<B>,
    p: &Prepared,
    origins: &mut Origins,
) -> Result<Option<CommitReport>, CliError> {
    if !p.locals.is_empty() {
        for l in &p.locals {
            crate::progress::note(format!("local {}/{} (from {})", l.addr, l.len, l.origin));
        }
        if dev.locals().is_ok() {
            for l in &p.locals {
                dev.local_add(l.addr, l.len)?;
            }
        } else {
            let all: Vec<(IpAddr, u8)> = p.locals.iter().map(|l| (l.addr, l.len)).collect();
            dev.local_replace(&all)?;
        }
    }
    let Some(l) = &p.rules else { return Ok(None) };
    crate::progress::note(format!(
        "committing {} TCAM entries from {}",
        l.compiled.len(),
        l.set
            .rules
            .first()
            .map_or("an empty rule file".into(), |r| r.loc.file.to_string())
    ));
    let report = dev.replace_rules(&l.compiled.entries)?;
    let map = report
        .sources
        .iter()
        .zip(&report.placement)
        .map(|(&i, &index)| {
            let rule = &l.set.rules[l.compiled.rule_of(i)];
            (
                index,
                RuleOrigin {
                    loc: l.compiled.sources[i].loc.clone(),
                    rule: rule.to_string(),
                },
            )
        })
        .collect();
    *origins = Some(map);
    Ok(Some(report))
}

/// Opens a fresh device `open` builds, checks `p` against it, then resets it and writes `p`:
/// how the commands that need their own simulated device start.
pub fn fresh<B: Bar>(
    mut dev: Device<B>,
    p: &Prepared,
    origins: &mut Origins,
) -> Result<(Device<B>, Option<CommitReport>), CliError> {
    check(&dev, p)?;
    dev.reset()?;
    *origins = Some(BTreeMap::new());
    let report = apply(&mut dev, p, origins)?;
    Ok((dev, report))
}

/// The text naming where TCAM entry `index` came from.
pub fn origin_text(origins: &Origins, index: u32) -> String {
    match origins {
        Some(m) => match m.get(&index) {
            Some(o) => format!("{} ({})", o.loc, o.rule),
            None => "source unknown: not committed by this run".into(),
        },
        None => {
            "source unknown: the rules were loaded by another process (give --load FILE)".into()
        }
    }
}

/// The JSON of where TCAM entry `index` came from (`null` when unknown).
pub fn origin_json(origins: &Origins, index: u32) -> serde_json::Value {
    match origins.as_ref().and_then(|m| m.get(&index)) {
        Some(o) => serde_json::json!({
            "file": &*o.loc.file,
            "line": o.loc.line,
            "column": o.loc.column,
            "rule": o.rule,
        }),
        None => serde_json::Value::Null,
    }
}

/// The device and what this process knows about it, shared by every command of a run.
pub struct Session {
    /// Device options (`--device`, `--backend`, sizes, …).
    pub target: Target,
    /// `--json`.
    pub json: bool,
    dev: Option<Device<Box<dyn Bar>>>,
    pending_reset: bool,
    /// Where the committed TCAM entries came from.
    pub origins: Origins,
}

impl Session {
    /// A session that opens its device on first use.
    pub fn new(target: Target, json: bool) -> Session {
        Session {
            target,
            json,
            dev: None,
            pending_reset: false,
            origins: None,
        }
    }

    /// The device, opened (no writes yet) on first use.
    fn opened(&mut self) -> Result<&mut Device<Box<dyn Bar>>, CliError> {
        if self.dev.is_none() {
            self.dev = Some(self.target.open_unreset()?);
            // A simulated device starts from reset; hardware keeps its state.
            self.pending_reset = self.target.device.is_none();
        }
        Ok(self.dev.as_mut().expect("opened above"))
    }

    fn finish_reset(&mut self) -> Result<(), CliError> {
        if self.pending_reset {
            self.dev.as_mut().expect("opened").reset()?;
            self.pending_reset = false;
            self.origins = Some(BTreeMap::new());
        }
        Ok(())
    }

    /// The device, ready for commands.
    pub fn device(&mut self) -> Result<&mut Device<Box<dyn Bar>>, CliError> {
        self.opened()?;
        self.finish_reset()?;
        Ok(self.dev.as_mut().expect("opened"))
    }

    /// Reads and checks `setup`, then writes it into the device.
    pub fn setup(&mut self, setup: &Setup) -> Result<Option<CommitReport>, CliError> {
        let target = match setup.load {
            Some(_) => self.rule_target()?,
            None => RuleStage::Rtl1,
        };
        let p = prepare(setup, target)?;
        self.write(&p)
    }

    /// Checks `p` against the device, then writes it.
    pub fn write(&mut self, p: &Prepared) -> Result<Option<CommitReport>, CliError> {
        if p.is_empty() {
            return Ok(None);
        }
        check(self.opened()?, p)?;
        self.finish_reset()?;
        let dev = self.dev.as_mut().expect("opened");
        apply(dev, p, &mut self.origins)
    }

    /// What the device's rule stage matches, for compiling a rule file (opens it, no writes).
    pub fn rule_target(&mut self) -> Result<RuleStage, CliError> {
        Ok(rule_target(self.opened()?.caps()))
    }

    /// The device's capabilities (opening it without writing anything, for checks).
    pub fn caps(&mut self) -> Result<gufc::device::Caps, CliError> {
        Ok(self.opened()?.caps().clone())
    }

    /// Has a command of this run opened the device already?
    pub fn has_device(&self) -> bool {
        self.dev.is_some()
    }

    /// Forgets the device (e.g. after `selftest` reset it behind the session's back).
    pub fn take_device(&mut self) -> Result<Device<Box<dyn Bar>>, CliError> {
        self.device()?;
        self.origins = None;
        Ok(self.dev.take().expect("opened"))
    }
}
