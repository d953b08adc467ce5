//! `nines validate`: the analytic reference cases, simulated vs exact.

use std::process::ExitCode;

use crate::report::format_number;
use crate::validation;

/// Arguments of `nines validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Worker threads (default: one per core). Verdicts do not depend on it.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    threads: Option<usize>,
}

pub fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    println!(
        "Each check passes when the exact value lies in the simulated 99.9% CI (see docs/VALIDATION.md)."
    );
    let verdicts = validation::all(args.threads);
    let mut case = String::new();
    for v in &verdicts {
        if v.case != case {
            println!("\n{}", v.case);
            case.clone_from(&v.case);
        }
        println!(
            "  {:<4} {:<52} exact {:>10}  simulated {:>10}  [{}, {}]",
            if v.pass { "ok" } else { "FAIL" },
            v.claim,
            format_number(v.expected),
            format_number(v.simulated),
            format_number(v.low),
            format_number(v.high),
        );
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    println!("\n{} passed, {} failed", verdicts.len() - failed, failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
