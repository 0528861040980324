use std::collections::BTreeMap;

use curlens::rules::{self, Constants};

use crate::util::*;

fn sample() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample")
}

/// Rule that should find each waste kind of the generator.
fn rule_for(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "idle_elastic_ip" => "idle-elastic-ip",
        "gp2_volume" => "ebs-gp2-to-gp3",
        "previous_generation_instance" => "previous-generation",
        "idle_nat_gateway" => "idle-nat-gateway",
        "idle_load_balancer" => "idle-load-balancer",
        "always_on_non_production" => "always-on-non-production",
        "untagged_resource" => "untagged-spend",
        "uncached_secrets_requests" => "secrets-manager-caching",
        "uncached_kms_requests" => "kms-bucket-keys",
        "graviton_candidate" | "graviton_candidate_rds" => "graviton",
        "nat_heavy_processing" => "nat-gateway-endpoints",
        "unused_reservation" => "commitment-utilization",
        "idle_s3_standard" => "s3-standard-idle",
        "log_group_without_retention" => "logs-without-retention",
        "data_transfer_concentration" => "data-transfer-concentration",
        "unused_kms_key" => "kms-unused-keys",
        // Needs exports older than the snapshot age limit: reported as not evaluated.
        "old_snapshot" => return None,
        other => panic!("unknown waste kind {other}"),
    })
}

/// Every proposal, however small.
fn all_proposals() -> Constants {
    Constants {
        min_monthly_savings: 0.0,
        ..Constants::default()
    }
}

/// The largest relative error of a waste item's cost against its truth.
fn check_waste_found(dir: &std::path::Path) -> (rules::Proposals, f64) {
    let load = load(&[dir.to_path_buf()]);
    let found = rules::evaluate(&load, &all_proposals()).unwrap();
    let mut by_resource: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for p in &found.proposals {
        for r in &p.resources {
            by_resource
                .entry(r.resource_id.as_str())
                .or_default()
                .push((p.rule, r.period_cost));
        }
    }
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
    let mut worst: f64 = 0.0;
    for w in truth["waste"].as_array().unwrap() {
        let kind = w["kind"].as_str().unwrap();
        let Some(rule) = rule_for(kind) else {
            assert!(
                found
                    .not_evaluated
                    .iter()
                    .any(|n| n.rule == "ebs-old-snapshots")
            );
            continue;
        };
        let ids: Vec<&str> = w["resource_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let cost: f64 = ids
            .iter()
            .map(|id| {
                let hits = by_resource
                    .get(id)
                    .unwrap_or_else(|| panic!("{kind}: {id} not proposed"));
                hits.iter()
                    .find(|(r, _)| *r == rule)
                    .unwrap_or_else(|| panic!("{kind}: {id} not found by {rule}: {hits:?}"))
                    .1
            })
            .sum();
        let expected = w["cost_over_period"].as_f64().unwrap();
        assert!(
            (cost - expected).abs() <= 0.01 * expected,
            "{kind}: cost {cost} vs truth {expected}"
        );
        worst = worst.max((cost - expected).abs() / expected);
    }
    (found, worst)
}

/// The Savings Plan commitment proposal: a positive commitment below the hourly on-demand
/// spend it covers, at the stated discount.
fn check_commitment_sizing(found: &rules::Proposals) {
    let sizing: Vec<_> = found
        .proposals
        .iter()
        .filter(|p| p.rule == "savings-plan-commitment")
        .collect();
    assert_eq!(sizing.len(), 1);
    let p = sizing[0];
    assert!(p.resources.is_empty());
    assert!(p.savings.expected > 0.0 && p.savings.expected < 0.28 * p.monthly_cost);
    assert!(p.savings.low <= p.savings.expected);
    assert!(p.action.contains("break-even 72%"), "{}", p.action);
}

#[test]
fn every_injected_waste_item_is_found_with_its_cost() {
    let (found, worst) = check_waste_found(&sample());
    check_commitment_sizing(&found);
    eprintln!("sample: largest waste cost error {:.4}%", 100.0 * worst);
    for seed in [21, 22, 23] {
        let dir = tempfile::tempdir().unwrap();
        curlens::synth::generate(&curlens::synth::SynthOptions {
            out: dir.path().to_path_buf(),
            start: (2025, 6, 2),
            days: 35,
            accounts: 3,
            seed,
            format: curlens::synth::SynthFormat::Cur2,
            anomalies: false,
            waste: true,
            force: false,
            target_rows: None,
        })
        .unwrap();
        let (found, worst) = check_waste_found(dir.path());
        check_commitment_sizing(&found);
        check_clean(dir.path(), &found);
        eprintln!(
            "seed {seed}: largest waste cost error {:.4}%",
            100.0 * worst
        );
    }
    assert!(found.total_monthly_savings > 0.0);
}

/// Resources that are not injected waste get no proposal with a saving, except
/// non-production instances the generator leaves running around the clock.
fn check_clean(dir: &std::path::Path, found: &rules::Proposals) {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
    let waste: Vec<&str> = truth["waste"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| {
            w["resource_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
        })
        .collect();
    for p in &found.proposals {
        for r in p
            .resources
            .iter()
            .filter(|r| !waste.contains(&r.resource_id.as_str()))
        {
            // Untagged spend is hygiene (no saving); non-production resources the generator
            // leaves running around the clock are genuinely always on.
            match p.rule {
                "untagged-spend" => assert_eq!(p.savings.expected, 0.0),
                "always-on-non-production" => {
                    let env = r
                        .tags
                        .get("environment")
                        .map(|e| e.to_ascii_lowercase())
                        .unwrap_or_default();
                    assert!(
                        ["dev", "development", "test", "qa", "staging", "stage"]
                            .contains(&env.as_str()),
                        "{env}"
                    );
                }
                other => panic!("clean resource {} got a {other} proposal", r.resource_id),
            }
        }
    }
}

#[test]
fn clean_resources_get_no_saving_proposals() {
    let load = load(&[sample()]);
    let found = rules::evaluate(&load, &all_proposals()).unwrap();
    check_clean(&sample(), &found);
}

#[test]
fn savings_on_one_resource_combine_and_never_exceed_its_cost() {
    let load = load(&[sample()]);
    let found = rules::evaluate(&load, &all_proposals()).unwrap();
    let mut doubled = found.proposals.clone();
    doubled.extend(found.proposals.clone());
    let combined = rules::combined_savings(&doubled);
    let monthly_cost: f64 = found.proposals.iter().map(|p| p.monthly_cost).sum();
    assert!(combined <= monthly_cost + 1e-9);
    assert!(
        combined > found.total_monthly_savings,
        "a second identical proposal saves part of what is left"
    );
    let added: f64 = doubled.iter().map(|p| p.savings.expected).sum();
    assert!(combined < added);
}

/// The 2018 workshop export: every volume billed as gp2 gets a gp2 → gp3 proposal whose
/// cost is that volume's gp2 cost in the data.
#[test]
fn real_workshop_gp2_volumes() {
    use polars::prelude::*;
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let load = load(&[
        real.join("aws-wa-labs/workshop-cur-parquet/Oct2018-WorkshopCUR-00001.snappy.parquet")
    ]);
    let expected = curlens::ingest::collect(
        load.frame
            .clone()
            .filter(
                col("usage_type")
                    .str()
                    .contains_literal(lit("VolumeUsage.gp2"))
                    .fill_null(lit(false)),
            )
            .group_by([col("resource_id")])
            .agg([col("unblended_cost").sum()]),
        &load,
    )
    .unwrap();
    let ids = expected
        .column("resource_id")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    let costs = expected
        .column("unblended_cost")
        .unwrap()
        .f64()
        .unwrap()
        .clone();
    let found = rules::evaluate(&load, &all_proposals()).unwrap();
    let gp2: BTreeMap<&str, f64> = found
        .proposals
        .iter()
        .filter(|p| p.rule == "ebs-gp2-to-gp3")
        .flat_map(|p| {
            p.resources
                .iter()
                .map(|r| (r.resource_id.as_str(), r.period_cost))
        })
        .collect();
    assert!(ids.len() > 10, "{} gp2 volumes", ids.len());
    assert_eq!(gp2.len(), ids.len());
    for (id, cost) in ids.iter().zip(costs.iter()) {
        let (id, cost) = (id.unwrap(), cost.unwrap());
        assert_close(gp2[id], cost, id);
    }
}

/// Unused commitment per ARN, computed from the export's own columns: the unused fees of
/// `RIFee` lines for reservations, commitment minus used commitment of
/// `SavingsPlanRecurringFee` lines for Savings Plans.
fn unused_by_arn(load: &curlens::ingest::Load) -> BTreeMap<String, f64> {
    use polars::prelude::*;
    let num = |c: &str| col(c).cast(DataType::Float64).fill_null(lit(0.0));
    let is = |t: &str| col("line_item_type").eq(lit(t));
    let frame = load
        .frame
        .clone()
        .filter(is("RIFee").or(is("SavingsPlanRecurringFee")))
        .select([
            when(is("RIFee"))
                .then(col("ri_arn"))
                .otherwise(col("sp_arn"))
                .alias("arn"),
            when(is("RIFee"))
                .then(num("ri_unused_amortized_upfront_fee") + num("ri_unused_recurring_fee"))
                .otherwise(num("sp_total_commitment_to_date") - num("sp_used_commitment"))
                .alias("unused"),
        ])
        .group_by([col("arn")])
        .agg([col("unused").sum()]);
    let df = curlens::ingest::collect(frame, load).unwrap();
    let arns = df.column("arn").unwrap().str().unwrap().clone();
    let unused = df.column("unused").unwrap().f64().unwrap().clone();
    arns.iter()
        .zip(unused.iter())
        .map(|(a, u)| (a.unwrap().to_string(), u.unwrap()))
        .collect()
}

/// Every commitment's utilization proposal (with the limit above 100%, all are listed)
/// carries the unused commitment the export's own columns give.
fn check_commitments(load: &curlens::ingest::Load, kind_word: &str) -> usize {
    let expected = unused_by_arn(load);
    let constants = Constants {
        commitment_min_utilization: 1.01,
        ..all_proposals()
    };
    let found = rules::evaluate(load, &constants).unwrap();
    let by_arn: BTreeMap<&str, &rules::Proposal> = found
        .proposals
        .iter()
        .filter(|p| p.rule == "commitment-utilization")
        .map(|p| (p.resources[0].resource_id.as_str(), p))
        .collect();
    assert_eq!(by_arn.len(), expected.len(), "{:?}", expected.keys());
    for (arn, unused) in &expected {
        let p = by_arn[arn.as_str()];
        assert!(p.action.contains(kind_word), "{}", p.action);
        assert_close(p.resources[0].period_cost, *unused, arn);
    }
    expected.len()
}

/// The 2018 workshop export: each reservation's utilization finding carries the unused
/// reservation fees of its `RIFee` lines.
#[test]
fn real_workshop_reservation_utilization() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let load = load(&[real.join("aws-wa-labs/workshop-cur-parquet")]);
    assert!(check_commitments(&load, "Reservation") >= 1);
}

/// `Step5CUR.gz`: each Savings Plan's utilization finding carries its commitment minus its
/// used commitment, from the Savings Plan lines.
#[test]
fn real_step5_savings_plan_utilization() {
    let Some(real) = crate::conformance::real_data() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (step1, wide) = crate::conformance::hive_headers(&real, tmp.path());
    let options = curlens::ingest::LoadOptions {
        header_from: vec![step1, wide],
        ..curlens::ingest::LoadOptions::default()
    };
    let load = curlens::ingest::load(
        &[real.join("aws-wa-labs/athena-hive-text/Step5CUR.gz")],
        &options,
    )
    .unwrap();
    assert!(check_commitments(&load, "Savings Plan") >= 1);
}
