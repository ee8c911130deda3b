//! Entry points for the fuzz targets and benchmarks into the private record codec. Not part of the
//! stable API: the on-disk layout behind them changes with the format version.
//!
//! The fuzz checks are assertions: a panic in them is the fuzzer reporting a bug, so `expect` is
//! allowed here (and only here outside tests).
#![allow(clippy::expect_used)]

use crate::store::codec::block::BlockView;
use crate::store::codec::record::{Line, Record, RecordView};
use crate::store::codec::{bucket, varint::DecodeError};
use crate::store::summarize::summarize;

/// Encodes a customer record from (day, amount, fingerprint) orders, each with one category.
pub fn encode_record(external_id: &[u8], orders: &[(i32, i64, u64)], category: Option<u32>) -> Vec<u8> {
    let mut r = Record::new(external_id.to_vec());
    for &(day, amount, fp) in orders {
        let line = category.map(|category| Line { category, amount });
        r.push_order(day, amount, fp, line.as_slice());
    }
    r.sort_orders();
    let mut out = Vec::new();
    r.encode(&mut out);
    out
}

/// Fully decodes a record; returns its order count.
pub fn decode_record(bytes: &[u8]) -> Result<usize, String> {
    Record::decode(bytes).map(|r| r.orders.len()).map_err(|e| e.to_string())
}

/// Streams a record's (day, amount) pairs into a summary as of `as_of`: the scan's inner loop.
/// Returns (orders, spend) of the summary, if the customer had a purchase by then.
pub fn summarize_record(bytes: &[u8], as_of: i32) -> Result<Option<(u32, i64)>, String> {
    let view = RecordView::parse(bytes).map_err(|e| e.to_string())?;
    let (s, _) = summarize(0, &view, as_of).map_err(|e| e.to_string())?;
    Ok(s.map(|s| (s.orders, s.spend)))
}

/// Feeds arbitrary bytes to every decoder the store has (record, block, id bucket), checking that
/// none panics and that whatever decodes re-encodes to the same bytes. Panics only on a real bug.
pub fn fuzz_decoders(data: &[u8]) {
    if let Ok(rec) = Record::decode(data) {
        let mut again = Vec::new();
        rec.encode(&mut again);
        assert_eq!(again, data, "a decoded record must re-encode to its bytes");
        let view = RecordView::parse(data).expect("decoded record parses as a view");
        let pairs: Result<Vec<_>, DecodeError> = view.pairs().collect();
        assert_eq!(pairs.map(|p| p.len()).ok(), Some(rec.orders.len()));
        // The streamed category column agrees with the full decode, at the end and half-way.
        let (mut scratch, mut streamed) = (Vec::new(), Vec::new());
        let middle = rec.orders.get(rec.orders.len() / 2).map_or(0, |o| o.day);
        for as_of in [i32::MAX, middle] {
            if view.category_spend(as_of, &mut scratch, &mut streamed).is_err() {
                continue; // an overflow the full decode does not check (sums across orders)
            }
            // Wrapping: the stream sums in another order, and its sum fitting means this one does too.
            let mut decoded = std::collections::BTreeMap::<u32, (i64, i64)>::new();
            let mut add = |c: u32, a: i64| {
                let e = decoded.entry(c).or_default();
                *e = (e.0.wrapping_add(a), e.1.saturating_add(a.max(0)));
            };
            for o in rec.orders.iter().filter(|o| o.day <= as_of) {
                match rec.lines_of(o) {
                    [] => add(0, o.amount),
                    lines => lines.iter().for_each(|l| add(l.category, l.amount)),
                }
            }
            let streamed: Vec<_> = streamed.iter().map(|s| (s.category, (s.net, s.bought))).collect();
            assert_eq!(streamed, decoded.into_iter().collect::<Vec<_>>());
        }
    }
    if let Ok(view) = RecordView::parse(data) {
        let _ = summarize(0, &view, i32::MAX);
        let _ = summarize(0, &view, 0);
        let _ = view.category_spend(0, &mut Vec::new(), &mut Vec::new());
    }
    if let Ok(block) = BlockView::parse(data) {
        for i in 0..block.len() {
            if let Some(r) = block.record(i) {
                let _ = Record::decode(r);
            }
        }
    }
    if let Ok(entries) = bucket::decode(data) {
        for e in entries {
            let _ = e;
        }
    }
}

/// Parses `data` as an input of `preset` as an ingest does, without a store, checking the parser's
/// bookkeeping; the rows parsed, or the error that stopped the input.
pub fn parse_rows(preset: crate::Preset, data: &[u8]) -> crate::Result<u64> {
    crate::ingest::fuzz_parse(preset, data)
}

/// Feeds arbitrary bytes to the CSV row parser of every preset.
pub fn fuzz_csv(data: &[u8]) {
    for preset in [crate::Preset::Generic, crate::Preset::Cdnow, crate::Preset::LineItems] {
        let _ = parse_rows(preset, data);
    }
}

/// Feeds arbitrary text to the settings-file parsers: RFM rules files and loyalty programmes, in
/// two currencies (2 and 0 decimals). A file that parses must describe a programme that validates.
pub fn fuzz_settings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for currency in [crate::Currency::default(), crate::Currency::new("JPY", 0).expect("JPY has 0 decimals")] {
        let _ = crate::rfm::RulesFile::parse(text, "fuzz.toml", &currency);
        if let Ok(p) = crate::actions::Programme::parse(text, "fuzz.toml", &currency) {
            assert!(p.validate().is_ok(), "a parsed programme validates");
        }
    }
}
