//! `powershell/build-module.sh` builds a module folder that PowerShell can import: the manifest,
//! the root module, the C# interop, Public/ and Private/, and this platform's native library in
//! runtimes/<rid>/native/. (PowerShell itself is not available here; the scripts are checked in
//! tests/powershell_scripts.rs.)

#![cfg(unix)]

use std::path::Path;
use std::process::Command;

/// The RID and library file name the build script uses on this machine, or None where it does
/// not build (an architecture GraphMail does not ship).
fn this_platform() -> Option<(String, &'static str)> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "osx",
        _ => return None,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        _ => return None,
    };
    let lib = if os == "osx" {
        "libgraphmail.dylib"
    } else {
        "libgraphmail.so"
    };
    Some((format!("{os}-{arch}"), lib))
}

#[test]
fn build_module_writes_an_importable_module_folder() {
    let Some((rid, lib)) = this_platform() else {
        eprintln!("build-module.sh does not support this platform; nothing to check");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("GraphMail");
    let run = Command::new("bash")
        .arg(root.join("powershell").join("build-module.sh"))
        .args(["--profile", "debug", "--out"])
        .arg(&out)
        .output()
        .expect("bash runs");
    assert!(
        run.status.success(),
        "build-module.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        out.display().to_string(),
        "the script prints the module folder"
    );

    for file in [
        "GraphMail.psd1",
        "GraphMail.psm1",
        "GraphMail.Credentials.cs",
        "GraphMail.Native.cs",
        "GraphMail.NativeResolver.cs",
        "GraphMail.Transforms.cs",
        "runtimes/README.md",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let native = out.join("runtimes").join(&rid).join("native").join(lib);
    let size = std::fs::metadata(&native)
        .unwrap_or_else(|e| panic!("{}: {e}", native.display()))
        .len();
    assert!(size > 0, "{} is empty", native.display());
    // The CLI, for Find-GraphMailLegacySender's scan, sits next to the library and runs.
    let cli = out
        .join("runtimes")
        .join(&rid)
        .join("native")
        .join("graphmail");
    let version = std::process::Command::new(&cli)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cli.display()));
    assert!(version.status.success(), "{}", cli.display());

    // Public/ and Private/ are copied file for file; nothing else of the source folder is.
    let source = root.join("powershell").join("GraphMail");
    for folder in ["Public", "Private"] {
        let names = |dir: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let copied = names(&out.join(folder));
        assert!(!copied.is_empty(), "{folder}/ is empty");
        assert_eq!(copied, names(&source.join(folder)), "{folder}/ differs");
    }
    let mut top: Vec<String> = std::fs::read_dir(&out)
        .expect("module folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert!(
        top.iter().all(|n| n.ends_with(".cs")
            || [
                "GraphMail.psd1",
                "GraphMail.psm1",
                "Public",
                "Private",
                "runtimes"
            ]
            .contains(&n.as_str())),
        "unexpected files in the module folder: {top:?}"
    );

    // A second build replaces the first; a folder that is not a module is never deleted.
    let again = Command::new("bash")
        .arg(root.join("powershell").join("build-module.sh"))
        .args(["--profile", "debug", "--out"])
        .arg(&out)
        .output()
        .expect("bash runs");
    assert!(again.status.success(), "rebuild failed");
    let foreign = temp.path().join("not-a-module");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "keep").unwrap();
    let refused = Command::new("bash")
        .arg(root.join("powershell").join("build-module.sh"))
        .args(["--profile", "debug", "--out"])
        .arg(&foreign)
        .output()
        .expect("bash runs");
    assert!(
        !refused.status.success(),
        "build-module.sh replaced a foreign folder"
    );
    assert!(
        foreign.join("keep.txt").is_file(),
        "the foreign folder was touched"
    );
}
