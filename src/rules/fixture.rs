//! Hand-made resources and contexts for the rules' unit tests.

use super::resources::{Period, Resource, UsageLine};
use super::{Constants, Context, Series};

/// A `Usage` line of `service` billed `hours` distinct hours.
pub fn line(service: &str, usage_type: &str, usage: f64, cost: f64, hours: u64) -> UsageLine {
    UsageLine {
        usage_type: usage_type.into(),
        operation: String::new(),
        service: service.into(),
        instance_type: None,
        line_item_type: "Usage".into(),
        cost,
        usage,
        hours,
        first_day: 0,
        last_day: 29,
    }
}

/// A resource in account 123456789012, us-east-1, billed on days `first..=last`.
pub fn resource(id: &str, lines: Vec<UsageLine>, first: i64, last: i64) -> Resource {
    Resource {
        id: id.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        tags: Default::default(),
        lines,
        first_day: first,
        last_day: last,
    }
}

/// Days 0 to 29.
pub const PERIOD: Period = Period {
    first_day: 0,
    last_day: 29,
};

/// Every column a rule may need.
pub fn columns() -> Vec<String> {
    [
        "resource_id",
        "usage_type",
        "usage_start",
        "line_item_type",
        "product_code",
        "operation",
        "instance_type",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `f` on a context over `resources` and `series` with the default constants.
pub fn with_context<T>(
    resources: &[Resource],
    series: &Series,
    constants: &Constants,
    f: impl FnOnce(&Context) -> T,
) -> T {
    let columns = columns();
    let ctx = Context {
        resources,
        period: PERIOD,
        constants,
        columns: &columns,
        series,
    };
    f(&ctx)
}

/// `a` and `b` equal to 1e-9.
pub fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}
