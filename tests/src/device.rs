//! A command-line field device: `carclub-device` processes sharing one home directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::{ADMIN_PASSWORD, Server, bin};

/// A command-line field device with its own home directory.
pub struct Device {
    pub home: PathBuf,
}

impl Device {
    /// A device at `home`.
    pub fn new(home: &Path) -> Device {
        Device {
            home: home.to_owned(),
        }
    }

    /// Runs `carclub-device` with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin("carclub-device"))
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .output()
            .expect("device runs")
    }

    /// Runs `carclub-device` with `args` to success; its stdout. Panics with everything it printed
    /// when it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        if !out.status.success() {
            panic!(
                "carclub-device {args:?} failed ({:?}): {}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Registers with the server as the administrator.
    pub fn register(&self, server: &Server, name: &str) {
        self.register_as(server, "admin", ADMIN_PASSWORD, name);
    }

    /// Registers with the server as `user`.
    pub fn register_as(&self, server: &Server, user: &str, password: &str, name: &str) {
        self.ok(&[
            "register",
            "--server",
            &server.base,
            "--user",
            user,
            "--password",
            password,
            "--name",
            name,
        ]);
    }

    /// The `enroll` arguments of a member on the standard tier for its fee, with the card
    /// `card` when given (otherwise the next of the device's block).
    fn enroll_args<'a>(person: [&'a str; 5], card: Option<&'a str>) -> Vec<&'a str> {
        let [name, phone, vin, plate, receipt] = person;
        let mut args = vec![
            "enroll",
            "--name",
            name,
            "--phone",
            phone,
            "--vin",
            vin,
            "--plate",
            plate,
            "--tier",
            "standard",
            "--fee-fen",
            "18000",
            "--receipt",
            receipt,
        ];
        if let Some(card) = card {
            args.extend(["--card", card]);
        }
        args
    }

    /// Enrolls a member offline with the card `card`: (name, phone, VIN, plate, receipt) of the
    /// person; the device's output, success or not.
    pub fn enroll_with_card(&self, person: [&str; 5], card: &str) -> Output {
        self.run(&Self::enroll_args(person, Some(card)))
    }

    /// Enrolls a member on the standard tier for its fee.
    pub fn enroll(&self, name: &str, phone: &str, vin: &str, plate: &str, receipt: &str) -> String {
        let out = self.ok(&Self::enroll_args([name, phone, vin, plate, receipt], None));
        out.trim()
            .strip_prefix("enrolled: ")
            .expect("member id printed")
            .to_owned()
    }

    /// What the device says about itself (`status --json`).
    pub fn status(&self) -> Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).expect("status JSON")
    }

    /// The members the device shows.
    pub fn members(&self) -> Vec<Value> {
        let out = self.ok(&["members", "--json"]);
        serde_json::from_str(&out).expect("members JSON")
    }
}
