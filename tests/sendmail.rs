//! `graphmail sendmail` (and the binary invoked as `sendmail`): a small message goes through
//! sendMail's MIME mode unchanged, a large one through the draft path with its attachments.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use support::TestEmulator;

fn sendmail(
    t: &TestEmulator,
    program: &std::path::Path,
    args: &[&str],
    input: &[u8],
) -> (i32, String) {
    let mut child = Command::new(program)
        .env_clear()
        .envs(t.env())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn graphmail() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_graphmail").into()
}

#[test]
fn cron_mail_goes_through_mime_mode_unchanged() {
    let t = TestEmulator::start();
    let message = b"From: Cron Daemon <alerts@contoso.test>\r\nTo: ops@fabrikam.test\r\nSubject: Cron <root@web1> /usr/local/bin/backup\r\nX-Cron-Env: <SHELL=/bin/sh>\r\n\r\nbackup finished\r\n";
    let (code, err) = sendmail(&t, &graphmail(), &["sendmail", "-t", "-i"], message);
    assert_eq!(code, 0, "{err}");
    let m = &t.emulator.messages()[0];
    assert!(m.mime, "sent in MIME mode");
    assert_eq!(m.mailbox, "alerts@contoso.test");
    assert_eq!(
        std::fs::read(&m.eml_path).unwrap(),
        message,
        "the message arrives byte for byte"
    );
}

#[test]
fn recipients_and_sender_as_arguments_like_cron_calls_sendmail() {
    let t = TestEmulator::start();
    let message = b"Subject: Cron <root@web1> job\nContent-Type: text/plain; charset=UTF-8\n\nok\n.\nnot part of the mail\n";
    let (code, err) = sendmail(
        &t,
        &graphmail(),
        &[
            "sendmail",
            "-FCronDaemon",
            "-B8BITMIME",
            "-oem",
            "-f",
            "reports@contoso.test",
            "ops@fabrikam.test",
        ],
        message,
    );
    assert_eq!(code, 0, "{err}");
    let m = &t.emulator.messages()[0];
    assert_eq!(m.mailbox, "reports@contoso.test");
    let eml = std::fs::read_to_string(&m.eml_path).unwrap();
    assert!(
        eml.contains("From: \"CronDaemon\" <reports@contoso.test>"),
        "{eml}"
    );
    assert!(eml.contains("To: ops@fabrikam.test"), "{eml}");
    assert!(
        !eml.contains("not part of the mail"),
        "a lone dot ends the message without -i"
    );
}

#[test]
fn a_large_mime_message_goes_through_the_draft_path() {
    let t = TestEmulator::start();
    let payload: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
    let mut mime = String::from(
        "From: reports@contoso.test\r\nTo: Ops <ops@fabrikam.test>\r\nSubject: big report\r\nX-Job: 9\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nReport attached.\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    for line in b64.as_bytes().chunks(76) {
        mime.push_str(std::str::from_utf8(line).unwrap());
        mime.push_str("\r\n");
    }
    mime.push_str("--b1--\r\n");
    let (code, err) = sendmail(
        &t,
        &graphmail(),
        &["sendmail", "-t", "-oi"],
        mime.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    let m = &t.emulator.messages()[0];
    assert!(m.via_draft, "too big for one request: sent through a draft");
    let att = m
        .attachments
        .iter()
        .find(|a| a.name == "report.bin")
        .unwrap();
    assert_eq!(std::fs::read(&att.path).unwrap(), payload);
    let msg = &m.request["message"];
    assert_eq!(msg["subject"], "big report");
    assert_eq!(msg["internetMessageHeaders"][0]["name"], "X-Job");
    assert_eq!(t.emulator.stats().open_drafts, 0);
}

#[test]
fn invoked_as_sendmail_and_bad_input_codes() {
    let t = TestEmulator::start();
    let link = t.dir.path().join("sendmail");
    std::os::unix::fs::symlink(graphmail(), &link).unwrap();
    let (code, err) = sendmail(
        &t,
        &link,
        &["-t"],
        b"From: alerts@contoso.test\nTo: ops@fabrikam.test\nSubject: via link\n\nhi\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(t.emulator.messages().len(), 1);
    let (code, err) = sendmail(
        &t,
        &link,
        &[],
        b"From: alerts@contoso.test\nSubject: nobody\n\nhi\n",
    );
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("MissingRecipient"), "{err}");
    let (code, _) = sendmail(&t, &link, &["-bp"], b"");
    assert_eq!(code, 64);
    assert_eq!(t.emulator.messages().len(), 1);
}
