//! `gufc list`, `gufc bind`, `gufc unbind`, and opening a PCI function's BAR0 for `--device`.

use std::io::Write;
use std::process::ExitCode;

use gufc::backend::{Bar, SysfsBar};
use gufc::pci::{self, human_size, PciAddr, PciDevice, SysfsRoot};

type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// List gufc NICs (or every PCI function) with driver, IOMMU group and BARs.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ListArgs {
    /// List every PCI function, not only those with gufc's vendor:device ID.
    #[arg(long)]
    pub all: bool,
}

/// Bind a device to vfio-pci (its current driver is remembered for `gufc unbind`).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct BindArgs {
    /// PCI address, e.g. 0000:01:00.0.
    #[arg(value_name = "PCI-ADDR")]
    pub addr: String,
}

/// Unbind a device from vfio-pci and give it back to its previous driver.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct UnbindArgs {
    /// PCI address, e.g. 0000:01:00.0.
    #[arg(value_name = "PCI-ADDR")]
    pub addr: String,
}

fn device_json(d: &PciDevice) -> serde_json::Value {
    serde_json::json!({
        "address": d.addr.to_string(),
        "vendor": format!("{:04x}", d.vendor),
        "device": format!("{:04x}", d.device),
        "class": format!("{:06x}", d.class),
        "gufc": d.is_gufc(),
        "driver": d.driver,
        "iommu_group": d.iommu_group,
        "bars": d.bars.iter().map(|b| serde_json::json!({
            "index": b.index, "start": b.start, "size": b.size,
            "io": b.io, "mem64": b.mem64, "prefetch": b.prefetch,
        })).collect::<Vec<_>>(),
    })
}

fn bars_text(d: &PciDevice) -> String {
    if d.bars.is_empty() {
        return "-".into();
    }
    let bars: Vec<String> = d
        .bars
        .iter()
        .map(|b| {
            let kind = if b.io {
                " io"
            } else if b.mem64 {
                " 64"
            } else {
                ""
            };
            format!("BAR{}={}{kind}", b.index, human_size(b.size))
        })
        .collect();
    bars.join(" ")
}

/// `gufc list [--all]`. Prints nothing but a note if no device matches (exit 0).
pub fn list(root: &SysfsRoot, args: &ListArgs, json: bool, out: &mut dyn Write) -> CliResult {
    let devs = pci::list_devices(root, args.all)?;
    if json {
        let v: Vec<_> = devs.iter().map(device_json).collect();
        let doc = crate::output::document("list", serde_json::json!({ "devices": v }));
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if devs.is_empty() {
        writeln!(
            out,
            "no gufc device ({:04x}:{:04x}) found; `gufc list --all` shows every PCI function",
            gufc_regmap::device::PCI_VENDOR,
            gufc_regmap::device::PCI_DEVICE
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<13} {:<9} {:<12} {:<6} BARS",
        "ADDRESS", "ID", "DRIVER", "GROUP"
    )?;
    for d in &devs {
        let group = d.iommu_group.map_or("-".to_string(), |g| g.to_string());
        writeln!(
            out,
            "{:<13} {:04x}:{:04x} {:<12} {:<6} {}",
            d.addr.to_string(),
            d.vendor,
            d.device,
            d.driver.as_deref().unwrap_or("-"),
            group,
            bars_text(d)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `gufc bind <addr>`; `force` (the global `--force`) accepts devices without gufc's IDs.
pub fn bind(
    root: &SysfsRoot,
    args: &BindArgs,
    force: bool,
    json: bool,
    out: &mut dyn Write,
) -> CliResult {
    let addr: PciAddr = args.addr.parse()?;
    let done = pci::bind_vfio(root, &addr, force)?;
    let viable = pci::check_group_viable(root, &addr);
    if json {
        let v = serde_json::json!({
            "address": addr.to_string(), "driver": pci::VFIO_PCI, "previous": done.previous,
            "already": done.already, "group_viable": viable.is_ok(),
            "group_error": viable.as_ref().err().map(|e| e.to_string()),
        });
        let doc = crate::output::document("bind", v);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        match (&done.previous, done.already) {
            (_, true) => writeln!(out, "{addr}: already bound to vfio-pci")?,
            (Some(p), false) => writeln!(out, "{addr}: unbound from {p}, bound to vfio-pci")?,
            (None, false) => writeln!(out, "{addr}: bound to vfio-pci")?,
        }
        if let Err(e) = &viable {
            writeln!(out, "warning: {e}")?;
        }
        if let Some(w) = &done.warning {
            writeln!(out, "warning: {w}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gufc unbind <addr>`.
pub fn unbind(root: &SysfsRoot, args: &UnbindArgs, json: bool, out: &mut dyn Write) -> CliResult {
    let addr: PciAddr = args.addr.parse()?;
    let done = pci::unbind(root, &addr)?;
    if json {
        let v = serde_json::json!({
            "address": addr.to_string(), "was_vfio": !done.was_not_vfio, "driver": done.now,
        });
        let doc = crate::output::document("unbind", v);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else if done.was_not_vfio {
        writeln!(
            out,
            "{addr}: not bound to vfio-pci ({}); nothing to do",
            done.now.as_deref().unwrap_or("no driver")
        )?;
    } else {
        writeln!(
            out,
            "{addr}: unbound from vfio-pci, now {}",
            done.now.as_deref().unwrap_or("no driver")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// BAR0 of the PCI function `addr` for `--device`: through VFIO, or sysfs `resource0` with
/// `sysfs` (no DMA isolation). `force` accepts devices without gufc's vendor:device ID.
pub fn hw_bar(
    root: &SysfsRoot,
    addr: &str,
    sysfs: bool,
    force: bool,
) -> Result<Box<dyn Bar>, Box<dyn std::error::Error>> {
    let addr: PciAddr = addr.parse()?;
    if sysfs {
        return Ok(Box::new(SysfsBar::open(root, &addr, force)?));
    }
    vfio_bar(root, &addr, force)
}

#[cfg(all(feature = "vfio", target_os = "linux"))]
fn vfio_bar(
    root: &SysfsRoot,
    addr: &PciAddr,
    force: bool,
) -> Result<Box<dyn Bar>, Box<dyn std::error::Error>> {
    Ok(Box::new(gufc::backend::VfioBar::open(root, addr, force)?))
}

#[cfg(not(all(feature = "vfio", target_os = "linux")))]
fn vfio_bar(
    _: &SysfsRoot,
    addr: &PciAddr,
    _: bool,
) -> Result<Box<dyn Bar>, Box<dyn std::error::Error>> {
    Err(format!("{addr}: this gufc has no VFIO backend (Linux with the `vfio` feature); --sysfs maps resource0 instead").into())
}
