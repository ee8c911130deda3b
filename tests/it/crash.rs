//! Crash safety: a child `retention ingest` is killed with SIGKILL at random moments; after every
//! kill the store opens and reads *exactly* as before the ingest or exactly as after it (the export,
//! every order and category line, compared byte for byte), never a mix. Every fourth round goes on
//! from the store a kill left, so a kill can land in the recovery of an earlier one. Re-running the
//! ingest to completion then gives exactly the store of a clean ingest: nothing lost, nothing twice.
//!
//! `CRASH_KILLS=N` sets the number of kills (default 20), `CRASH_CUSTOMERS` the shop's size
//! (default 150,000) and `CRASH_SEED=S` replays a run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use retention::generate::{Shop, ShopConfig};
use retention::{Day, Store, Summary};

/// Far past every order, so summaries compare whatever the latest order day.
fn far() -> Option<Day> {
    Day::from_ymd(2100, 1, 1)
}

fn summaries(db: &Path) -> BTreeMap<u32, Summary> {
    let store = Store::open_existing(db).expect("the store opens after a kill");
    let s = store.summaries(far()).expect("scan after a kill");
    s.customers.into_iter().map(|c| (c.customer.get(), c)).collect()
}

fn export(db: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    Store::open_existing(db).unwrap().export(&mut out).unwrap();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn ingest(db: &Path, file: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retention"));
    c.args(["ingest", file.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// SplitMix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn killed_ingests_leave_the_store_before_or_after_and_finish_exactly() {
    let kills: u32 = std::env::var("CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0xC4A5);
    let dir = tempfile::tempdir().unwrap();
    // A shop split in time: the first half is the store before, the second half the killed ingest
    // (new orders of existing customers and new customers).
    let mut csv = Vec::new();
    // Large enough that the commit spans several of sled's log writes (a smaller ingest reaches
    // the disk in one piece at its final flush, and a kill can only find before or after).
    let customers: u64 = std::env::var("CRASH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(150_000);
    Shop::new(ShopConfig::new(customers, 11)).unwrap().write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let lines: Vec<&str> = rows.lines().collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    let write = |name: &str, part: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{header}\n{}\n", part.join("\n"))).unwrap();
        path
    };
    let (a, b) = (write("a.csv", first), write("b.csv", second));

    // The two states every customer must be in, from clean ingests.
    let clean = dir.path().join("clean");
    assert!(ingest(&clean, &a).status().unwrap().success());
    let before = summaries(&clean);
    let started = Instant::now();
    assert!(ingest(&clean, &b).status().unwrap().success());
    let full = started.elapsed();
    let after = summaries(&clean);
    let clean_stats = Store::open_existing(&clean).unwrap().stats().unwrap();
    // Every order, key and category line: what a finished ingest must reproduce byte for byte.
    let clean_export = export(&clean);
    assert!(after.len() > before.len(), "the second half brings new customers");

    let pristine = dir.path().join("before");
    assert!(ingest(&pristine, &a).status().unwrap().success());
    let before_export = export(&pristine);
    let db = dir.path().join("db");
    let mut state = seed;
    let (mut nothing, mut complete, mut rolled_back) = (0, 0, 0);
    // Kills of a child that already exited do not count; rounds go on (boundedly) until there
    // were `kills` real ones and, in a run of ten or more, kills left both states.
    let (mut kill, mut rounds) = (0, 0);
    // The clean run's length, shortened whenever a child finished before its kill: measured once,
    // it is too long when the machine was busier then (other tests) than later.
    let mut span = full.as_micros() as u64;
    while (kill < kills || (kills >= 10 && (rolled_back == 0 || complete == 0))) && rounds < kills * 4 {
        rounds += 1;
        // Most rounds start again from the store before the ingest, so every kill can land in
        // the commit; every fourth continues on the store the last kill left (crash upon crash).
        if rounds % 4 != 0 {
            let _ = std::fs::remove_dir_all(&db);
            copy_dir(&pristine, &db);
        }
        // Anywhere from the start to a little past the clean run's length; most kills aimed at
        // its last part, where the blocks are written (a kill while parsing leaves nothing).
        let delay = Duration::from_micros(match next(&mut state) % 4 {
            0 => next(&mut state) % (span + 1),
            _ => span * 6 / 10 + next(&mut state) % (span * 45 / 100 + 1),
        });
        let mut child = ingest(&db, &b).spawn().unwrap();
        std::thread::sleep(delay);
        let alive = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kill += alive as u32;
        if !alive {
            span = span * 3 / 4;
        }
        // The first open after the kill: the command says when it rolled a write back.
        let opened = Command::new(env!("CARGO_BIN_EXE_retention")).args(["stats", "--db"]).arg(&db).output().unwrap();
        assert!(opened.status.success(), "kill {kill}: {}", String::from_utf8_lossy(&opened.stderr));
        let noted = String::from_utf8_lossy(&opened.stderr).contains("was rolled back");
        let now = export(&db);
        let (was_before, was_after) = (now == before_export, now == clean_export);
        assert!(!noted || was_before, "kill {kill}: a rolled-back write left the store changed");
        rolled_back += u32::from(noted);
        assert!(
            was_before || was_after,
            "kill {kill} (seed {seed}, after {delay:?}): the store is neither as before the ingest nor as after it"
        );
        if was_before {
            nothing += 1;
        } else {
            complete += 1;
        }
        // The summaries agree with the export's state (one committed state for every reader).
        assert!(summaries(&db) == if was_before { before.clone() } else { after.clone() }, "kill {kill}: summaries");
        // Every fourth round (one the next round restores over): finishing the ingest gives
        // exactly the clean store.
        if rounds % 4 == 2 {
            assert!(ingest(&db, &b).status().unwrap().success());
            assert_eq!(Store::open_existing(&db).unwrap().stats().unwrap(), clean_stats, "kill {kill}: totals");
            assert!(export(&db) == clean_export, "kill {kill}: the finished ingest differs from a clean one");
        }
    }
    eprintln!(
        "clean ingest of the second half {full:?}; {kill} kills in {rounds} rounds: {nothing} left the store as before ({rolled_back} of them mid-write, rolled back), {complete} as after"
    );
    // And after the last kill, whatever it left.
    assert!(ingest(&db, &b).status().unwrap().success());
    assert!(export(&db) == clean_export);
    assert!(kill >= kills, "only {kill} of {kills} kills hit a running ingest in {rounds} rounds");
    if kills >= 10 {
        // Kills inside the write (rolled back) and after its commit: the window where a mix used to
        // appear lies between.
        assert!(rolled_back > 0 && complete > 0, "{rolled_back} kills mid-write, {complete} after: aim them better");
    }
}
