//! The RTL 2.0 port-range layout (`gufc_rules::ranges`) on the six ClassBench filter sets in
//! tests/data/classbench: with the stage's 16 range checkers every set must cost at most 1.05
//! TCAM entries per rule (issue 10's bound), and on every trace header the labelled rule's
//! entries must accept the header's ports, as must every rule whose ranges contain them (and no
//! other), checked over a stride of the rules.

use gufc_rules::classbench::{self, parse_trace, Options, TraceColumns};
use gufc_rules::ranges::{plan, CHECKERS};

const SETS: [&str; 6] = [
    "acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K",
];

fn read(name: &str) -> (String, String) {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/classbench"
    ))
    .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (name.to_string(), text)
}

#[test]
fn every_set_fits_in_1_05_entries_per_rule_with_16_checkers() {
    for name in SETS {
        let (file, text) = read(name);
        let set =
            classbench::parse(&file, &text, Options::default()).unwrap_or_else(|e| panic!("{e}"));
        let p = plan(&set, CHECKERS);
        let bare = plan(&set, 0);
        println!(
            "{name}: {} rules -> {} entries ({:.4} per rule) on {} checkers; {} entries ({:.4}) without checkers",
            set.len(),
            p.entries(),
            p.entries_per_rule(),
            p.checkers.len(),
            bare.entries(),
            bare.entries_per_rule()
        );
        assert!(
            p.entries_per_rule() <= 1.05,
            "{name}: {:.4} entries per rule",
            p.entries_per_rule()
        );

        let (tfile, ttext) = read(&format!("{name}_trace"));
        let trace =
            parse_trace(&tfile, &ttext, TraceColumns::Labelled).unwrap_or_else(|e| panic!("{e}"));
        let stride = if set.len() > 2000 { 97 } else { 7 };
        for (n, t) in trace
            .iter()
            .enumerate()
            .step_by(if trace.len() > 20_000 { 13 } else { 1 })
        {
            let (sp, dp) = (t.key.sport, t.key.dport);
            if let Some(line) = t.expected {
                let r = set
                    .rules
                    .iter()
                    .position(|r| r.loc.line == line)
                    .expect("labelled rule");
                assert!(
                    p.accepts(r, sp, dp),
                    "{}: rule {} ({}) refuses ports {sp} {dp}",
                    t.loc,
                    line,
                    set.rules[r]
                );
            }
            for r in (n % stride..set.len()).step_by(stride) {
                let rule = &set.rules[r];
                let want = rule.sport.contains(sp) && rule.dport.contains(dp);
                assert_eq!(
                    p.accepts(r, sp, dp),
                    want,
                    "{}: rule {} ports {sp} {dp}",
                    t.loc,
                    rule.loc
                );
            }
        }
    }
}
