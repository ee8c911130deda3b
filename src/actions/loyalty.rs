//! The loyalty programme: points per currency unit from a rules file, rewards at point thresholds,
//! optional expiry, tiers by lifetime or trailing-12-month spend; returns take points back. Each
//! customer's account is replayed from their orders in one parallel pass.
//!
//! ```toml
//! points_per_unit = 1            # points per 1.00 spent (integer)
//! rounding = "floor"             # per order: floor (default), round (half up) or ceil
//! expiry_days = 365              # optional: points expire this many days after they were earned
//! tier_basis = "trailing_12_months"   # or "lifetime" (default); net spend decides the tier
//!
//! [[reward]]
//! points = 250
//! value = "5.00"                 # in the store's currency
//!
//! [[tier]]
//! name = "Premier"
//! min_spend = "2500.00"
//! benefits = ["free shipping", "early access"]
//! ```

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::day::Day;
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::store::Store;
use crate::summary::CustomerId;
use crate::toml_file::TomlFile;

/// How an order's points are rounded to whole points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Down (the default: 9.99 at 1 point per unit earns 9).
    Floor,
    /// Half up.
    Round,
    /// Up.
    Ceil,
}

/// What decides a customer's tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// Net spend since the first order.
    Lifetime,
    /// Net spend in the 365 days up to the as-of day.
    Trailing12Months,
}

/// A reward: `points` buy a voucher worth `value` (minor units).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reward {
    /// Points it costs.
    pub points: u64,
    /// What it is worth, minor units.
    pub value: i64,
}

/// A tier: customers whose basis spend reaches `min_spend` (minor units).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tier {
    /// Its name.
    pub name: String,
    /// Spend needed, minor units.
    pub min_spend: i64,
    /// Benefits, as labels for the email tool.
    pub benefits: Vec<String>,
}

/// A loyalty programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Programme {
    /// Points per major currency unit.
    pub points_per_unit: u64,
    /// Rounding of each order's points.
    pub rounding: Rounding,
    /// Days after which earned points expire.
    pub expiry_days: Option<u32>,
    /// Rewards, by points ascending.
    pub rewards: Vec<Reward>,
    /// Tier basis.
    pub tier_basis: TierBasis,
    /// Tiers, by spend ascending (customers below the first have no tier).
    pub tiers: Vec<Tier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    points_per_unit: Spanned<i64>,
    #[serde(default)]
    rounding: Option<Spanned<String>>,
    #[serde(default)]
    expiry_days: Option<Spanned<i64>>,
    #[serde(default)]
    tier_basis: Option<Spanned<String>>,
    #[serde(default)]
    reward: Vec<Spanned<RewardSpec>>,
    #[serde(default)]
    tier: Vec<Spanned<TierSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RewardSpec {
    points: i64,
    value: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierSpec {
    name: String,
    min_spend: Spanned<String>,
    #[serde(default)]
    benefits: Vec<String>,
}

impl Programme {
    /// Parses a programme file; errors give the file and line.
    ///
    /// ```
    /// use retention::{actions::Programme, Currency};
    /// # fn main() -> retention::Result<()> {
    /// let text = "points_per_unit = 1\n[[reward]]\npoints = 250\nvalue = \"5.00\"\n";
    /// let p = Programme::parse(text, "loyalty.toml", &Currency::default())?;
    /// assert_eq!((p.rewards[0].points, p.rewards[0].value), (250, 500));
    /// let bad = Programme::parse("points_per_unit = 0\n", "loyalty.toml", &Currency::default());
    /// assert!(bad.is_err_and(|e| e.to_string().starts_with("loyalty.toml:1:")));
    /// # Ok(()) }
    /// ```
    pub fn parse(text: &str, source_name: &str, currency: &Currency) -> Result<Programme> {
        let src = TomlFile::new(text, source_name);
        let at = |span: std::ops::Range<usize>, value: Option<&str>, reason: String| src.error(span, value, reason);
        let file: File = src.parse()?;
        let money = |s: &Spanned<String>| src.money(currency, s);
        let ppu = *file.points_per_unit.get_ref();
        if !(1..=1_000_000).contains(&ppu) {
            return Err(at(
                file.points_per_unit.span(),
                None,
                "points_per_unit must be a whole number from 1 to 1,000,000".into(),
            ));
        }
        let rounding = match file.rounding.as_ref().map(|r| (r.get_ref().as_str(), r.span())) {
            None | Some(("floor", _)) => Rounding::Floor,
            Some(("round", _)) => Rounding::Round,
            Some(("ceil", _)) => Rounding::Ceil,
            Some((other, span)) => return Err(at(span, Some(other), "rounding must be floor, round or ceil".into())),
        };
        let tier_basis = match file.tier_basis.as_ref().map(|r| (r.get_ref().as_str(), r.span())) {
            None | Some(("lifetime", _)) => TierBasis::Lifetime,
            Some(("trailing_12_months", _)) => TierBasis::Trailing12Months,
            Some((other, span)) => {
                return Err(at(span, Some(other), "tier_basis must be lifetime or trailing_12_months".into()));
            }
        };
        let expiry_days = match &file.expiry_days {
            None => None,
            Some(d) if (1..=36_525).contains(d.get_ref()) => Some(*d.get_ref() as u32),
            Some(d) => return Err(at(d.span(), None, "expiry_days must be from 1 to 36,525".into())),
        };
        let mut rewards = Vec::new();
        for r in &file.reward {
            let spec = r.get_ref();
            let value = money(&spec.value)?;
            if spec.points <= 0 || value <= 0 {
                return Err(at(r.span(), None, "a reward needs points > 0 and a value > 0".into()));
            }
            rewards.push(Reward { points: spec.points as u64, value });
        }
        rewards.sort_by_key(|r| r.points);
        let mut tiers: Vec<Tier> = Vec::new();
        for t in &file.tier {
            let spec = t.get_ref();
            let min_spend = money(&spec.min_spend)?;
            if spec.name.trim().is_empty() {
                return Err(at(t.span(), None, "a tier needs a name".into()));
            }
            if tiers.last().is_some_and(|prev| prev.min_spend >= min_spend) {
                return Err(at(
                    t.span(),
                    Some(&spec.name),
                    "tiers must be listed by strictly increasing min_spend".into(),
                ));
            }
            tiers.push(Tier { name: spec.name.trim().to_string(), min_spend, benefits: spec.benefits.clone() });
        }
        Ok(Programme { points_per_unit: ppu as u64, rounding, expiry_days, rewards, tier_basis, tiers })
    }

    /// Checks what `parse` guarantees, for programmes built in code: positive points per unit and
    /// rewards, tiers by strictly increasing spend.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, reason: &str| Err(Error::invalid("Programme::validate", what, reason));
        if self.points_per_unit == 0 {
            return bad("points_per_unit = 0", "must be at least 1");
        }
        if self.rewards.iter().any(|r| r.points == 0 || r.value <= 0) {
            return bad("reward", "every reward needs points > 0 and a value > 0");
        }
        if self.rewards.windows(2).any(|w| w[0].points > w[1].points) {
            return bad("reward", "rewards must be sorted by points");
        }
        if self.tiers.windows(2).any(|w| w[0].min_spend >= w[1].min_spend) {
            return bad("tier", "tiers must be sorted by strictly increasing min_spend");
        }
        Ok(())
    }

    /// Reads and parses a programme file.
    pub fn load(path: &std::path::Path, currency: &Currency) -> Result<Programme> {
        let text = TomlFile::read(path)?;
        Programme::parse(&text, &path.display().to_string(), currency)
    }

    /// Points for `amount` minor units (its absolute value) at `scale` minor units per major unit.
    fn points(&self, amount: i64, scale: i64) -> u64 {
        let num = i128::from(amount).abs() * i128::from(self.points_per_unit);
        let den = i128::from(scale);
        let points = match self.rounding {
            Rounding::Floor => num / den,
            Rounding::Round => (2 * num + den) / (2 * den),
            Rounding::Ceil => (num + den - 1) / den,
        };
        u64::try_from(points).unwrap_or(u64::MAX)
    }

    /// What a balance can be exchanged for now, redeeming the largest rewards first: (rewards,
    /// value in minor units). Greedy: when a smaller reward is worth more per point than a larger
    /// one, a different mix could be worth more, and the liability is then understated.
    fn redeemable(&self, mut balance: u64) -> (u64, i64) {
        let (mut count, mut value) = (0u64, 0i64);
        for r in self.rewards.iter().rev() {
            let n = balance / r.points;
            count += n;
            value = value.saturating_add((n as i64).saturating_mul(r.value));
            balance -= n * r.points;
        }
        (count, value)
    }
}

/// One customer's loyalty account as of a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The customer.
    pub customer: CustomerId,
    /// Points earned by purchases.
    pub earned: u64,
    /// Points taken back by returns.
    pub deducted: u64,
    /// Points expired unused.
    pub expired: u64,
    /// Points available.
    pub balance: u64,
    /// Rewards the balance buys now (largest first).
    pub rewards: u64,
    /// Their value, minor units.
    pub reward_value: i64,
    /// Net spend on the tier basis, minor units.
    pub tier_spend: i64,
    /// Index of the current tier in [`Programme::tiers`].
    pub tier: Option<usize>,
    /// Spend still needed for the next tier, minor units.
    pub to_next_tier: Option<i64>,
}

/// Programme-wide totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgrammeTotals {
    /// Customers with an account (a purchase by the day).
    pub members: u64,
    /// Points available across all accounts.
    pub points_outstanding: u64,
    /// What the redeemable rewards are worth: the shop's liability if everyone redeemed today,
    /// minor units.
    pub liability: i64,
    /// Customers per tier, in [`Programme::tiers`] order; customers below every tier are not counted.
    pub per_tier: Vec<u64>,
}

impl Store {
    /// Every customer's loyalty account under `programme` as of `as_of` (default: the latest
    /// order day), in id order, and the programme totals.
    pub fn loyalty(&self, programme: &Programme, as_of: Option<Day>) -> Result<(Vec<Account>, ProgrammeTotals)> {
        programme.validate()?;
        let snapshot = self.snapshot();
        let end = snapshot.as_of_or_latest(as_of)?.days();
        let scale = self.currency().scale();
        let shards = snapshot.fold_records(Vec::new, |out: &mut Vec<Account>, id, record| {
            // Lots of points by the day they were earned; returns take from the newest first.
            let mut lots: Vec<(i32, u64)> = Vec::new();
            let (mut earned, mut deducted, mut lifetime, mut trailing) = (0u64, 0u64, 0i64, 0i64);
            let mut bought = false;
            for pair in record.pairs() {
                let (day, amount) = pair.map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                if day > end {
                    break;
                }
                lifetime = lifetime.saturating_add(amount);
                if day > end - 365 {
                    trailing = trailing.saturating_add(amount);
                }
                let points = programme.points(amount, scale);
                if amount >= 0 {
                    bought = true;
                    earned = earned.saturating_add(points);
                    lots.push((day, points));
                } else {
                    let mut left = points;
                    while left > 0 {
                        let Some(last) = lots.last_mut() else { break };
                        let taken = left.min(last.1);
                        last.1 -= taken;
                        left -= taken;
                        deducted = deducted.saturating_add(taken);
                        if last.1 == 0 {
                            lots.pop();
                        }
                    }
                }
            }
            if !bought {
                return Ok(());
            }
            let fresh = |day: i32| programme.expiry_days.is_none_or(|n| end - day < n as i32);
            let sum = |keep: bool| lots.iter().filter(|l| fresh(l.0) == keep).fold(0u64, |s, l| s.saturating_add(l.1));
            let (balance, expired) = (sum(true), sum(false));
            let (rewards, reward_value) = programme.redeemable(balance);
            let tier_spend = match programme.tier_basis {
                TierBasis::Lifetime => lifetime,
                TierBasis::Trailing12Months => trailing,
            };
            let tier = programme.tiers.iter().rposition(|t| tier_spend >= t.min_spend);
            let next = programme.tiers.get(tier.map_or(0, |t| t + 1));
            out.push(Account {
                customer: CustomerId(id),
                earned,
                deducted,
                expired,
                balance,
                rewards,
                reward_value,
                tier_spend,
                tier,
                to_next_tier: next.map(|t| t.min_spend - tier_spend),
            });
            Ok(())
        })?;
        let accounts: Vec<Account> = shards.into_iter().flatten().collect();
        let mut per_tier = vec![0u64; programme.tiers.len()];
        for a in &accounts {
            if let Some(t) = a.tier {
                per_tier[t] += 1;
            }
        }
        let totals = ProgrammeTotals {
            members: accounts.len() as u64,
            points_outstanding: accounts.iter().fold(0u64, |s, a| s.saturating_add(a.balance)),
            liability: accounts.iter().fold(0i64, |s, a| s.saturating_add(a.reward_value)),
            per_tier,
        };
        Ok((accounts, totals))
    }
}

/// A customer about to drop out of their tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lapse {
    /// The customer.
    pub customer: CustomerId,
    /// Index of their current tier in [`Programme::tiers`].
    pub tier: usize,
    /// Trailing-12-month net spend today, minor units.
    pub tier_spend: i64,
    /// The first day their trailing spend falls below the tier if they buy nothing more.
    pub lapses_on: Day,
    /// Spend needed by then to keep the tier, minor units.
    pub to_keep: i64,
}

impl Store {
    /// Customers whose trailing-12-month spend keeps them in a tier today but, without another
    /// purchase, falls below it within `within_days` as old orders leave the 365-day window:
    /// the about-to-lapse list. Only for programmes with `tier_basis = "trailing_12_months"`.
    pub fn tier_lapses(
        &self,
        programme: &Programme,
        as_of: Option<Day>,
        within_days: u32,
        members: Option<&[bool]>,
    ) -> Result<Vec<Lapse>> {
        programme.validate()?;
        if programme.tier_basis != TierBasis::Trailing12Months {
            return Err(Error::invalid("Programme::tier_basis", "lifetime", "tiers by lifetime spend never lapse"));
        }
        let snapshot = self.snapshot();
        let end = snapshot.as_of_or_latest(as_of)?.days();
        let within = i32::try_from(within_days).unwrap_or(i32::MAX);
        let shards = snapshot.fold_records(Vec::new, |out: &mut Vec<Lapse>, id, record| {
            if members.is_some_and(|m| !m.get(id as usize).copied().unwrap_or(false)) {
                return Ok(());
            }
            let mut window: Vec<(i32, i64)> = Vec::new();
            for pair in record.pairs() {
                let (day, amount) = pair.map_err(|e| Error::corrupt(format!("customer {id}"), e.to_string()))?;
                if day > end {
                    break;
                }
                if day > end.saturating_sub(365) {
                    window.push((day, amount));
                }
            }
            let spend: i64 = window.iter().fold(0i64, |s, w| s.saturating_add(w.1));
            let Some(tier) = programme.tiers.iter().rposition(|t| spend >= t.min_spend) else { return Ok(()) };
            let min = programme.tiers[tier].min_spend;
            // An order of day d leaves the window on day d + 365; walk them oldest first, a whole
            // day's orders at a time (they leave together).
            let mut remaining = spend;
            for (i, &(day, amount)) in window.iter().enumerate() {
                let leaves = day.saturating_add(365);
                if leaves - end > within {
                    break;
                }
                remaining = remaining.saturating_sub(amount);
                let last_of_day = window.get(i + 1).is_none_or(|next| next.0 != day);
                if last_of_day && remaining < min {
                    out.push(Lapse {
                        customer: CustomerId(id),
                        tier,
                        tier_spend: spend,
                        lapses_on: Day::from_days(leaves),
                        to_keep: min - remaining,
                    });
                    break;
                }
            }
            Ok(())
        })?;
        Ok(shards.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_greedy_rewards() {
        let text = "points_per_unit = 2\nrounding = \"round\"\n[[reward]]\npoints = 100\nvalue = \"1.00\"\n[[reward]]\npoints = 250\nvalue = \"5.00\"\n";
        let p = Programme::parse(text, "l.toml", &Currency::default()).unwrap();
        assert_eq!(p.points(999, 100), 20); // 9.99 × 2 = 19.98 → 20
        assert_eq!(p.points(-999, 100), 20);
        let floor = Programme { rounding: Rounding::Floor, ..p.clone() };
        assert_eq!(floor.points(999, 100), 19);
        let ceil = Programme { rounding: Rounding::Ceil, ..p.clone() };
        assert_eq!((ceil.points(1_000, 100), ceil.points(1_001, 100)), (20, 21));
        // 620 points: two 250s (10.00) and one 100 (1.00); 20 left over.
        assert_eq!(p.redeemable(620), (3, 1_100));
    }

    #[test]
    fn bad_files_name_the_line() {
        let cases = [
            ("points_per_unit = 1\nrounding = \"up\"\n", "l.toml:2:", "floor, round or ceil"),
            (
                "points_per_unit = 1\n[[tier]]\nname = \"B\"\nmin_spend = \"100\"\n[[tier]]\nname = \"A\"\nmin_spend = \"50\"\n",
                "l.toml:5:",
                "increasing",
            ),
            ("points_per_unit = 1\n[[reward]]\npoints = 0\nvalue = \"5\"\n", "l.toml:2:", "points > 0"),
            ("points_per_unit = 1\n[[reward]]\npoints = 10\nvalue = \"5,00\"\n", "l.toml:4:", "invalid amount"),
            ("points_per_unit = 1\nexpiry_days = 0\n", "l.toml:2:", "expiry_days"),
        ];
        for (text, at, reason) in cases {
            let e = Programme::parse(text, "l.toml", &Currency::default()).unwrap_err().to_string();
            assert!(e.starts_with(at) && e.contains(reason), "{text:?}: {e}");
        }
    }
}
