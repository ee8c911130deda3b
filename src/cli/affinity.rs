//! The `affinity` command: category pairs with support, confidence and lift, the figures per
//! category, or each customer's spend by category.

use std::io::Write;

use super::Failure;
use super::actions::open;
use super::args::AffinityArgs;
use super::output::{self, Col, Format, RowWriter, Table};
use retention::lake::Cell;
use retention::metrics::UNCATEGORIZED_NAME;

pub fn run(a: &AffinityArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let (store, as_of, members) = open(&a.list)?;
    let c = store.currency();
    if a.customers {
        let shares = store.category_shares(as_of, members.as_deref())?;
        let categories = store.categories()?;
        let category = |id: u32| match id {
            0 => UNCATEGORIZED_NAME,
            id => categories.get(id as usize - 1).map_or("", String::as_str),
        };
        let names = store.external_ids()?;
        let columns = vec![
            Col::text("customer", 14),
            Col::text("category", 16),
            Col::money("spend", 12),
            Col::float("share", 0, 4),
        ];
        let mut w = RowWriter::new(out, format, a.list.out.as_deref(), columns, &c)?;
        for customer in &shares {
            let name = output::name(&names, customer.customer);
            if w.is_json() {
                let categories: Vec<_> = customer
                    .categories
                    .iter()
                    .map(
                        |s| serde_json::json!({ "category": category(s.category), "spend": s.spend, "share": s.share }),
                    )
                    .collect();
                w.write_json(
                    &serde_json::json!({ "customer": name, "spend": customer.spend, "categories": categories }),
                )?;
                continue;
            }
            for s in &customer.categories {
                w.write_cells(&[
                    Cell::Text(name),
                    Cell::Text(category(s.category)),
                    Cell::Money(s.spend),
                    Cell::Float(s.share),
                ])?;
            }
        }
        return Ok(w.finish()?);
    }
    // With --categories no pair is listed (the JSON then has none either).
    let min_customers = if a.categories { u64::MAX } else { a.min_customers };
    let affinity = store.category_affinity(as_of, min_customers, members.as_deref())?;
    if format == Format::Json {
        let named = |id: u32| affinity.name(id);
        let pairs: Vec<_> = affinity
            .pairs
            .iter()
            .map(|p| serde_json::json!({ "a_name": named(p.a), "b_name": named(p.b), "pair": p }))
            .collect();
        return Ok(output::json(
            out,
            &serde_json::json!({
                "segment": a.list.segment, "as_of": affinity.as_of, "customers": affinity.customers,
                "categories": affinity.categories, "pairs": pairs,
            }),
        )?);
    }
    if format == Format::Table {
        let scope = a.list.segment.as_deref().unwrap_or("all customers");
        writeln!(
            out,
            "Category affinity to {} ({scope}, {} customers buying a category)\n",
            affinity.as_of, affinity.customers
        )?;
    }
    if a.categories {
        let mut t = Table::new(&["category", "customers", "revenue", "share"]).numeric(&[1, 2, 3]);
        let mut by_revenue: Vec<_> = affinity.categories.iter().collect();
        by_revenue.sort_by_key(|f| std::cmp::Reverse(f.revenue));
        for f in by_revenue {
            t.push(vec![
                f.name.clone(),
                f.customers.to_string(),
                c.format(f.revenue),
                format!("{:.1}%", 100.0 * f.revenue_share),
            ]);
        }
        return Ok(t.write(out, format)?);
    }
    let mut t =
        Table::new(&["a", "b", "customers", "support", "P(b | a)", "P(a | b)", "lift"]).numeric(&[2, 3, 4, 5, 6]);
    for p in &affinity.pairs {
        t.push(vec![
            affinity.name(p.a).to_string(),
            affinity.name(p.b).to_string(),
            p.customers.to_string(),
            format!("{:.4}", p.support),
            format!("{:.4}", p.confidence_ab),
            format!("{:.4}", p.confidence_ba),
            format!("{:.3}", p.lift),
        ]);
    }
    Ok(t.write(out, format)?)
}
