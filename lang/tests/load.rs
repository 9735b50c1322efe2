//! Loading refuses what is not a regular file, and files larger than the limit, with an error
//! that names the path and what it is: reading a FIFO blocks, a device never ends, a symlink
//! loop never resolves. Each load runs on a thread that must answer within ten seconds, so a
//! regression fails instead of hanging.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use cordon_lang::load;

const SOURCE: &str = "const x: decimal = 1\n  cite \"15 CFR 1\"\n";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cordon-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let created = std::fs::create_dir_all(&dir);
    assert!(created.is_ok(), "{created:?}");
    let written = std::fs::write(dir.join("good.cordon"), SOURCE);
    assert!(written.is_ok(), "{written:?}");
    dir
}

/// The error of loading `path`, within ten seconds.
fn load_error(path: &Path) -> String {
    let (sender, receiver) = mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = sender.send(load::load(&path).err().map(|error| error.to_string()));
    });
    match receiver.recv_timeout(Duration::from_secs(10)) {
        Ok(Some(error)) => error,
        Ok(None) => panic!("loaded without an error"),
        Err(_) => panic!("loading did not finish within 10 s"),
    }
}

/// Loading the directory, and the entry itself, is refused with the entry's path and `what`.
fn assert_refused(dir: &Path, bad: &Path, what: &str) {
    for path in [dir, bad] {
        let error = load_error(path);
        assert!(
            error.contains(&bad.display().to_string()) && error.contains(what),
            "loading {}: {error}",
            path.display()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_fifo_is_refused() {
    let dir = scratch("fifo");
    let bad = dir.join("bad.cordon");
    let made = std::process::Command::new("mkfifo").arg(&bad).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo failed");
    assert_refused(&dir, &bad, "a FIFO");
}

#[test]
fn a_symlink_loop_is_refused() {
    let dir = scratch("loop");
    let bad = dir.join("bad.cordon");
    let other = dir.join("other.link");
    let linked = std::os::unix::fs::symlink(&other, &bad)
        .and_then(|()| std::os::unix::fs::symlink(&bad, &other));
    assert!(linked.is_ok(), "{linked:?}");
    assert_refused(&dir, &bad, "a symlink loop");
}

#[test]
fn a_symlink_to_a_device_is_refused() {
    let dir = scratch("device");
    let bad = dir.join("bad.cordon");
    let linked = std::os::unix::fs::symlink("/dev/zero", &bad);
    assert!(linked.is_ok(), "{linked:?}");
    assert_refused(&dir, &bad, "a symlink to a character device");
}

#[test]
fn a_version_beside_a_refused_one_is_refused_too() {
    let policy = scratch("policy");
    for version in ["v1", "v2"] {
        let made = std::fs::create_dir_all(policy.join(version)).and_then(|()| {
            std::fs::write(
                policy.join(version).join("version.cordon"),
                format!("version \"{version}\"\n  policy \"p\"\n"),
            )
        });
        assert!(made.is_ok(), "{made:?}");
    }
    let bad = policy.join("v2").join("bad.cordon");
    let made = std::process::Command::new("mkfifo").arg(&bad).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo failed");
    // Loading v1 loads its siblings, so that amendments resolve.
    let error = load_error(&policy.join("v1"));
    assert!(
        error.contains(&bad.display().to_string()) && error.contains("a FIFO"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&policy);
}

#[test]
fn a_source_larger_than_the_limit_is_refused() {
    let dir = scratch("large");
    let bad = dir.join("large.cordon");
    let made =
        std::fs::File::create(&bad).and_then(|file| file.set_len(load::MAX_SOURCE_BYTES + 1));
    assert!(made.is_ok(), "{made:?}");
    assert_refused(&dir, &bad, "larger than 16 MiB");
}

#[test]
fn a_source_of_the_limit_is_read() {
    let dir = scratch("limit");
    let file = dir.join("limit.cordon");
    let mut text = SOURCE.to_string();
    text.push_str(&" ".repeat(load::MAX_SOURCE_BYTES as usize - text.len() - 1));
    text.push('\n');
    let written = std::fs::write(&file, &text);
    assert!(written.is_ok(), "{written:?}");
    assert_eq!(
        load::read_source(&file).ok().map(|read| read.len()),
        Some(text.len())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_source_that_is_not_utf8_names_the_byte() {
    let dir = scratch("utf8");
    let file = dir.join("bad.cordon");
    let written = std::fs::write(&file, b"const \xff");
    assert!(written.is_ok(), "{written:?}");
    let error = load_error(&file);
    assert!(error.contains("not valid UTF-8 (at byte 7)"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
