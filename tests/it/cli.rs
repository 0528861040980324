use std::process::Command;

use crate::util::fixture;

fn curlens() -> Command {
    Command::new(env!("CARGO_BIN_EXE_curlens"))
}

#[test]
fn inspect_prints_json_for_scripts() {
    let out = crate::util::run_ok(
        curlens()
            .args(["inspect", "--format", "json"])
            .arg(fixture("legacy_slash_headers.csv")),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"]["rows"], 8);
    assert_eq!(json["total"]["unblended_by_currency"]["USD"], 0.9870000177);
    assert_eq!(json["files"][0]["format"], "legacy CUR (CSV headers)");
    assert_eq!(json["total"]["accounts"][0], "011254002932");
}

#[test]
fn inspect_table_names_format_and_totals() {
    let out = curlens()
        .arg("inspect")
        .arg(fixture("focus_nulls_json_tags.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "format      FOCUS 1.x (CSV; detected by BilledCost and ChargePeriodStart columns)"
        ),
        "{text}"
    );
    assert!(text.contains("unblended   3.5000000000 USD"), "{text}");
}

#[test]
fn bad_input_exits_2_with_the_message_on_stderr() {
    let out = curlens()
        .args(["inspect", "/nonexistent/cur.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("curlens: /nonexistent/cur.csv: cannot read:"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
