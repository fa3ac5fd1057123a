//! The date formats the emulator writes.

use time::format_description::well_known::Rfc2822;
use time::macros::format_description;
use time::OffsetDateTime;

/// `2026-11-22T04:10:00Z` (RFC 3339, UTC, whole seconds) — Graph's `sentDateTime` style.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// `2026-11-22T04:10:00` (UTC, no offset) — Graph's `innerError.date`.
pub(crate) fn graph_error_date(t: OffsetDateTime) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00".to_string())
}

/// `2026-11-22 04:10:00Z` — the identity platform's error `timestamp`.
pub(crate) fn aad_timestamp(t: OffsetDateTime) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_else(|_| "1970-01-01 00:00:00Z".to_string())
}

/// `2026-11-22T04:10:00.0000000Z` — instants in identity platform error texts (e.g. the
/// valid time range of a client assertion). Out-of-range seconds give the epoch.
pub(crate) fn aad_instant(unix_seconds: i64) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].0000000Z");
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&f)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.0000000Z".to_string())
}

/// `11/22/2026 04:10:00` — certificate validity in identity platform error texts.
pub(crate) fn aad_key_date(unix_seconds: i64) -> String {
    let f = format_description!("[month]/[day]/[year] [hour]:[minute]:[second]");
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&f)
        .unwrap_or_else(|_| "01/01/1970 00:00:00".to_string())
}

/// `Sun, 22 Nov 2026 04:10:00 +0000` — RFC 2822 `Date:` header.
pub(crate) fn rfc2822(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".to_string())
}

/// `Sun, 22 Nov 2026 04:10:00 GMT` — the IMF-fixdate of HTTP dates (RFC 9110), e.g. in
/// `Retry-After`.
pub(crate) fn imf_fixdate(t: OffsetDateTime) -> String {
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        let t = datetime!(2026-11-22 04:10:00 UTC);
        assert_eq!(rfc3339(t), "2026-11-22T04:10:00Z");
        assert_eq!(graph_error_date(t), "2026-11-22T04:10:00");
        assert_eq!(aad_timestamp(t), "2026-11-22 04:10:00Z");
        assert_eq!(rfc2822(t), "Sun, 22 Nov 2026 04:10:00 +0000");
        assert_eq!(imf_fixdate(t), "Sun, 22 Nov 2026 04:10:00 GMT");
        assert_eq!(
            imf_fixdate(datetime!(2027-03-05 09:08:07 +02:00)),
            "Fri, 05 Mar 2027 07:08:07 GMT"
        );
        let secs = t.unix_timestamp();
        assert_eq!(aad_instant(secs), "2026-11-22T04:10:00.0000000Z");
        assert_eq!(aad_instant(i64::MAX), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(aad_key_date(secs), "11/22/2026 04:10:00");
    }
}
