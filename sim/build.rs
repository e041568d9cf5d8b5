//! Verilates rtl/ once per built configuration and compiles the models, the Verilator runtime
//! and a C-ABI shim with the `cc` crate (Verilator 5.006's `--build` does not produce the runtime
//! library). Also writes `configs.rs`: the table of built configurations and their FFI symbols.
//!
//! Rebuilds are incremental by hand (the `cc` crate is not): the runtime archive is reused while
//! the Verilator version is unchanged, and each configuration's archive while its inputs (RTL
//! sources, shim, parameters, Verilator version and options) hash the same; both are kept in
//! `<target>/verilated/`, shared by every profile and feature set. `GUFC_RTL_CONFIGS=tiny,n256`
//! restricts the build to some configurations (default: all).

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The configurations Verilated into this crate. Verilog parameters are build-time, so each is
/// its own model (`--prefix Vgufc_<name>`). Fields: name, TCAM entries N, flow buckets B, ways W,
/// channels, locality entries L. Names starting `v2_` are RTL 2.0 (rtl/v2/gufc_top.v).
const CONFIGS: &[(&str, u32, u32, u32, u32, u32)] = &[
    // Small tables: many collisions, 3 ways (not a power of two), 3 channels.
    ("tiny", 16, 2, 3, 3, 2),
    // 256 channels (CAP_MISC.CHANNELS reads 0).
    ("n64", 64, 16, 2, 256, 4),
    // The conformance suite's small_config() (tests/src/lib.rs).
    ("small", 64, 4, 2, 8, 4),
    ("n256", 256, 64, 4, 16, 8),
    ("n1024", 1024, 256, 4, 16, 16),
    // Large enough for the ClassBench 1K rule sets, as the conformance suite runs them
    // (tests/tests/classbench.rs): `gufc --backend rtl --tcam-entries 2048 --flow-buckets 1024`.
    ("n2048", 2048, 1024, 8, 16, 16),
    // RTL 2.0: N a multiple of 64 (the bank), B and W powers of two.
    ("v2_small", 64, 16, 2, 8, 4),
    ("v2_n256", 256, 64, 4, 16, 8),
    // The ClassBench 1K sets as the 2.0 compiler lays them out (at most 960 entries) and the
    // simulation-speed benchmark at 1,024 entries.
    ("v2_n1024", 1024, 256, 4, 16, 8),
];

/// Verilator's options for every configuration. `--output-split-ctrace`: the waveform code of a
/// large 2.0 build is otherwise one C++ function (28 MB at N=1,024), which GCC takes ≈ 8 min over
/// even at -O0; split every 5,000 statements it takes ≈ 1.5 min.
const VERILATOR_ARGS: &[&str] = &[
    "--cc",
    "-Wall",
    "--trace",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "--output-split-ctrace",
    "5000",
];

/// How the generated C++ is compiled (see the -O0 split below); hashed into every archive's stamp.
const COMPILE_POLICY: &str = "-O2; __Trace__ and __Slow files -O0";

/// RTL 2.0's sources besides rtl/v2/*.v: the 1.x modules it reuses.
const V2_REUSED: &[&str] = &["gufc_decide.v", "gufc_locality.v"];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let rtl = manifest
        .join("../rtl")
        .canonicalize()
        .expect("rtl/ next to sim/");
    let csrc = manifest.join("csrc");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    // The archives are the same for every profile and feature set (fixed compiler options), so
    // they live beside the profiles, <target>/verilated/<config>-<stamp>, not in OUT_DIR: clippy,
    // the debug and the release test builds share one build of each configuration.
    let cache = out
        .ancestors()
        .nth(4)
        .expect("OUT_DIR is <target>/<profile>/build/<crate>/out")
        .join("verilated");
    println!("cargo:rerun-if-env-changed=GUFC_RTL_CONFIGS");

    let (root, version) = verilator();
    let include = root.join("include");

    let verilog = |dir: &Path| {
        let mut v: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "v"))
            .collect();
        v.sort();
        v
    };
    let sources = verilog(&rtl);
    let mut all_v2 = verilog(&rtl.join("v2"));
    all_v2.extend(V2_REUSED.iter().map(|f| rtl.join(f)));
    // Only what gufc_top instantiates, so that the packet path's blocks (tested on their own)
    // do not re-Verilate every 2.0 configuration when they change.
    let sources_v2 = instantiated(&rtl.join("v2/gufc_top.v"), &all_v2);
    println!("cargo:rerun-if-changed={}", rtl.join("v2").display());
    let header = rtl.join("gufc_regs.vh");
    let shim_files = [csrc.join("shim.inc"), csrc.join("gufc_io.h")];
    println!("cargo:rerun-if-changed={}", rtl.display());
    for f in sources
        .iter()
        .chain(&all_v2)
        .chain([&header])
        .chain(&shim_files)
    {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    // Everything a configuration's archive depends on, besides its parameters (per design).
    let inputs_of = |srcs: &[PathBuf]| {
        let mut h = DefaultHasher::new();
        version.hash(&mut h);
        VERILATOR_ARGS.hash(&mut h);
        COMPILE_POLICY.hash(&mut h);
        gufc_regmap::KEY_WORDS.hash(&mut h);
        for f in srcs.iter().chain([&header]).chain(&shim_files) {
            fs::read(f).unwrap().hash(&mut h);
        }
        h
    };
    let (inputs_v1, inputs_v2) = (inputs_of(&sources), inputs_of(&sources_v2));

    let wanted: Option<Vec<String>> = env::var("GUFC_RTL_CONFIGS").ok().map(|s| {
        s.split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    });
    let configs: Vec<_> = CONFIGS
        .iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.iter().any(|n| n == c.0)))
        .collect();
    assert!(
        !configs.is_empty(),
        "GUFC_RTL_CONFIGS selects none of {:?}",
        CONFIGS.iter().map(|c| c.0).collect::<Vec<_>>()
    );

    let key_words = gufc_regmap::KEY_WORDS.to_string();
    let base = || {
        let mut b = cc::Build::new();
        b.cpp(true)
            .std("c++17")
            .opt_level(2)
            .debug(false)
            .warnings(false)
            .cargo_metadata(false)
            .include(&include)
            .include(include.join("vltstd"))
            .include(&csrc)
            .define("VM_COVERAGE", "0")
            .define("VM_SC", "0")
            .define("VM_TRACE", "1")
            .define("VM_TRACE_VCD", "1")
            .define("VM_TRACE_FST", "0")
            .define("GUFC_KEY_WORDS", key_words.as_str())
            .flag_if_supported("-faligned-new")
            .flag_if_supported("-fno-strict-aliasing");
        b
    };

    let mut table = String::new();
    let mut externs = String::new();
    let mut libs = Vec::new();
    for &&(name, n, b, w, c, l) in &configs {
        let v2 = name.starts_with("v2_");
        let mut h = if v2 {
            inputs_v2.clone()
        } else {
            inputs_v1.clone()
        };
        (n, b, w, c, l).hash(&mut h);
        let lib = format!("gufc_v_{name}");
        // Built once per stamp in the shared cache, whichever profile or feature set asks.
        let dir = cache.join(format!("{name}-{:016x}", h.finish()));
        if !dir.join(format!("lib{lib}.a")).exists() {
            let mdir = cache.join(format!("{name}.tmp{}", std::process::id()));
            let srcs = if v2 { &sources_v2 } else { &sources };
            verilate(&rtl, srcs, &mdir, name, [n, b, w, c, l]);
            let mut generated: Vec<PathBuf> = fs::read_dir(&mdir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
                .collect();
            generated.sort();
            // Waveform (`__Trace__`) and run-once (`__Slow`: construction, initial, settle)
            // code at -O0: it never runs per cycle unless a VCD is open, and at -O2 it was most
            // of the build (v2_n256: 7 min 42 s in all, 1 min 50 s with these at -O0).
            let (slow, fast): (Vec<PathBuf>, Vec<PathBuf>) = generated.into_iter().partition(|p| {
                let f = p.file_name().unwrap().to_string_lossy();
                f.contains("__Trace__") || f.contains("__Slow")
            });
            let mut build = base();
            build.include(&mdir);
            let slow_objects = base()
                .include(&mdir)
                .opt_level(0)
                .files(slow)
                .out_dir(&mdir)
                .compile_intermediates();
            build.files(fast).objects(slow_objects).out_dir(&mdir);
            build.compile(&lib);
            publish(&mdir, &dir);
        }
        println!("cargo:rustc-link-search=native={}", dir.display());
        libs.push(lib);

        writeln!(
            externs,
            "    fn gufc_{name}_new(traceable: u32) -> *mut c_void;\n\
             \x20   fn gufc_{name}_step(h: *mut c_void, io: *mut RtlIo);\n\
             \x20   fn gufc_{name}_trace_open(h: *mut c_void, path: *const c_char) -> i32;\n\
             \x20   fn gufc_{name}_trace_close(h: *mut c_void);\n\
             \x20   fn gufc_{name}_free(h: *mut c_void);"
        )
        .unwrap();
        writeln!(
            table,
            "    Built {{ name: {name:?}, v2: {v2}, config: Config {{ tcam_entries: {n}, flow_buckets: {b}, \
             flow_ways: {w}, channels: {c}, local_entries: {l} }}, vt: VTable {{ new: gufc_{name}_new, \
             step: gufc_{name}_step, trace_open: gufc_{name}_trace_open, \
             trace_close: gufc_{name}_trace_close, free: gufc_{name}_free }} }},"
        )
        .unwrap();
    }

    // The Verilator runtime: the same for every configuration, rebuilt only for a new Verilator.
    let mut h = DefaultHasher::new();
    (&version, COMPILE_POLICY).hash(&mut h);
    let dir = cache.join(format!("runtime-{:016x}", h.finish()));
    if !dir.join("libgufc_vruntime.a").exists() {
        let tmp = cache.join(format!("runtime.tmp{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).unwrap();
        base()
            .file(include.join("verilated.cpp"))
            .file(include.join("verilated_threads.cpp"))
            .file(include.join("verilated_vcd_c.cpp"))
            .out_dir(&tmp)
            .compile("gufc_vruntime");
        publish(&tmp, &dir);
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    libs.push("gufc_vruntime".into());

    for lib in &libs {
        println!("cargo:rustc-link-lib=static={lib}");
    }
    println!("cargo:rustc-link-lib=stdc++");
    println!("cargo:rustc-link-lib=pthread");

    let rs = format!(
        "// @generated by sim/build.rs\nextern \"C\" {{\n{externs}}}\n\n\
         /// The configurations Verilated into this build.\npub(crate) static BUILT: &[Built] = &[\n{table}];\n"
    );
    fs::write(out.join("configs.rs"), rs).unwrap();
}

/// Moves a finished build from its private directory `tmp` to the cache entry `dir` in one
/// rename, so a concurrent build script never sees half an archive; if another one published the
/// entry first, its copy is kept.
/// `top` and every file of `files` it instantiates, directly or not: a file is used when its
/// module name (the file's stem) appears as a word outside `//` comments of a used file.
fn instantiated(top: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let code = |f: &Path| -> String {
        fs::read_to_string(f)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let words = |text: &str| -> std::collections::HashSet<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string)
            .collect()
    };
    let mut used = vec![top.to_path_buf()];
    let mut i = 0;
    while i < used.len() {
        let w = words(&code(&used[i]));
        for f in files {
            let stem = f.file_stem().unwrap().to_string_lossy();
            if w.contains(stem.as_ref()) && !used.contains(f) {
                used.push(f.clone());
            }
        }
        i += 1;
    }
    used.sort();
    used
}

fn publish(tmp: &Path, dir: &Path) {
    if fs::rename(tmp, dir).is_err() {
        assert!(
            dir.exists(),
            "cannot move {} to {}",
            tmp.display(),
            dir.display()
        );
        let _ = fs::remove_dir_all(tmp);
    }
}

/// Runs Verilator on rtl/ for one parameter set into `mdir`, with the shim beside the model.
fn verilate(rtl: &Path, sources: &[PathBuf], mdir: &Path, name: &str, p: [u32; 5]) {
    let prefix = format!("Vgufc_{name}");
    let _ = fs::remove_dir_all(mdir);
    fs::create_dir_all(mdir).unwrap();
    let mut cmd = Command::new("verilator");
    cmd.args(VERILATOR_ARGS)
        .args(["--top-module", "gufc_top", "--prefix", &prefix])
        .arg("--Mdir")
        .arg(mdir)
        .arg(format!("-I{}", rtl.display()))
        .arg(format!("-GTCAM_ENTRIES={}", p[0]))
        .arg(format!("-GFLOW_BUCKETS={}", p[1]))
        .arg(format!("-GFLOW_WAYS={}", p[2]))
        .arg(format!("-GCHANNELS={}", p[3]))
        .arg(format!("-GLOCAL_ENTRIES={}", p[4]))
        .args(sources);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running verilator: {e}"));
    assert!(
        status.success(),
        "verilator failed on rtl/ for configuration {name}: {cmd:?}"
    );
    fs::write(
        mdir.join(format!("shim_{name}.cpp")),
        format!(
            "#define GUFC_TOP {prefix}\n#define GUFC_HDR \"{prefix}.h\"\n\
             #define GUFC_FN(x) gufc_{name}_##x\n#include \"shim.inc\"\n"
        ),
    )
    .unwrap();
}

/// VERILATOR_ROOT and the version line, or a clear failure when Verilator is not installed.
fn verilator() -> (PathBuf, String) {
    let run = |args: &[&str]| match Command::new("verilator").args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap().trim().to_string(),
        Ok(o) => panic!(
            "verilator {args:?} failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("verilator not found: apt-get install verilator")
        }
        Err(e) => panic!("running verilator: {e}"),
    };
    let version = run(&["--version"]);
    let root = PathBuf::from(run(&["--getenv", "VERILATOR_ROOT"]));
    assert!(
        root.join("include/verilated.cpp").exists(),
        "verilator found but {}/include/verilated.cpp is missing (Debian package `verilator` 5.006 has it)",
        root.display()
    );
    (root, version)
}
