//! Sets `SCIMULATOR_VERSION` for `--version`: the package version plus the git revision when
//! there is one (`0.1.0 (3f2c1ab9e0d4)`; the commit checked out, whatever is uncommitted). `SCIMULATOR_GIT_REV` overrides
//! the revision (a container build has no `.git`); with neither, the version alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=SCIMULATOR_GIT_REV");
    let version = env!("CARGO_PKG_VERSION");
    let rev =
        std::env::var("SCIMULATOR_GIT_REV").ok().filter(|r| !r.trim().is_empty()).or_else(|| {
            let rev = git(&["rev-parse", "--short=12", "HEAD"])?;
            // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points at (a commit).
            if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
                println!("cargo:rerun-if-changed={head}");
            }
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
                && let Some(path) = git(&["rev-parse", "--git-path", &branch])
            {
                println!("cargo:rerun-if-changed={path}");
            }
            Some(rev)
        });
    match rev {
        Some(rev) => println!("cargo:rustc-env=SCIMULATOR_VERSION={version} ({rev})"),
        None => println!("cargo:rustc-env=SCIMULATOR_VERSION={version}"),
    }
}
