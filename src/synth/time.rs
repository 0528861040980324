//! Calendar arithmetic for the synthetic period: civil dates, epoch days and
//! hours, weekends, billing months and the timestamp formats of the outputs.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    crate::calendar::days_from_civil(i64::from(y), i64::from(m), i64::from(d))
}

/// Inverse of [`days_from_civil`].
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let (y, m, d) = crate::calendar::civil_from_days(z);
    (y as i32, m, d)
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    crate::calendar::days_in_month(i64::from(y), i64::from(m)) as u32
}

pub(crate) fn is_weekend(epoch_day: i64) -> bool {
    (epoch_day + 3).rem_euclid(7) >= 5
}

pub(crate) fn fmt_date(epoch_day: i64) -> String {
    let (y, m, d) = civil_from_days(epoch_day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(crate) fn fmt_compact_date(epoch_day: i64) -> String {
    let (y, m, d) = civil_from_days(epoch_day);
    format!("{y:04}{m:02}{d:02}")
}

/// `2025-10-01T00:00:00Z` from milliseconds since the epoch (whole seconds).
pub(crate) fn fmt_ts_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let day = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        fmt_date(day),
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

pub(crate) const MS_PER_HOUR: i64 = 3_600_000;

/// One billing month touched by the period.
#[derive(Clone, Debug)]
pub(crate) struct Month {
    pub year: i32,
    pub month: u32,
    /// First and one-past-last epoch day of the calendar month.
    pub bill_start: i64,
    pub bill_end: i64,
    /// First and last (inclusive) epoch day of the period inside this month.
    pub first_day: i64,
    pub last_day: i64,
}

impl Month {
    pub(crate) fn hours(&self) -> f64 {
        ((self.bill_end - self.bill_start) * 24) as f64
    }
    pub(crate) fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// The generated period: `days` whole UTC days from `start_day`.
#[derive(Clone, Debug)]
pub(crate) struct Period {
    pub start_day: i64,
    pub days: u32,
    pub months: Vec<Month>,
}

impl Period {
    pub(crate) fn new(start_day: i64, days: u32) -> Period {
        let end = start_day + i64::from(days);
        let mut months = Vec::new();
        let mut day = start_day;
        while day < end {
            let (y, m, _) = civil_from_days(day);
            let bill_start = days_from_civil(y, m, 1);
            let bill_end = bill_start + i64::from(days_in_month(y, m));
            let last = bill_end.min(end) - 1;
            months.push(Month {
                year: y,
                month: m,
                bill_start,
                bill_end,
                first_day: day,
                last_day: last,
            });
            day = last + 1;
        }
        Period {
            start_day,
            days,
            months,
        }
    }
    pub(crate) fn end_day(&self) -> i64 {
        self.start_day + i64::from(self.days)
    }
    pub(crate) fn start_hour(&self) -> i64 {
        self.start_day * 24
    }
    pub(crate) fn end_hour(&self) -> i64 {
        self.end_day() * 24
    }
    pub(crate) fn month_of_day(&self, day: i64) -> usize {
        self.months
            .iter()
            .position(|m| day >= m.first_day && day <= m.last_day)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_weekday() {
        let d = days_from_civil(2025, 10, 1);
        assert_eq!(civil_from_days(d), (2025, 10, 1));
        assert!(!is_weekend(d));
        assert!(is_weekend(days_from_civil(2025, 10, 4)));
        assert_eq!(
            fmt_ts_ms(d * 86_400_000 + MS_PER_HOUR),
            "2025-10-01T01:00:00Z"
        );
        let p = Period::new(days_from_civil(2025, 10, 20), 20);
        assert_eq!(p.months.len(), 2);
        assert_eq!(p.months[1].first_day, days_from_civil(2025, 11, 1));
    }
}
