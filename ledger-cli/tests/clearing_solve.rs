//! `ledgerctl clearing solve` through the built binary, offline: a triangle's known answer, a
//! round trip through files, and a bad row rejected with its line number.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A directory removed when the test ends, unique per test so tests run in parallel.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ledgerctl-clearing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }

    fn write(&self, file: &str, text: &str) -> String {
        let path = self.0.join(file);
        std::fs::write(&path, text).expect("write a test file");
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().expect("a UTF-8 path").to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `ledgerctl` with `args` and no server configured: the tool must not need one.
fn ledgerctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerctl"))
        .args(args)
        .env("LEDGER_SERVER", "http://127.0.0.1:9")
        .env_remove("LEDGER_KEY")
        .output()
        .expect("run ledgerctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn a_triangle_clears_its_smallest_invoice_all_round() {
    let dir = TempDir::new("triangle");
    let input = dir.write(
        "in.csv",
        "id,debtor,creditor,amount\ninv-1,alice,bob,100.00\ninv-2,bob,carol,60.50\ninv-3,carol,alice,80\ninv-4,alice,dan,5\n",
    );
    let output = ledgerctl(&["clearing", "solve", "--input", &input]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "id,debtor,creditor,amount,set_off,remainder\n\
         inv-1,alice,bob,100.00,60.50,39.50\n\
         inv-2,bob,carol,60.50,60.50,0.00\n\
         inv-3,carol,alice,80.00,60.50,19.50\n\
         inv-4,alice,dan,5.00,0.00,5.00\n"
    );
    let summary = text(&output.stderr);
    for line in [
        "4 invoices among 4 members",
        "debt before 245.50",
        "cleared 181.50 (73.93%)",
        "debt after 64.00",
        "invoices touched 3",
    ] {
        assert!(summary.contains(line), "{line:?} missing from {summary:?}");
    }
}

#[test]
fn the_output_file_round_trips() {
    let dir = TempDir::new("round-trip");
    let mut input = String::from("id,debtor,creditor,amount\n");
    // A ring of 30 members with chords, amounts with up to three decimals.
    for i in 0..60_u32 {
        let (debtor, creditor) = (i % 30, (i * 7 + 1) % 30);
        if debtor != creditor {
            input.push_str(&format!("i{i},m{debtor},m{creditor},{}.{:03}\n", 1 + i * 13 % 97, i * 37 % 1000));
        }
    }
    let input_path = dir.write("in.csv", &input);
    let output_path = dir.path("out.csv");
    let output = ledgerctl(&["clearing", "solve", "--input", &input_path, "--out", &output_path]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "the rows went to the file");
    let written = std::fs::read_to_string(&output_path).expect("the output file");
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("id,debtor,creditor,amount,set_off,remainder"));
    let mut next_input = String::from("id,debtor,creditor,amount\n");
    let mut rows = 0;
    for (line, original) in lines.zip(input.lines().skip(1)) {
        let fields: Vec<&str> = line.split(',').collect();
        let original: Vec<&str> = original.split(',').collect();
        assert_eq!(fields[..4], original[..], "the input columns come back unchanged, in order");
        let thousandths = |s: &str| -> i64 { s.replace('.', "").parse().expect("a three-decimal amount") };
        assert_eq!(thousandths(fields[4]) + thousandths(fields[5]), thousandths(fields[3]), "{line}");
        if thousandths(fields[5]) > 0 {
            next_input.push_str(&format!("{},{},{},{}\n", fields[0], fields[1], fields[2], fields[5]));
        }
        rows += 1;
    }
    assert_eq!(rows, input.lines().count() - 1);
    // What remains has no cycle left: solving it again clears nothing.
    let again = dir.write("again.csv", &next_input);
    let output = ledgerctl(&["clearing", "solve", "--input", &again]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("cleared 0.000 (0.00%)"), "{}", text(&output.stderr));
}

#[test]
fn a_bad_row_rejects_the_file_with_its_line_number() {
    let dir = TempDir::new("bad-row");
    let input = dir.write("in.csv", "id,debtor,creditor,amount\na,x,y,1.00\nb,y,z,2.00\nc,z,x,12,5\n");
    let output_path = dir.path("out.csv");
    let output = ledgerctl(&["clearing", "solve", "--input", &input, "--out", &output_path]);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(message.contains("line 4"), "{message}");
    assert!(!std::path::Path::new(&output_path).exists(), "nothing is written");

    let input = dir.write("amount.csv", "id,debtor,creditor,amount\na,x,y,1.00\nb,y,x,abc\n");
    let output = ledgerctl(&["clearing", "solve", "--input", &input]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("line 3"), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());

    let output = ledgerctl(&["clearing", "solve", "--input", &dir.path("missing.csv")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}
