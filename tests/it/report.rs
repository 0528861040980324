use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Runs `curlens report` from the repository root (the manifest lists paths as given).
fn report(global: &[&str], args: &[&str], out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_curlens"))
        .current_dir(root())
        .args(global)
        .args(["report", "testdata/sample", "--quiet", "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

const WEEK: &str = "curlens-2025-W41";

/// The example report in reports/ is exactly what the documented command writes, with one
/// thread and with all of them. `BLESS=1` rewrites it.
#[test]
fn golden_report_with_one_and_all_threads() {
    let dir = tempfile::tempdir().unwrap();
    for threads in ["1", "4"] {
        let out = dir.path().join(threads);
        let run = report(
            &["--threads", threads],
            &["--config", "testdata/curlens.toml"],
            &out,
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        for name in [
            format!("{WEEK}.md"),
            format!("{WEEK}.json"),
            format!("{WEEK}-daily.svg"),
            format!("{WEEK}-services.svg"),
        ] {
            let got = std::fs::read_to_string(out.join(&name)).unwrap();
            let golden = root().join("reports").join(&name);
            if std::env::var_os("BLESS").is_some() {
                std::fs::write(&golden, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&golden).unwrap();
            if got != want {
                let line = got
                    .lines()
                    .zip(want.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{name} differs from reports/ with {threads} thread(s) at line {}:\n~~~ got\n{}\n~~~ expected\n{}\n~~~\nrun with BLESS=1 to accept",
                    line + 1,
                    got.lines().nth(line).unwrap_or(""),
                    want.lines().nth(line).unwrap_or("")
                );
            }
        }
    }
}

fn model(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join(format!("{WEEK}.json"))).unwrap()).unwrap()
}

#[test]
fn budget_status_flips_exactly_at_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    assert!(report(&[], &[], &base).status.success());
    let forecast = model(&base)["summary"]["forecast"]["month_end_expected"]
        .as_f64()
        .unwrap();
    for (amount, status, code) in [
        (forecast / 0.8 + 0.01, "OK", 0),
        (forecast / 0.8 - 0.01, "ALERT (forecast)", 1),
    ] {
        let config = dir.path().join("budget.toml");
        std::fs::write(
            &config,
            format!("[[budgets]]\nname = \"all\"\namount = {amount}\nthresholds = [0.8]\n"),
        )
        .unwrap();
        let out = dir.path().join(format!("{amount}"));
        let run = report(&[], &["--config", config.to_str().unwrap()], &out);
        let run_fail = Command::new(env!("CARGO_BIN_EXE_curlens"))
            .current_dir(root())
            .args([
                "report",
                "testdata/sample",
                "--quiet",
                "--fail-on",
                "budget",
                "--format",
                "json",
                "--config",
            ])
            .arg(&config)
            .arg("--out")
            .arg(dir.path().join("fail"))
            .output()
            .unwrap();
        assert!(run.status.success());
        assert_eq!(
            model(&out)["budgets"][0]["thresholds"][0]["status"],
            status,
            "amount {amount}"
        );
        assert_eq!(run_fail.status.code(), Some(code), "amount {amount}");
    }
}

#[test]
fn waste_items_appear_in_the_report() {
    let md = std::fs::read_to_string(root().join("reports").join(format!("{WEEK}.md"))).unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("testdata/sample/truth.json")).unwrap())
            .unwrap();
    for w in truth["waste"].as_array().unwrap() {
        let kind = w["kind"].as_str().unwrap();
        if kind == "old_snapshot" {
            assert!(md.contains("ebs-old-snapshots: not evaluated"));
            continue;
        }
        if kind == "untagged_resource" {
            // Untagged cost is reported in the allocation section, not as a saving.
            continue;
        }
        for id in w["resource_ids"].as_array().unwrap() {
            assert!(
                md.contains(id.as_str().unwrap()),
                "{kind} {id} missing from the report"
            );
        }
    }
}

#[test]
fn hostile_tag_values_cannot_break_tables() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cur.csv");
    let mut text = String::from(
        "identity/LineItemId,identity/TimeInterval,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/ResourceId,lineItem/UnblendedCost,lineItem/CurrencyCode,resourceTags/user:Project\n",
    );
    let nasty = [
        "a|b",
        "<script>alert(1)</script>",
        "`code`",
        "two\nlines",
        "**bold** [x](y)",
    ];
    for day in 0..21 {
        for (i, tag) in nasty.iter().enumerate() {
            let date = 1 + day;
            text.push_str(&format!(
                "id-{day}-{i},i,123456789012,Usage,2025-09-{date:02}T00:00:00Z,AmazonEC2,BoxUsage:m5.large,i-|{i}`,{}.0,USD,\"{}\"\n",
                10 + i,
                tag.replace('"', "\"\"")
            ));
        }
    }
    std::fs::write(&csv, text).unwrap();
    let out = dir.path().join("out");
    crate::util::run_ok(
        Command::new(env!("CARGO_BIN_EXE_curlens"))
            .args(["report", "--quiet", "--format", "md", "--out"])
            .arg(&out)
            .arg(&csv),
    );
    let report = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a Markdown report");
    let md = std::fs::read_to_string(report).unwrap();
    assert!(!md.contains("<script>"));
    // Every table row has as many unescaped cell separators as its header.
    let mut expected = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            expected = None;
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        match expected {
            None => expected = Some(cells),
            Some(n) => assert_eq!(cells, n, "broken row: {line}"),
        }
    }
}

/// Every anomaly injected into the reported week, clearly above the $50 reporting limit, is
/// in the report with the truth's figures (within 10%: the baseline is estimated, so an
/// anomaly within 10% of the limit may fall on either side of it).
#[test]
fn injected_anomalies_of_the_week_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    curlens::synth::generate(&curlens::synth::SynthOptions {
        out: data.clone(),
        start: (2025, 8, 4),
        days: 56,
        accounts: 6,
        seed: 902,
        format: curlens::synth::SynthFormat::Cur2,
        anomalies: true,
        waste: true,
        force: false,
        target_rows: None,
    })
    .unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("truth.json")).unwrap()).unwrap();
    let out = dir.path().join("out");
    crate::util::run_ok(
        Command::new(env!("CARGO_BIN_EXE_curlens"))
            .args([
                "report", "--quiet", "--week", "2025-W39", "--format", "json", "--out",
            ])
            .arg(&out)
            .arg(&data),
    );
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("curlens-2025-W39.json")).unwrap()).unwrap();
    let reported = model["anomalies"].as_array().unwrap();
    let in_week = |t: &serde_json::Value| {
        t["last_day"].as_str().unwrap() >= "2025-09-22"
            && t["first_day"].as_str().unwrap() <= "2025-09-28"
    };
    let mut checked = Vec::new();
    for t in truth["anomalies"].as_array().unwrap() {
        let extra = t["extra_cost"].as_f64().unwrap();
        if !in_week(t) || extra.abs() < 55.0 {
            continue;
        }
        let key = format!("={}", t["scope"]["key"].as_str().unwrap());
        let found = reported
            .iter()
            .find(|a| {
                a["series"]
                    .as_str()
                    .unwrap()
                    .split(" / ")
                    .any(|p| p.ends_with(&key))
                    && a["kind"].as_str().unwrap().replace('-', "_") == t["kind"].as_str().unwrap()
                    && a["first_day"].as_str() <= t["last_day"].as_str()
                    && a["last_day"].as_str() >= t["first_day"].as_str()
            })
            .unwrap_or_else(|| panic!("{} not reported: {reported:?}", t["id"]));
        let impact = found["impact"].as_f64().unwrap();
        assert!(
            (impact - extra).abs() <= 0.1 * extra.abs(),
            "{}: impact {impact} vs injected {extra}",
            t["id"]
        );
        checked.push(t["id"].as_str().unwrap().to_string());
    }
    assert_eq!(checked, ["anomaly-03", "anomaly-08", "anomaly-09"]);
}

/// The progress bar's list of stages is the list of stages the report logs, in order.
#[test]
fn progress_stages_are_the_logged_stages() {
    let load = curlens::ingest::load(
        &[root().join("testdata/sample")],
        &curlens::ingest::LoadOptions::default(),
    )
    .unwrap();
    let mut config = curlens::report::Config::read(&root().join("testdata/curlens.toml")).unwrap();
    for allocation in [true, false] {
        config.sections.allocation = allocation;
        let logged = std::cell::RefCell::new(Vec::new());
        let log = |name: &str, _: f64| logged.borrow_mut().push(name.to_string());
        let out = tempfile::tempdir().unwrap();
        let formats = curlens::report::Formats {
            markdown: false,
            json: true,
        };
        curlens::report::run(
            &load,
            &config,
            curlens::report::WeekChoice::Latest,
            out.path(),
            formats,
            &log,
        )
        .unwrap();
        assert_eq!(logged.into_inner(), curlens::report::stages(&config));
    }
}
