//! The organisation and its resources: accounts, regions, public prices,
//! resource lifetimes, schedules, tags and the billable lines of each resource.
//! Everything here is built once, sequentially, from the seed.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::rng::{self, STREAM_ACCOUNT, STREAM_COMMIT, STREAM_ORG};
use super::time::Period;

pub(crate) struct Region {
    pub code: &'static str,
    pub prefix: &'static str,
    pub location: &'static str,
    pub factor: f64,
}

pub(crate) const REGIONS: [Region; 4] = [
    Region {
        code: "us-east-1",
        prefix: "USE1-",
        location: "US East (N. Virginia)",
        factor: 1.0,
    },
    Region {
        code: "us-west-2",
        prefix: "USW2-",
        location: "US West (Oregon)",
        factor: 1.0,
    },
    Region {
        code: "eu-west-1",
        prefix: "EUW1-",
        location: "EU (Ireland)",
        factor: 1.1,
    },
    Region {
        code: "eu-central-1",
        prefix: "EUC1-",
        location: "EU (Frankfurt)",
        factor: 1.15,
    },
];

/// (instance type, us-east-1 Linux on-demand $/h, normalization factor). The ordinary
/// fleet runs Graviton, so that every x86 instance in the data is an injected one.
pub(crate) const CURRENT_GEN: [(&str, f64, f64); 12] = [
    ("m7g.large", 0.0816, 4.0),
    ("m7g.xlarge", 0.1632, 8.0),
    ("m7g.2xlarge", 0.3264, 16.0),
    ("c7g.large", 0.0725, 4.0),
    ("c7g.xlarge", 0.145, 8.0),
    ("r7g.large", 0.1071, 4.0),
    ("r7g.xlarge", 0.2142, 8.0),
    ("t4g.micro", 0.0084, 0.5),
    ("t4g.medium", 0.0336, 2.0),
    ("t4g.large", 0.0672, 4.0),
    ("m6g.large", 0.077, 4.0),
    ("m6g.xlarge", 0.154, 8.0),
];
/// Current-generation x86 types with a Graviton equivalent (injected waste only).
pub(crate) const X86_GEN: [(&str, f64, f64); 6] = [
    ("m5.large", 0.096, 4.0),
    ("m5.xlarge", 0.192, 8.0),
    ("c5.large", 0.085, 4.0),
    ("c5.xlarge", 0.17, 8.0),
    ("r5.large", 0.126, 4.0),
    ("t3.medium", 0.0416, 2.0),
];
/// RDS classes (MySQL, us-east-1 $/h): Graviton for the ordinary fleet, x86 for waste.
pub(crate) const DB_ARM: [(&str, f64); 3] = [
    ("db.m6g.large", 0.152),
    ("db.r6g.large", 0.225),
    ("db.t4g.medium", 0.065),
];
pub(crate) const DB_X86: [(&str, f64); 3] = [
    ("db.m5.large", 0.171),
    ("db.r5.large", 0.25),
    ("db.t3.medium", 0.068),
];
pub(crate) const PREVIOUS_GEN: [(&str, f64, f64); 5] = [
    ("m4.xlarge", 0.20, 8.0),
    ("m4.large", 0.10, 4.0),
    ("c4.large", 0.10, 4.0),
    ("c4.xlarge", 0.199, 8.0),
    ("t2.medium", 0.0464, 2.0),
];

/// Product codes in the order used for tax lines.
pub(crate) const PRODUCTS: [&str; 11] = [
    "AmazonEC2",
    "AWSDataTransfer",
    "AmazonVPC",
    "AWSELB",
    "AmazonS3",
    "AmazonRDS",
    "AWSLambda",
    "AmazonCloudWatch",
    "awskms",
    "AWSSecretsManager",
    "ComputeSavingsPlans",
];

pub(crate) fn product_name(code: &str) -> &'static str {
    match code {
        "AmazonEC2" => "Amazon Elastic Compute Cloud",
        "AWSDataTransfer" => "AWS Data Transfer",
        "AmazonVPC" => "Amazon Virtual Private Cloud",
        "AWSELB" => "Elastic Load Balancing",
        "AmazonS3" => "Amazon Simple Storage Service",
        "AmazonRDS" => "Amazon Relational Database Service",
        "AWSLambda" => "AWS Lambda",
        "AmazonCloudWatch" => "AmazonCloudWatch",
        "awskms" => "AWS Key Management Service",
        "AWSSecretsManager" => "AWS Secrets Manager",
        "ComputeSavingsPlans" => "Savings Plans for AWS Compute usage",
        _ => "",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schedule {
    AlwaysOn,
    WeekdaysOnly,
    OfficeHours,
    Batch,
}

impl Schedule {
    pub(crate) fn running(self, weekend: bool, hour: u32) -> bool {
        match self {
            Schedule::AlwaysOn => true,
            Schedule::WeekdaysOnly => !weekend,
            Schedule::OfficeHours => !weekend && (7..19).contains(&hour),
            Schedule::Batch => !weekend && hour < 6,
        }
    }
    /// Mean running hours per day over a week.
    pub(crate) fn hours_per_day(self) -> f64 {
        match self {
            Schedule::AlwaysOn => 24.0,
            Schedule::WeekdaysOnly => 24.0 * 5.0 / 7.0,
            Schedule::OfficeHours => 12.0 * 5.0 / 7.0,
            Schedule::Batch => 6.0 * 5.0 / 7.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coverage {
    OnDemand,
    SavingsPlan,
    Reserved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ec2,
    Volume,
    Snapshot,
    Eip,
    PublicIp,
    Nat,
    Lb,
    S3,
    Rds,
    Lambda,
    Logs,
    Kms,
    Secret,
    SavingsPlan,
    Reservation,
    Billing,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Tags {
    pub project: Option<String>,
    pub env: Option<String>,
    pub team: Option<String>,
    /// Canonical team, used for the `team` cost category.
    pub team_canon: Option<&'static str>,
}

/// One billable line of a resource (one row per running hour).
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub product_code: &'static str,
    /// Index of `product_code` in [`PRODUCTS`].
    pub product: u8,
    pub family: &'static str,
    pub usage_type: String,
    pub operation: &'static str,
    pub unit: &'static str,
    pub rate: f64,
    pub rate_str: String,
    pub description: String,
    /// Usage per running hour, or per month when `monthly`.
    pub base: f64,
    pub monthly: bool,
    /// `Some(weekend factor)` for usage that varies with traffic.
    pub variable: Option<f64>,
    /// Eligible for Savings Plan / RI coverage.
    pub commitment: bool,
    pub instance_type: &'static str,
    pub norm: f64,
    pub from_loc: &'static str,
    pub to_loc: &'static str,
    pub waste: Option<u16>,
    /// Usage grows by this share of `base` every day since the start (storage that is
    /// never deleted).
    pub growth: f64,
}

impl Line {
    pub(crate) fn new(
        product_code: &'static str,
        family: &'static str,
        usage_type: String,
    ) -> Line {
        Line {
            product_code,
            product: PRODUCTS
                .iter()
                .position(|p| *p == product_code)
                .unwrap_or(0) as u8,
            family,
            usage_type,
            operation: "",
            unit: "",
            rate: 0.0,
            rate_str: String::from("0"),
            description: String::new(),
            base: 1.0,
            monthly: false,
            variable: None,
            commitment: false,
            instance_type: "",
            norm: 0.0,
            from_loc: "",
            to_loc: "",
            waste: None,
            growth: 0.0,
        }
    }
    fn op(mut self, operation: &'static str, unit: &'static str) -> Line {
        self.operation = operation;
        self.unit = unit;
        self
    }
    fn price(mut self, rate: f64, description: String) -> Line {
        self.rate = rate;
        self.rate_str = format!("{rate}");
        self.description = description;
        self
    }
    fn usage(mut self, base: f64, monthly: bool, variable: Option<f64>) -> Line {
        self.base = base;
        self.monthly = monthly;
        self.variable = variable;
        self
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub id: String,
    pub account: u16,
    pub region: u8,
    pub az: String,
    pub kind: Kind,
    pub schedule: Schedule,
    pub coverage: Coverage,
    /// Alive on epoch hours `[start_h, end_h)`.
    pub start_h: i64,
    pub end_h: i64,
    pub tags: Tags,
    pub lines: Vec<Line>,
    /// For snapshots injected as old: the epoch day they were first billed.
    pub first_billed: Option<i64>,
}

impl Resource {
    pub(crate) fn region(&self) -> &'static Region {
        &REGIONS[usize::from(self.region)]
    }
    pub(crate) fn alive(&self, hour: i64) -> bool {
        hour >= self.start_h && hour < self.end_h
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub(crate) struct SavingsPlan {
    pub res: u32,
    pub arn: String,
    pub hourly_commitment: f64,
    pub discount: f64,
    pub covered: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct Reservation {
    pub res: u32,
    pub arn: String,
    pub count: u32,
    pub hourly: f64,
    pub covered: Vec<u32>,
}

/// The whole deterministic organisation.
pub(crate) struct Model {
    pub seed: u64,
    pub period: Period,
    /// Index 0 is the payer (management) account.
    pub accounts: Vec<Account>,
    pub resources: Vec<Resource>,
    pub savings_plan: Option<SavingsPlan>,
    pub reservation: Option<Reservation>,
    /// Billing pseudo-resource (tax, credit, refund lines) per account.
    pub billing: Vec<u32>,
}

const ACCOUNT_NAMES: [&str; 12] = [
    "payments",
    "data-platform",
    "web-frontend",
    "ml-research",
    "identity",
    "search",
    "analytics",
    "mobile-api",
    "logistics",
    "security-tools",
    "sandbox",
    "shared-services",
];
const PROJECTS: [&str; 6] = ["atlas", "phoenix", "nebula", "orion", "hermes", "zephyr"];
const TEAMS: [&str; 6] = ["platform", "data", "payments", "growth", "security", "ml"];

fn variant(rng: &mut ChaCha8Rng, canon: &str, variants: &[&str]) -> String {
    if rng.random_bool(0.15) {
        String::from(*rng::pick(rng, variants))
    } else {
        String::from(canon)
    }
}

pub(crate) fn env_variant(rng: &mut ChaCha8Rng, env: &str) -> String {
    match env {
        "prod" => variant(rng, env, &["Prod", "production", "PROD"]),
        "staging" => variant(rng, env, &["stage", "Staging"]),
        "dev" => variant(rng, env, &["Dev", "development"]),
        _ => variant(rng, env, &["qa", "Test"]),
    }
}

/// Tags with realistic gaps: ~10% untagged, then each key missing sometimes.
pub(crate) fn random_tags(rng: &mut ChaCha8Rng, env: &str) -> Tags {
    let team = *rng::pick(rng, &TEAMS);
    if rng.random_bool(0.10) {
        return Tags::default();
    }
    let project = *rng::pick(rng, &PROJECTS);
    let capital = format!("{}{}", project[..1].to_uppercase(), &project[1..]);
    let mut tags = Tags::default();
    if rng.random_bool(0.88) {
        tags.project = Some(variant(
            rng,
            project,
            &[capital.as_str(), &format!("{project}-svc")],
        ));
    }
    if rng.random_bool(0.85) {
        tags.env = Some(env_variant(rng, env));
    }
    if rng.random_bool(0.80) {
        tags.team = Some(variant(
            rng,
            team,
            &[&team.to_uppercase(), &format!("team-{team}")],
        ));
        tags.team_canon = Some(team);
    }
    tags
}

fn account_id(rng: &mut ChaCha8Rng, index: usize) -> String {
    let first = if index % 4 == 1 {
        0
    } else {
        rng.random_range(1..10u32)
    };
    let rest: String = (0..11)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    format!("{first}{rest}")
}

fn build_accounts(seed: u64, linked: u32) -> Vec<Account> {
    let mut rng = rng::rng_for(&[seed, STREAM_ORG]);
    let mut out = vec![Account {
        id: account_id(&mut rng, 0),
        name: String::from("org-management"),
    }];
    for i in 0..linked as usize {
        let base = ACCOUNT_NAMES[i % ACCOUNT_NAMES.len()];
        let env = ["prod", "staging", "dev"][i / ACCOUNT_NAMES.len() % 3];
        let name = if i < ACCOUNT_NAMES.len() {
            format!("{base}-prod")
        } else {
            format!("{base}-{env}-{}", i / ACCOUNT_NAMES.len())
        };
        out.push(Account {
            id: account_id(&mut rng, i + 1),
            name,
        });
    }
    out
}

/// Shared builder state: the resources so far plus the period.
pub(crate) struct Builder<'a> {
    pub period: &'a Period,
    pub accounts: &'a [Account],
    pub resources: Vec<Resource>,
}

/// Base resource counts per linked account before scaling.
const BASE_COUNTS: [(Kind, f64); 12] = [
    (Kind::Ec2, 10.0),
    (Kind::Volume, 3.0),
    (Kind::Snapshot, 3.0),
    (Kind::PublicIp, 3.0),
    (Kind::Nat, 1.0),
    (Kind::Lb, 1.0),
    (Kind::S3, 3.0),
    (Kind::Rds, 1.0),
    (Kind::Lambda, 3.0),
    (Kind::Logs, 2.0),
    (Kind::Kms, 2.0),
    (Kind::Secret, 2.0),
];

impl Builder<'_> {
    pub(crate) fn push(&mut self, r: Resource) -> u32 {
        self.resources.push(r);
        (self.resources.len() - 1) as u32
    }

    /// A resource shell alive for the whole period.
    pub(crate) fn shell(&self, rng: &mut ChaCha8Rng, account: u16, kind: Kind) -> Resource {
        let region = if rng.random_bool(0.6) {
            0
        } else {
            rng.random_range(1..REGIONS.len() as u8)
        };
        let az = format!(
            "{}{}",
            REGIONS[usize::from(region)].code,
            ["a", "b", "c"][rng.random_range(0..3usize)]
        );
        Resource {
            id: String::new(),
            account,
            region,
            az,
            kind,
            schedule: Schedule::AlwaysOn,
            coverage: Coverage::OnDemand,
            start_h: self.period.start_hour(),
            end_h: self.period.end_hour(),
            tags: Tags::default(),
            lines: Vec::new(),
            first_billed: None,
        }
    }

    /// 25% of ordinary resources are created or deleted inside the period.
    fn random_lifetime(&self, rng: &mut ChaCha8Rng, r: &mut Resource) {
        let total = self.period.end_hour() - self.period.start_hour();
        if total <= 48 || !rng.random_bool(0.25) {
            return;
        }
        let len = rng.random_range(24..total);
        let start = rng.random_range(0..=(total - len));
        r.start_h = self.period.start_hour() + start;
        r.end_h = r.start_h + len;
    }

    pub(crate) fn acct(&self, account: u16) -> &str {
        &self.accounts[usize::from(account)].id
    }

    pub(crate) fn ec2(
        &self,
        rng: &mut ChaCha8Rng,
        r: &mut Resource,
        itype: (&'static str, f64, f64),
        env: &str,
    ) {
        let reg = r.region();
        r.id = format!("i-{}", rng::hex(rng, 17));
        r.schedule = match env {
            "prod" => Schedule::AlwaysOn,
            "staging" if rng.random_bool(0.5) => Schedule::AlwaysOn,
            "staging" => Schedule::WeekdaysOnly,
            _ if rng.random_bool(0.5) => Schedule::OfficeHours,
            _ => Schedule::WeekdaysOnly,
        };
        let family = itype.0.split('.').next().unwrap_or("");
        let rate = itype.1 * reg.factor;
        let mut line = Line::new(
            "AmazonEC2",
            "Compute Instance",
            format!("{}BoxUsage:{}", reg.prefix, itype.0),
        )
        .op("RunInstances", "Hrs")
        .price(
            rate,
            format!("${rate} per On Demand Linux {} Instance Hour", itype.0),
        );
        line.commitment = true;
        line.instance_type = itype.0;
        line.norm = itype.2;
        let _ = family;
        r.lines.push(line);
    }

    pub(crate) fn data_transfer(&self, rng: &mut ChaCha8Rng, r: &mut Resource) {
        let reg = r.region();
        let gb = rng.random_range(0.2..4.0);
        r.lines.push(
            Line::new("AWSDataTransfer", "Data Transfer", format!("{}DataTransfer-Out-Bytes", reg.prefix))
                .op("RunInstances", "GB")
                .price(0.09, String::from("$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier"))
                .usage(gb, false, Some(0.6)),
        );
        let mut az = Line::new("AWSDataTransfer", "Data Transfer", format!("{}DataTransfer-Regional-Bytes", reg.prefix))
            .op("InterZone-In", "GB")
            .price(0.01, String::from("$0.010 per GB - regional data transfer - in/out/between EC2 AZs or using elastic IPs or ELB"))
            .usage(gb * 2.0, false, Some(0.7));
        az.from_loc = reg.location;
        az.to_loc = reg.location;
        r.lines.push(az);
        if let Some(l) = r
            .lines
            .iter_mut()
            .find(|l| l.usage_type.ends_with("Out-Bytes"))
        {
            l.from_loc = reg.location;
            l.to_loc = "External";
        }
    }

    pub(crate) fn volume(
        &self,
        rng: &mut ChaCha8Rng,
        r: &mut Resource,
        vtype: &'static str,
        gb: f64,
    ) {
        let reg = r.region();
        r.id = format!("vol-{}", rng::hex(rng, 17));
        let price = match vtype {
            "gp2" => 0.10,
            "io1" => 0.125,
            _ => 0.08,
        } * reg.factor;
        r.lines.push(
            Line::new(
                "AmazonEC2",
                "Storage",
                format!("{}EBS:VolumeUsage.{vtype}", reg.prefix),
            )
            .op("CreateVolume-Gp", "GB-Mo")
            .price(
                price,
                format!("${price} per GB-month of {vtype} provisioned storage"),
            )
            .usage(gb, true, None),
        );
        if vtype == "io1" {
            let iops = (gb * 10.0).round();
            let p = 0.065 * reg.factor;
            r.lines.push(
                Line::new(
                    "AmazonEC2",
                    "System Operation",
                    format!("{}EBS:VolumeP-IOPS.piops", reg.prefix),
                )
                .op("CreateVolume-P-IOPS", "IOPS-Mo")
                .price(p, format!("${p} per IOPS-month provisioned"))
                .usage(iops, true, None),
            );
        }
    }

    pub(crate) fn snapshot(&self, rng: &mut ChaCha8Rng, r: &mut Resource, gb: f64) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:ec2:{}:{}:snapshot/snap-{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 17)
        );
        r.az = String::new();
        let p = 0.05 * reg.factor;
        r.lines.push(
            Line::new(
                "AmazonEC2",
                "Storage Snapshot",
                format!("{}EBS:SnapshotUsage", reg.prefix),
            )
            .op("CreateSnapshot", "GB-Mo")
            .price(p, format!("${p} per GB-Month of snapshot data stored"))
            .usage(gb, true, None),
        );
    }

    pub(crate) fn eip(&self, rng: &mut ChaCha8Rng, r: &mut Resource, idle: bool) {
        let reg = r.region();
        r.id = format!("eipalloc-{}", rng::hex(rng, 17));
        r.az = String::new();
        let line = if idle {
            Line::new(
                "AmazonEC2",
                "IP Address",
                format!("{}ElasticIP:IdleAddress", reg.prefix),
            )
            .op("AssociateAddress", "Hrs")
            .price(
                0.005,
                String::from(
                    "$0.005 per Elastic IP address not attached to a running instance per hour",
                ),
            )
        } else {
            Line::new(
                "AmazonVPC",
                "VPC Public IPv4 Address",
                format!("{}PublicIPv4:InUseAddress", reg.prefix),
            )
            .op("AssociateAddressVPC", "Hrs")
            .price(
                0.005,
                String::from("$0.005 per In-use public IPv4 address per hour"),
            )
        };
        r.lines.push(line);
    }

    pub(crate) fn nat(&self, rng: &mut ChaCha8Rng, r: &mut Resource, idle: bool) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:ec2:{}:{}:natgateway/nat-{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 17)
        );
        let p = 0.045 * reg.factor;
        r.lines.push(
            Line::new(
                "AmazonEC2",
                "NAT Gateway",
                format!("{}NatGateway-Hours", reg.prefix),
            )
            .op("NatGateway", "Hrs")
            .price(p, format!("${p} per NAT Gateway Hour")),
        );
        if !idle {
            r.lines.push(
                Line::new(
                    "AmazonEC2",
                    "NAT Gateway",
                    format!("{}NatGateway-Bytes", reg.prefix),
                )
                .op("NatGateway", "GB")
                .price(p, format!("${p} per GB Data Processed by NAT Gateways"))
                .usage(rng.random_range(1.0..12.0), false, Some(0.65)),
            );
        }
    }

    pub(crate) fn lb(&self, rng: &mut ChaCha8Rng, r: &mut Resource, idle: bool) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:elasticloadbalancing:{}:{}:loadbalancer/app/alb-{}/{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 6),
            rng::hex(rng, 16)
        );
        let p = 0.0225 * reg.factor;
        r.lines.push(
            Line::new(
                "AWSELB",
                "Load Balancer-Application",
                format!("{}LoadBalancerUsage", reg.prefix),
            )
            .op("LoadBalancing:Application", "Hrs")
            .price(
                p,
                format!("${p} per Application LoadBalancer-hour (or partial hour)"),
            ),
        );
        let lcu = if idle {
            0.002
        } else {
            rng.random_range(0.5..6.0)
        };
        let lp = 0.008 * reg.factor;
        r.lines.push(
            Line::new(
                "AWSELB",
                "Load Balancer-Application",
                format!("{}LCUUsage", reg.prefix),
            )
            .op("LoadBalancing:Application", "LCU-Hrs")
            .price(
                lp,
                format!(
                    "${lp} per used Application load balancer capacity unit-hour (or partial hour)"
                ),
            )
            .usage(lcu, false, if idle { None } else { Some(0.6) }),
        );
    }

    pub(crate) fn s3(&self, rng: &mut ChaCha8Rng, r: &mut Resource) {
        let reg = r.region();
        r.id = format!(
            "{}-{}",
            PROJECTS[rng.random_range(0..PROJECTS.len())],
            rng::hex(rng, 10)
        );
        r.az = String::new();
        let gb = rng.random_range(50.0..4_000.0);
        r.lines.push(
            Line::new(
                "AmazonS3",
                "Storage",
                format!("{}TimedStorage-ByteHrs", reg.prefix),
            )
            .op("StandardStorage", "GB-Mo")
            .price(
                0.023,
                String::from("$0.023 per GB - first 50 TB / month of storage used"),
            )
            .usage(gb, true, None),
        );
        r.lines.push(
            Line::new(
                "AmazonS3",
                "API Request",
                format!("{}Requests-Tier1", reg.prefix),
            )
            .op("PutObject", "Requests")
            .price(
                0.000005,
                String::from("$0.005 per 1,000 PUT, COPY, POST, or LIST requests"),
            )
            .usage(rng.random_range(500.0..20_000.0), false, Some(0.5)),
        );
        r.lines.push(
            Line::new(
                "AmazonS3",
                "API Request",
                format!("{}Requests-Tier2", reg.prefix),
            )
            .op("GetObject", "Requests")
            .price(
                0.0000004,
                String::from("$0.004 per 10,000 GET and all other requests"),
            )
            .usage(rng.random_range(5_000.0..200_000.0), false, Some(0.5)),
        );
    }

    pub(crate) fn rds(
        &self,
        rng: &mut ChaCha8Rng,
        r: &mut Resource,
        classes: &[(&'static str, f64)],
    ) {
        let reg = r.region();
        let (class, price) = *rng::pick(rng, classes);
        r.id = format!(
            "arn:aws:rds:{}:{}:db:db-{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 8)
        );
        let p = price * reg.factor;
        let mut line = Line::new(
            "AmazonRDS",
            "Database Instance",
            format!("{}InstanceUsage:{class}", reg.prefix),
        )
        .op("CreateDBInstance:0002", "Hrs")
        .price(
            p,
            format!("${p} per RDS {class} instance hour (or partial hour) running MySQL"),
        );
        line.instance_type = class;
        r.lines.push(line);
        let sp = 0.115 * reg.factor;
        r.lines.push(
            Line::new(
                "AmazonRDS",
                "Database Storage",
                format!("{}RDS:GP2-Storage", reg.prefix),
            )
            .op("CreateDBInstance:0002", "GB-Mo")
            .price(
                sp,
                format!("${sp} per GB-month of provisioned gp2 storage running MySQL"),
            )
            .usage(rng.random_range(100.0..2000.0), true, None),
        );
    }

    fn lambda(&self, rng: &mut ChaCha8Rng, r: &mut Resource) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:lambda:{}:{}:function:fn-{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 8)
        );
        r.az = String::new();
        let inv = rng.random_range(200.0..20_000.0);
        r.lines.push(
            Line::new(
                "AWSLambda",
                "Serverless",
                format!("{}Lambda-GB-Second", reg.prefix),
            )
            .op("Invoke", "Lambda-GB-Second")
            .price(
                0.0000166667,
                String::from("AWS Lambda - Total Compute - US East (Northern Virginia)"),
            )
            .usage(inv * rng.random_range(0.02..0.4), false, Some(0.4)),
        );
        r.lines.push(
            Line::new("AWSLambda", "Serverless", format!("{}Request", reg.prefix))
                .op("Invoke", "Requests")
                .price(0.0000002, String::from("AWS Lambda - Total Requests"))
                .usage(inv, false, Some(0.4)),
        );
    }

    pub(crate) fn logs(&self, rng: &mut ChaCha8Rng, r: &mut Resource) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:logs:{}:{}:log-group:/app/{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 8)
        );
        r.az = String::new();
        r.lines.push(
            Line::new(
                "AmazonCloudWatch",
                "Data Payload",
                format!("{}DataProcessing-Bytes", reg.prefix),
            )
            .op("PutLogEvents", "GB")
            .price(0.5, String::from("$0.50 per GB custom log data ingested"))
            .usage(rng.random_range(0.01..0.4), false, Some(0.7)),
        );
        r.lines.push(
            Line::new(
                "AmazonCloudWatch",
                "Storage Snapshot",
                format!("{}TimedStorage-ByteHrs", reg.prefix),
            )
            .op("HourlyStorageMetering", "GB-Mo")
            .price(0.03, String::from("$0.03 per GB-mo of log storage"))
            .usage(rng.random_range(10.0..3000.0), true, None),
        );
    }

    pub(crate) fn kms(&self, rng: &mut ChaCha8Rng, r: &mut Resource, requests: f64) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:kms:{}:{}:key/{}",
            reg.code,
            self.acct(r.account),
            rng::uuid(rng)
        );
        r.az = String::new();
        r.lines.push(
            Line::new(
                "awskms",
                "Encryption Key",
                format!("{}KMS-Keys", reg.prefix),
            )
            .op("CreateKey", "Keys")
            .price(1.0, String::from("$1 per customer managed key per month"))
            .usage(1.0, true, None),
        );
        r.lines.push(
            Line::new(
                "awskms",
                "API Request",
                format!("{}KMS-Requests", reg.prefix),
            )
            .op("Decrypt", "Requests")
            .price(0.000003, String::from("$0.03 per 10,000 requests"))
            .usage(requests, false, Some(0.6)),
        );
    }

    pub(crate) fn secret(&self, rng: &mut ChaCha8Rng, r: &mut Resource, calls: f64) {
        let reg = r.region();
        r.id = format!(
            "arn:aws:secretsmanager:{}:{}:secret:app/{}-{}",
            reg.code,
            self.acct(r.account),
            rng::hex(rng, 6),
            rng::hex(rng, 6)
        );
        r.az = String::new();
        r.lines.push(
            Line::new(
                "AWSSecretsManager",
                "Secret",
                format!("{}AWSSecretsManager-Secrets", reg.prefix),
            )
            .op("StorageSecret", "Secrets")
            .price(0.4, String::from("$0.40 per secret per month"))
            .usage(1.0, true, None),
        );
        r.lines.push(
            Line::new(
                "AWSSecretsManager",
                "API Request",
                format!("{}AWSSecretsManager-APIRequest", reg.prefix),
            )
            .op("GetSecretValue", "API Requests")
            .price(0.000005, String::from("$0.05 per 10,000 API requests"))
            .usage(calls, false, Some(0.6)),
        );
    }

    /// Ordinary (non-waste) resources of one linked account.
    fn account_resources(&mut self, seed: u64, account: u16, scale: f64) {
        let mut rng = rng::rng_for(&[seed, STREAM_ACCOUNT, u64::from(account)]);
        for (kind, base) in BASE_COUNTS {
            let n = (base * scale)
                .round()
                .max(if kind == Kind::Ec2 { 1.0 } else { 0.0 }) as usize;
            for _ in 0..n {
                self.ordinary(&mut rng, account, kind);
            }
        }
    }

    fn ordinary(&mut self, rng: &mut ChaCha8Rng, account: u16, kind: Kind) {
        let env = *rng::pick(rng, &["prod", "prod", "prod", "staging", "dev", "test"]);
        let mut r = self.shell(rng, account, kind);
        r.tags = random_tags(rng, env);
        self.random_lifetime(rng, &mut r);
        match kind {
            Kind::Ec2 => {
                let t = *rng::pick(rng, &CURRENT_GEN);
                self.ec2(rng, &mut r, t, env);
                if env != "prod" && rng.random_bool(0.3) {
                    r.schedule = Schedule::Batch;
                }
                if rng.random_bool(0.3) {
                    self.data_transfer(rng, &mut r);
                }
                let mut vol = r.clone();
                vol.kind = Kind::Volume;
                vol.lines.clear();
                vol.schedule = Schedule::AlwaysOn;
                let vtype = if rng.random_bool(0.85) { "gp3" } else { "io1" };
                {
                    let v = rng.random_range(2..50u32) * 10;
                    self.volume(rng, &mut vol, vtype, v as f64)
                };
                self.push(r);
                self.push(vol);
                return;
            }
            Kind::Volume => {
                let v = rng.random_range(10..100u32) * 10;
                self.volume(rng, &mut r, "gp3", f64::from(v))
            }
            Kind::Snapshot => {
                r.start_h = rng.random_range(r.start_h..r.end_h.max(r.start_h + 1));
                {
                    let v = rng.random_range(2..60u32) * 10;
                    self.snapshot(rng, &mut r, v as f64)
                };
            }
            Kind::PublicIp => self.eip(rng, &mut r, false),
            Kind::Nat => self.nat(rng, &mut r, false),
            Kind::Lb => self.lb(rng, &mut r, false),
            Kind::S3 => self.s3(rng, &mut r),
            Kind::Rds => self.rds(rng, &mut r, &DB_ARM),
            Kind::Lambda => self.lambda(rng, &mut r),
            Kind::Logs => self.logs(rng, &mut r),
            Kind::Kms => {
                let q = rng.random_range(100.0..5_000.0);
                self.kms(rng, &mut r, q)
            }
            Kind::Secret => {
                let q = rng.random_range(10.0..500.0);
                self.secret(rng, &mut r, q)
            }
            _ => return,
        }
        self.push(r);
    }
}

/// Build the organisation (without injected waste) at a given scale.
pub(crate) fn build_base(
    seed: u64,
    period: &Period,
    accounts: &[Account],
    scale: f64,
) -> Vec<Resource> {
    let mut b = Builder {
        period,
        accounts,
        resources: Vec::new(),
    };
    for a in 1..accounts.len() {
        b.account_resources(seed, a as u16, scale);
    }
    b.resources
}

pub(crate) fn accounts(seed: u64, linked: u32) -> Vec<Account> {
    build_accounts(seed, linked)
}

fn pseudo(period: &Period, account: u16, kind: Kind, id: String) -> Resource {
    Resource {
        id,
        account,
        region: 0,
        az: String::new(),
        kind,
        schedule: Schedule::AlwaysOn,
        coverage: Coverage::OnDemand,
        start_h: period.start_hour(),
        end_h: period.end_hour(),
        tags: Tags::default(),
        lines: Vec::new(),
        first_billed: None,
    }
}

/// Choose Savings Plan coverage (always-on prod instances) and one RI. The RI is bought for
/// one instance more than it covers; with `always_reserve` it exists even when no instance
/// matches (then it is wholly unused).
pub(crate) fn add_commitments(model: &mut Model, always_reserve: bool) {
    let mut rng = rng::rng_for(&[model.seed, STREAM_COMMIT]);
    let full = |r: &Resource, p: &Period| r.start_h == p.start_hour() && r.end_h == p.end_hour();
    let mut covered = Vec::new();
    let mut ri_covered = Vec::new();
    let ri_type = "m6g.xlarge";
    for (i, r) in model.resources.iter_mut().enumerate() {
        let ok = r.kind == Kind::Ec2
            && r.schedule == Schedule::AlwaysOn
            && r.lines.first().is_some_and(|l| l.commitment);
        if !ok || r.lines.iter().any(|l| l.waste.is_some()) {
            continue;
        }
        if r.lines[0].instance_type == ri_type && r.region == 0 && ri_covered.len() < 3 {
            r.coverage = Coverage::Reserved;
            ri_covered.push(i as u32);
        } else if full(r, &model.period) && rng.random_bool(0.35) {
            r.coverage = Coverage::SavingsPlan;
            covered.push(i as u32);
        }
    }
    let payer = model.accounts[0].id.clone();
    if !covered.is_empty() {
        let discount = 0.28;
        let max: f64 = covered
            .iter()
            .map(|&i| model.resources[i as usize].lines[0].rate * (1.0 - discount))
            .sum();
        let hourly = (max * 1.05 * 1000.0).round() / 1000.0;
        let arn = format!(
            "arn:aws:savingsplans::{payer}:savingsplan/{}",
            rng::uuid(&mut rng)
        );
        let mut r = pseudo(&model.period, 0, Kind::SavingsPlan, arn.clone());
        let mut line = Line::new(
            "ComputeSavingsPlans",
            "Savings Plan",
            String::from("ComputeSP:1yrNoUpfront"),
        )
        .op("", "Hrs")
        .price(
            hourly,
            format!("1 year No Upfront Compute Savings Plan ${hourly} hourly commitment"),
        );
        line.commitment = true;
        r.lines.push(line);
        model.resources.push(r);
        model.savings_plan = Some(SavingsPlan {
            res: (model.resources.len() - 1) as u32,
            arn,
            hourly_commitment: hourly,
            discount,
            covered,
        });
    }
    let ri_account = match ri_covered.first() {
        Some(&first) => Some(model.resources[first as usize].account),
        None if always_reserve => Some(1),
        None => None,
    };
    if let Some(account) = ri_account {
        let acct = model.accounts[usize::from(account)].id.clone();
        let arn = format!(
            "arn:aws:ec2:us-east-1:{acct}:reserved-instances/{}",
            rng::uuid(&mut rng)
        );
        // 1-year no-upfront m6g.xlarge: about 63% of the $0.154 on-demand rate.
        let hourly = 0.097;
        let mut r = pseudo(&model.period, account, Kind::Reservation, arn.clone());
        r.lines.push(
            Line::new(
                "AmazonEC2",
                "Compute Instance",
                format!("USE1-HeavyUsage:{ri_type}"),
            )
            .op("RunInstances", "Hrs")
            .price(
                hourly,
                format!("USD {hourly} hourly fee per Linux/UNIX (Amazon VPC), {ri_type} instance"),
            ),
        );
        model.resources.push(r);
        model.reservation = Some(Reservation {
            res: (model.resources.len() - 1) as u32,
            arn,
            count: ri_covered.len() as u32 + 1,
            hourly,
            covered: ri_covered,
        });
    }
}

/// Billing pseudo-resources: tax per product, a credit and a refund.
pub(crate) fn add_billing(model: &mut Model) {
    for a in 0..model.accounts.len() {
        let mut r = pseudo(&model.period, a as u16, Kind::Billing, String::new());
        for p in PRODUCTS {
            r.lines.push(
                Line::new(p, "", String::new()).price(0.0, format!("Tax for product code {p}")),
            );
        }
        r.lines.push(
            Line::new("AmazonEC2", "", String::new())
                .price(0.0, String::from("AWS Promotional Credit")),
        );
        r.lines.push(
            Line::new("AmazonEC2", "", String::new())
                .price(0.0, String::from("Refund for service disruption")),
        );
        model.resources.push(r);
        model.billing.push((model.resources.len() - 1) as u32);
    }
}

pub(crate) const LINE_CREDIT: usize = PRODUCTS.len();
pub(crate) const LINE_REFUND: usize = PRODUCTS.len() + 1;

/// Sales tax rate of an account (some accounts are tax exempt).
pub(crate) fn tax_rate(account: usize) -> f64 {
    match account % 3 {
        0 => 0.0,
        1 => 0.0625,
        _ => 0.08875,
    }
}

/// Expected rows of a model, used to scale towards `target_rows`.
pub(crate) fn expected_rows(resources: &[Resource]) -> f64 {
    resources
        .iter()
        .map(|r| {
            let days = (r.end_h - r.start_h) as f64 / 24.0;
            let per_day = r.schedule.hours_per_day();
            let lines = r.lines.len() as f64
                + if r.coverage == Coverage::SavingsPlan {
                    1.0
                } else {
                    0.0
                };
            days * per_day * lines
        })
        .sum()
}
