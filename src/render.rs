//! Text rendering shared by every output: money formatting, Markdown table cells that no
//! input can break, CSV fields.

/// `1234567.891` → `1,234,567.89`; negative amounts keep their sign; `-0.00` reads `0.00`.
pub fn money_2dp(v: f64) -> String {
    let cents = (v * 100.0).round();
    let negative = cents < 0.0;
    let text = format!("{:.2}", cents.abs() / 100.0);
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

/// Escapes text for one Markdown table cell: pipes, backticks, HTML, emphasis markers and
/// line breaks cannot end the cell or inject markup.
pub fn escape_md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// JSON with every number rounded to [`crate::money::MONEY_DECIMALS`] decimals, so the
/// machine-readable twin of a report prints the same digits whatever the thread count.
pub fn json_rounded<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let mut v = serde_json::to_value(value)?;
    round_numbers(&mut v);
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

fn round_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64().map(crate::money::round_money)
                && let Some(rounded) = serde_json::Number::from_f64(x)
            {
                *n = rounded;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(round_numbers),
        serde_json::Value::Object(map) => map.values_mut().for_each(round_numbers),
        _ => {}
    }
}

/// A CSV field, quoted when it needs to be.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_rounded() {
        assert_eq!(money_2dp(1_234_567.891), "1,234,567.89");
        assert_eq!(money_2dp(-1234.5), "-1,234.50");
        assert_eq!(money_2dp(-0.001), "0.00");
        assert_eq!(money_2dp(999.999), "1,000.00");
    }

    #[test]
    fn markdown_cells_cannot_break_tables() {
        let nasty = "a|b`c`<script>alert(1)</script>\nnext *bold*";
        let cell = escape_md_cell(nasty);
        assert!(!cell.contains('\n'));
        assert!(!cell.contains("<script>"));
        assert_eq!(cell.matches('|').count(), cell.matches("\\|").count());
    }

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
