//! `cargo run --release -p peer-bench -- --transactions 100000`: cross-checks Cordon, regorus
//! (interpreter and RVM), Cedar and a hand-written Rust function on the same generated
//! transactions, then times each in its own process and prints the table. The last two lines
//! are Cordon's speedups over the faster regorus mode and over Cedar.

use std::process::ExitCode;

use clap::Parser;
use jiff::civil::date;
use rust_decimal::Decimal;

use peer_bench::cedar::{self, Cedar};
use peer_bench::cordon;
use peer_bench::crosscheck;
use peer_bench::generate::{self, Activity, EndUse, EntityList, Item, Transaction};
use peer_bench::measure::{self, Measurement};
use peer_bench::peer::{Case, Peer};
use peer_bench::rego::{self, Interpreter};

#[derive(Parser)]
#[command(
    about = "Cordon side by side with regorus (Rego) and Cedar on the 2025-01-13 EAR decision"
)]
struct Args {
    /// How many generated transactions to cross-check and time.
    #[arg(long, default_value_t = 100_000)]
    transactions: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 20250113)]
    seed: u64,
    /// Timed passes over all transactions per engine (the best counts), after one warm-up pass.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    passes: usize,
    /// Internal: measure one engine in this process and print its measurement line.
    #[arg(long, hide = true)]
    child: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.child {
        Some(engine) => measure::child(engine, args.seed, args.transactions, args.passes)
            .map(|measurement| println!("{}", measurement.to_line())),
        None => report(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cpu}, {cores} cores")
}

fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn report(args: &Args) -> Result<(), String> {
    println!("Cordon side by side with Rego (regorus) and Cedar: the `2025-01-13` EAR decision");
    println!("machine: {}", machine());
    println!(
        "transactions: {} generated (seed {}), every item kind and activity, thresholds and dates at their boundaries, 40 countries from every group, Entity List entries of every review policy",
        grouped(args.transactions as f64),
        args.seed
    );

    let policy = cordon::load()?;
    let cases: Vec<Case> = generate::transactions(args.seed, args.transactions)
        .into_iter()
        .map(Case::new)
        .collect();
    let coverage = crosscheck::cross_check(&policy, &cases)?;
    println!(
        "\ncross-check: all six engines give Cordon's outcome (classification, license_required, \
         license_exceptions, review_policy, red_flags, notices) on all {} transactions",
        grouped(cases.len() as f64)
    );
    println!("{}", coverage.summary());
    drop(cases);

    println!(
        "\nrepresentation (Cordon stays exact; the peers get values they represent in the timed runs):"
    );
    representation(&policy)?;

    println!(
        "\ntimed: one thread, policy loaded once, every engine given each transaction already in its own input form \
         (Cordon: facts read from the JSON value; regorus: a regorus::Value parsed from the JSON text; Cedar: a \
         Context built from the typed transaction; hand-written Rust: the typed transaction); a decision is \
         evaluation to the common outcome, trace off; best of {} passes after a warm-up; each engine in its own \
         process. Cedar asks {} authorization requests per decision.",
        args.passes,
        cedar::REQUESTS_PER_DECISION
    );
    let mut measurements = Vec::new();
    for engine in measure::ENGINES {
        measurements.push(measure::in_child(
            engine,
            args.seed,
            args.transactions,
            args.passes,
        )?);
    }
    table(&measurements);

    let rate = |engine: &str| {
        measurements
            .iter()
            .find(|measurement| measurement.engine == engine)
            .map_or(f64::NAN, Measurement::per_second)
    };
    let cordon = rate("cordon");
    let native = rate("cordon-native");
    let regorus = rate("regorus-interpreter").max(rate("regorus-rvm"));
    let cedar = rate("cedar");
    let baseline = rate("baseline");
    println!(
        "\nCordon takes {:.1}x the hand-written Rust function's time per decision, {:.1}x compiled to Rust \
         (target: within 3x)",
        baseline / cordon,
        baseline / native
    );
    println!(
        "Cordon over the faster peer: {:.1}x (target: at least 10x)",
        cordon / regorus.max(cedar)
    );
    println!("speedup over regorus: {:.1}x", cordon / regorus);
    println!("speedup over cedar: {:.1}x", cordon / cedar);
    Ok(())
}

fn table(measurements: &[Measurement]) {
    println!(
        "\n| engine | decisions/s | per decision | load/compile | peak RSS | peak above the transactions |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for measurement in measurements {
        let name = match measurement.engine.as_str() {
            "cordon" => "Cordon (cordon-engine)",
            "cordon-native" => "Cordon compiled to Rust (cordon-engine native)",
            "baseline" => "hand-written Rust",
            "regorus-interpreter" => "Rego, regorus interpreter",
            "regorus-rvm" => "Rego, regorus RVM",
            "cedar" => "Cedar (cedar-policy)",
            other => other,
        };
        let per_decision = measurement.best_pass.as_secs_f64() / measurement.decisions as f64;
        let load = if measurement.engine == "baseline" {
            "-".to_string()
        } else {
            format!("{:.2} ms", measurement.load.as_secs_f64() * 1e3)
        };
        println!(
            "| {name} | {} | {} | {load} | {:.0} MiB | {:.0} MiB |",
            grouped(measurement.per_second()),
            if per_decision < 1e-6 {
                format!("{:.0} ns", per_decision * 1e9)
            } else {
                format!("{:.2} µs", per_decision * 1e6)
            },
            measurement.peak_kib as f64 / 1024.0,
            measurement
                .peak_kib
                .saturating_sub(measurement.rss_before_kib) as f64
                / 1024.0,
        );
    }
}

/// Unpublished US-trained model weights to India: the transaction the representation notes use.
fn weights(training_ops: Decimal) -> Transaction {
    Transaction {
        id: "weights".to_string(),
        date: date(2025, 6, 1),
        activity: Activity::Export,
        item: Item::ModelWeights {
            training_ops,
            published: false,
            derived: None,
            foreign_produced: None,
            produced_with: Vec::new(),
        },
        quantity: 1,
        destination: "IN",
        hq: "IN",
        parent_hq: "IN",
        private_sector: true,
        permanent_employee: false,
        entity_list: EntityList::Absent,
        end_use: EndUse::Datacenter,
        consignee_tpp_this_year: Decimal::ZERO,
        country_tpp_allocated: Decimal::ZERO,
        flags: [false; 6],
    }
}

/// Shows, on live engines, where regorus and Cedar cannot hold the contract's numbers: training
/// operations one below 10^26, written as the contract allows (`9.9999999999999999999999999e25`).
fn representation(policy: &cordon_engine::Policy) -> Result<(), String> {
    let below = Decimal::from_i128_with_scale(10_i128.pow(26) - 1, 0);
    let mut case = Case::new(weights(below));
    let exponent: serde_json::Value = serde_json::from_str("9.9999999999999999999999999e25")
        .map_err(|error| error.to_string())?;
    case.json["item"]["training_ops"] = exponent;
    let exact = cordon::decide_json(policy, &case.json)?;
    let mut interpreter = Interpreter::new()?;
    let regorus = rego::input(&case)
        .and_then(|input| interpreter.decide(&input))
        .map_or_else(
            |error| format!("error: {error}"),
            |outcome| outcome.to_string(),
        );
    let mut cedar_engine = Cedar::new()?;
    let cedar = cedar_engine
        .prepare(&case)
        .and_then(|context| cedar_engine.decide(&context))
        .map_or_else(
            |error| format!("refused: {error}"),
            |outcome| outcome.to_string(),
        );
    println!("- item.training_ops `9.9999999999999999999999999e25` (10^26 - 1: not 4E091):");
    println!("    Cordon:  {exact}");
    println!("    regorus: {regorus}");
    println!("    Cedar:   {cedar}");
    let mut engine = regorus::Engine::new();
    let mut query = |text: &str| -> String {
        engine
            .eval_query(text.to_string(), false)
            .ok()
            .and_then(|results| {
                results
                    .result
                    .first()
                    .and_then(|result| result.expressions.first())
                    .map(|expression| expression.value.to_string())
            })
            .unwrap_or_else(|| "undefined".to_string())
    };
    println!(
        "- regorus keeps big integers exact, but arithmetic with a fraction is f64: \
         `0.25 * 140000000000000000000000000 < 35000000000000000000000000` is {} in regorus (exactly: false). \
         Written as the contract reads (`additional > max([2.5e25, 0.25 * base])`), the Rego policy classified a \
         derived model with exactly 25% added as 4E091; `policies/ear.rego` says `4 * additional > base` with \
         integer thresholds instead, and the generator writes training operations as integers",
        query("0.25 * 140000000000000000000000000 < 35000000000000000000000000")
    );
    let density = cedar::decimal("item.performance_density", Decimal::new(591_999, 5))
        .map_or_else(|error| error, |_| "accepted".to_string());
    println!(
        "- Cedar: a Long is an i64, so 10^26 operations do not fit (the Cedar context carries whole multiples \
         of 10^21 as Longs, anything else is refused), and a decimal has 4 places ({density}); the timed runs \
         use whole TPP and counters and densities of 2 places"
    );
    Ok(())
}
