//! `regmap.toml` as typed data, and the checks a map must pass before anything is generated.
//! Every table and key is named here; serde rejects any other (`deny_unknown_fields`), so a
//! typo in the toml is a build error naming the key and its line.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegMap {
    pub device: Device,
    pub reg: Vec<Reg>,
    pub opcode: EnumTable,
    pub reason_code: EnumTable,
    pub counter_space: EnumTable,
    pub global_counter: EnumTable,
    pub verdict: EnumTable,
    pub kind: EnumTable,
    pub slow_reason: EnumTable,
    pub interest_mode: EnumTable,
    pub parse_reason: EnumTable,
    pub rxq_reg: EnumTable,
    pub nic_reg: EnumTable,
    pub irq_field: EnumTable,
    pub action: Layout,
    pub meta: Layout,
    pub ports: Layout,
    pub tcp_flags: Layout,
    pub cmpl0: Layout,
    pub cmpl1: Layout,
    pub key: BTreeMap<String, KeyWord>,
    pub hash: Hash,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub magic: u32,
    pub version_major: u32,
    pub version_minor: u32,
    pub version2_major: u32,
    pub version2_minor: u32,
    pub pci_vendor: u32,
    pub pci_device: u32,
    pub bar0_size: u32,
    pub latency: u32,
    pub key_words: u32,
    pub prio_bits: u32,
    pub nic_base: u32,
    pub rxq_base: u32,
    pub rxq_stride: u32,
    pub irq_base: u32,
    pub irq_stride: u32,
}

impl Device {
    /// Every constant in name order, the order the generated files list them.
    pub fn constants(&self) -> [(&'static str, u32); 16] {
        [
            ("bar0_size", self.bar0_size),
            ("irq_base", self.irq_base),
            ("irq_stride", self.irq_stride),
            ("key_words", self.key_words),
            ("latency", self.latency),
            ("magic", self.magic),
            ("nic_base", self.nic_base),
            ("pci_device", self.pci_device),
            ("pci_vendor", self.pci_vendor),
            ("prio_bits", self.prio_bits),
            ("rxq_base", self.rxq_base),
            ("rxq_stride", self.rxq_stride),
            ("version_major", self.version_major),
            ("version_minor", self.version_minor),
            ("version2_major", self.version2_major),
            ("version2_minor", self.version2_minor),
        ]
    }
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Ro,
    Rw,
    Wo,
    Cmd,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Ro => "ro",
            Access::Rw => "rw",
            Access::Wo => "wo",
            Access::Cmd => "cmd",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reg {
    pub name: String,
    pub offset: u32,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default = "four")]
    pub stride: u32,
    pub access: Access,
    pub doc: String,
    #[serde(default)]
    pub fields: Vec<RegField>,
    /// A layout table the whole register holds (instead of `fields`).
    pub layout: Option<String>,
}

fn one() -> u32 {
    1
}

fn four() -> u32 {
    4
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegField {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
    #[serde(default)]
    pub doc: String,
    /// The enum table whose values this field takes.
    #[serde(rename = "enum")]
    pub values: Option<String>,
}

/// A word layout that is not one register's: field name → field.
pub type Layout = BTreeMap<String, LayoutField>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutField {
    pub lsb: u32,
    pub width: u32,
    #[serde(default)]
    pub doc: String,
    #[serde(rename = "enum")]
    pub values: Option<String>,
}

/// An enumeration: value name → value.
pub type EnumTable = BTreeMap<String, EnumValue>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: u8,
    #[serde(default)]
    pub doc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyWord {
    pub word: u32,
    #[serde(default)]
    pub doc: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hash {
    #[serde(rename = "ROTATE")]
    pub rotate: u32,
    #[serde(rename = "MUL1")]
    pub mul1: u32,
    #[serde(rename = "MUL2")]
    pub mul2: u32,
    #[serde(rename = "ROTATE2")]
    pub rotate2: u32,
}

impl Hash {
    /// Every constant in name order, the order the generated files list them.
    pub fn constants(&self) -> [(&'static str, u32); 4] {
        [
            ("MUL1", self.mul1),
            ("MUL2", self.mul2),
            ("ROTATE", self.rotate),
            ("ROTATE2", self.rotate2),
        ]
    }
}

/// A field of a word, whether a register's or a layout's.
pub struct Field {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
    pub doc: String,
    /// The enum table the field takes its values from.
    pub values: Option<String>,
}

/// One hardware word with fields: a register's own, or a layout table.
pub struct Word<'a> {
    /// The name in error messages and docs: the register's, or the layout's in capitals.
    pub name: String,
    /// The Rust type in `gufc_regmap::word`.
    pub rust: String,
    pub doc: String,
    pub fields: Vec<Field>,
    /// The register that holds this word, if one does.
    pub register: Option<&'a Reg>,
    /// The layout table, for a layout.
    pub layout: Option<&'static str>,
}

/// `SNAKE_CASE` → `CamelCase`.
pub fn camel(name: &str) -> String {
    name.split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

impl RegMap {
    /// The packet path's register windows (docs/nic.md): the NIC block (256 bytes, a word per
    /// `nic_reg` value), then 32 receive queues and 32 interrupt vectors, in order, inside BAR0.
    fn check_windows(&self) -> Result<(), String> {
        let d = &self.device;
        let fits = |t: &EnumTable, stride: u32| t.values().all(|v| 4 * u32::from(v.value) < stride);
        let windows = [
            ("nic_base", d.nic_base, 0x100),
            ("rxq_base", d.rxq_base, 32 * d.rxq_stride),
            ("irq_base", d.irq_base, 32 * d.irq_stride),
            ("bar0_size", d.bar0_size, 0),
        ];
        for w in windows.windows(2) {
            if w[0].1 % 4 != 0 || w[0].1 + w[0].2 > w[1].1 {
                return Err(format!(
                    "[device]: {} + {:#x} reaches past {}",
                    w[0].0, w[0].2, w[1].0
                ));
            }
        }
        if !fits(&self.nic_reg, 0x100)
            || !fits(&self.rxq_reg, d.rxq_stride)
            || !fits(&self.irq_field, d.irq_stride)
        {
            return Err(
                "[device]: a [nic_reg], [rxq_reg] or [irq_field] word lies past its block's stride"
                    .into(),
            );
        }
        Ok(())
    }

    /// `(table, Rust type, values)` of every enumeration, in the order the files list them.
    pub fn enums(&self) -> [(&'static str, &'static str, &EnumTable); 12] {
        [
            ("opcode", "Opcode", &self.opcode),
            ("reason_code", "ReasonCode", &self.reason_code),
            ("counter_space", "CounterSpace", &self.counter_space),
            ("global_counter", "GlobalCounter", &self.global_counter),
            ("verdict", "Verdict", &self.verdict),
            ("kind", "HitKind", &self.kind),
            ("slow_reason", "SlowReason", &self.slow_reason),
            ("interest_mode", "InterestMode", &self.interest_mode),
            ("parse_reason", "ParseReason", &self.parse_reason),
            ("rxq_reg", "RxqReg", &self.rxq_reg),
            ("nic_reg", "NicReg", &self.nic_reg),
            ("irq_field", "IrqField", &self.irq_field),
        ]
    }

    /// `(table, Rust type, fields)` of every layout, in the order the files list them.
    pub fn layouts(&self) -> [(&'static str, &'static str, &Layout); 6] {
        [
            ("action", "Action", &self.action),
            ("meta", "Meta", &self.meta),
            ("ports", "Ports", &self.ports),
            ("tcp_flags", "TcpFlags", &self.tcp_flags),
            ("cmpl0", "Cmpl0", &self.cmpl0),
            ("cmpl1", "Cmpl1", &self.cmpl1),
        ]
    }

    /// The enum table `name`, with its Rust type.
    pub fn enum_table(&self, name: &str) -> Option<(&'static str, &EnumTable)> {
        self.enums()
            .into_iter()
            .find(|e| e.0 == name)
            .map(|e| (e.1, e.2))
    }

    /// `(name, word, doc)` of every key word, in word order.
    pub fn key_words(&self) -> Vec<(&str, u32, &str)> {
        let mut out: Vec<_> = self
            .key
            .iter()
            .map(|(n, k)| (n.as_str(), k.word, k.doc.as_str()))
            .collect();
        out.sort_by_key(|w| w.1);
        out
    }

    /// Every word with fields: the registers with their own fields, then the layouts.
    pub fn words(&self) -> Vec<Word<'_>> {
        let mut out: Vec<Word> = self
            .reg
            .iter()
            .filter(|r| !r.fields.is_empty())
            .map(|r| Word {
                name: r.name.clone(),
                rust: camel(&r.name),
                doc: r.doc.clone(),
                fields: r
                    .fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.clone(),
                        lsb: f.lsb,
                        width: f.width,
                        doc: f.doc.clone(),
                        values: f.values.clone(),
                    })
                    .collect(),
                register: Some(r),
                layout: None,
            })
            .collect();
        for (table, rust, layout) in self.layouts() {
            out.push(Word {
                name: table.to_uppercase(),
                rust: rust.to_string(),
                doc: format!("The `{table}` word layout."),
                fields: layout_fields(layout),
                register: self.reg.iter().find(|r| r.layout.as_deref() == Some(table)),
                layout: Some(table),
            });
        }
        out
    }

    /// Checks what serde cannot: registers inside BAR0 without overlaps, fields inside their
    /// word without overlaps, links to enum and layout tables that exist and fit.
    pub fn check(&self) -> Result<(), String> {
        let mut used = BTreeMap::new();
        for r in &self.reg {
            if r.offset % 4 != 0 || r.stride % 4 != 0 || r.count == 0 {
                return Err(format!(
                    "{}: offset, stride or count is not a whole word",
                    r.name
                ));
            }
            for i in 0..r.count {
                let off = r.offset + i * r.stride;
                if off + 4 > self.device.nic_base {
                    return Err(format!(
                        "{} at {off:#x} is not below nic_base (the classifier's registers)",
                        r.name
                    ));
                }
                if let Some(other) = used.insert(off, &r.name) {
                    return Err(format!("{} overlaps {other} at {off:#x}", r.name));
                }
            }
            if let Some(l) = &r.layout {
                if !self.layouts().iter().any(|t| t.0 == l) {
                    return Err(format!("{}: layout `{l}` is not a layout table", r.name));
                }
                if !r.fields.is_empty() {
                    return Err(format!("{}: has both fields and layout `{l}`", r.name));
                }
            }
        }
        self.check_windows()?;
        let mut layout_users = BTreeSet::new();
        for r in self.reg.iter().filter_map(|r| r.layout.as_ref()) {
            if !layout_users.insert(r) {
                return Err(format!("layout `{r}` is held by two registers"));
            }
        }
        for w in self.words() {
            self.check_word(&w)?;
        }
        for (table, _, values) in self.enums() {
            let mut seen = BTreeMap::new();
            for (n, v) in values {
                if let Some(other) = seen.insert(v.value, n) {
                    return Err(format!(
                        "[{table}]: {n} and {other} share value {}",
                        v.value
                    ));
                }
            }
            if values.is_empty() {
                return Err(format!("[{table}] is empty"));
            }
        }
        let words: Vec<u32> = self.key_words().iter().map(|k| k.1).collect();
        if words != (0..self.device.key_words).collect::<Vec<_>>() {
            return Err(format!(
                "[key]: words {words:?} are not 0..{} each once",
                self.device.key_words
            ));
        }
        Ok(())
    }

    fn check_word(&self, w: &Word) -> Result<(), String> {
        let mut covered = 0u64;
        let mut names = BTreeSet::new();
        for f in &w.fields {
            let at = format!("{}.{}", w.name, f.name);
            if f.width == 0 || f.lsb + f.width > 32 {
                return Err(format!(
                    "{at}: bits {}+{} are not inside 32",
                    f.lsb, f.width
                ));
            }
            let bits = ((1u64 << f.width) - 1) << f.lsb;
            if covered & bits != 0 {
                return Err(format!("{at} overlaps another field"));
            }
            covered |= bits;
            if !names.insert(&f.name) || ["NAME", "RESERVED"].contains(&f.name.as_str()) {
                return Err(format!("{at}: the name is taken"));
            }
            if let Some(t) = &f.values {
                let (_, values) = self
                    .enum_table(t)
                    .ok_or_else(|| format!("{at}: enum `{t}` is not an enum table"))?;
                if let Some((n, v)) = values.iter().find(|v| (v.1.value as u64) >> f.width != 0) {
                    return Err(format!(
                        "{at}: [{t}] {n} = {} does not fit {} bits",
                        v.value, f.width
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The fields of a layout, in bit order.
pub fn layout_fields(l: &Layout) -> Vec<Field> {
    let mut out: Vec<Field> = l
        .iter()
        .map(|(name, f)| Field {
            name: name.clone(),
            lsb: f.lsb,
            width: f.width,
            doc: f.doc.clone(),
            values: f.values.clone(),
        })
        .collect();
    out.sort_by_key(|f| f.lsb);
    out
}

/// `(name, value, doc)` rows of an enum table, in value order.
pub fn enum_rows(t: &EnumTable) -> Vec<(&str, u8, &str)> {
    let mut out: Vec<_> = t
        .iter()
        .map(|(n, v)| (n.as_str(), v.value, v.doc.as_str()))
        .collect();
    out.sort_by_key(|r| r.1);
    out
}
