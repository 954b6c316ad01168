//! `carclub-device`: the command-line field device. Records visits and enrollments offline and
//! syncs with the server when it can reach it.
//!
//! Exit codes: 0 done; 2 bad arguments or input; 3 the device is not in a state to do that (not
//! registered, no visit open…); 4 the server cannot be reached or sync did not complete; 5 the
//! server refused (wrong password, revoked device); 1 anything else.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use carclub_client::native::{self, DirStore, NetError};
use carclub_client::{BenefitInput, ClientError, Device, EnrollInput};
use carclub_shared::CompanyId;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "carclub-device",
    version,
    about = "The carclub field device: record on site with no network, sync later"
)]
struct Cli {
    /// The device's home directory (its local store).
    #[arg(long, default_value = "./device")]
    home: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Registers this device with a server for a person.
    Register {
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        /// A name for this device, as the back office will see it.
        #[arg(long, default_value = "command-line device")]
        name: String,
    },
    /// Starts or ends an on-site visit.
    Visit {
        #[command(subcommand)]
        action: VisitAction,
    },
    /// Enrolls a member (during a visit: on site; otherwise at the desk).
    Enroll {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        vin: String,
        #[arg(long)]
        plate: String,
        #[arg(long)]
        tier: String,
        /// The fee collected, in fen (180 yuan = 18000).
        #[arg(long = "fee-fen", allow_negative_numbers = true)]
        fee_fen: i64,
        /// The paper receipt's number.
        #[arg(long)]
        receipt: Option<String>,
        /// The card handed over (default: the next number of this device's block).
        #[arg(long)]
        card: Option<String>,
        #[arg(long = "id-number")]
        id_number: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// How they came: on_site, desk, referral or purchase (default: on site during a visit).
        #[arg(long)]
        channel: Option<String>,
        /// The referring member's id (channel referral).
        #[arg(long)]
        referrer: Option<String>,
        /// The documents seen, comma-separated: id_card, driver_licence, vehicle_licence,
        /// insurance_policy, purchase_invoice, application_form.
        #[arg(long, value_delimiter = ',')]
        documents: Vec<String>,
    },
    /// Records the on-site pre-inspection of a member's vehicle.
    Inspect {
        #[arg(long)]
        member: String,
        #[arg(long)]
        vin: String,
        /// One check: ITEM=STATE or ITEM=STATE:NOTE (state ok, attention or fault); all six items.
        #[arg(long = "check")]
        checks: Vec<String>,
        /// The service recommended.
        #[arg(long)]
        recommend: Option<String>,
    },
    /// Records a benefit used on site (a free check, a wash).
    UseBenefit {
        #[arg(long)]
        member: String,
        #[arg(long)]
        benefit: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// The value of the service given, in fen.
        #[arg(long = "value-fen")]
        value_fen: i64,
    },
    /// Syncs with the server.
    Sync {
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
        /// Use (and remember) this server address instead of the registered one.
        #[arg(long)]
        server: Option<String>,
    },
    /// Lists the members this device knows.
    Members {
        #[arg(long)]
        json: bool,
    },
    /// Shows the device: who, which store, pending events, last sync.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum VisitAction {
    /// Starts a visit at a company or compound.
    Start {
        #[arg(long)]
        site: String,
        /// The company (corporate agreement id) the visit is at, if it is at one.
        #[arg(long)]
        company: Option<CompanyId>,
    },
    /// Ends the visit in progress.
    End {
        #[arg(long, default_value = "")]
        notes: String,
    },
}

fn exit_code(e: &NetError) -> u8 {
    match e {
        NetError::Device(ClientError::Invalid { .. }) => 2,
        NetError::Device(_) => 3,
        NetError::Unreachable { .. } | NetError::Timeout { .. } | NetError::Closed(_) => 4,
        NetError::Refused(_) => 5,
        NetError::Io(_) => 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> Result<(), NetError> {
    let store = DirStore::open(&cli.home.join("store"))?;
    let mut device = Device::open(store.load_all()?)?;
    let now = native::now_ms();
    match cli.command {
        Command::Register {
            server,
            user,
            password,
            name,
        } => {
            native::register(&mut device, &store, &server, &user, &password, &name)?;
            println!("registered: {}", device.whoami_json());
        }
        Command::Visit {
            action: VisitAction::Start { site, company },
        } => {
            let id = device.start_visit_at(&site, company, now)?;
            println!("visit started: {id}");
        }
        Command::Visit {
            action: VisitAction::End { notes },
        } => {
            device.end_visit(&notes, now)?;
            println!("visit ended");
        }
        Command::Enroll {
            name,
            phone,
            vin,
            plate,
            tier,
            fee_fen,
            receipt,
            card,
            id_number,
            model,
            channel,
            referrer,
            documents,
        } => {
            let documents_seen = documents
                .iter()
                .map(|d| serde_json::from_value(serde_json::Value::String(d.trim().to_owned())))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ClientError::Invalid {
                    field: "documents",
                    reason: e.to_string(),
                })?;
            let input = EnrollInput {
                name,
                phone,
                vin,
                plate,
                tier,
                fee_fen,
                receipt,
                card,
                id_number,
                model,
                documents_seen,
                channel,
                referrer,
            };
            let member = device.enroll_input(input, now)?;
            println!("enrolled: {member}");
        }
        Command::Inspect {
            member,
            vin,
            checks,
            recommend,
        } => {
            let checks = checks
                .iter()
                .map(|c| {
                    let (item, rest) = c.split_once('=').unwrap_or((c, ""));
                    let (state, note) = rest.split_once(':').unwrap_or((rest, ""));
                    serde_json::json!({"item": item.trim(), "state": state.trim(),
                        "note": if note.trim().is_empty() { None } else { Some(note.trim()) }})
                })
                .collect::<Vec<_>>();
            let input = serde_json::json!({"member": member, "vin": vin, "checks": checks,
                "recommended": recommend});
            let id = device.pre_inspect_json(&input.to_string(), now)?;
            println!("inspected: {id}");
        }
        Command::UseBenefit {
            member,
            benefit,
            count,
            value_fen,
        } => {
            let input = BenefitInput {
                member,
                benefit,
                count,
                value_fen,
            };
            let id = device.use_benefit(input, now)?;
            println!("benefit used: {id}");
        }
        Command::Sync {
            timeout_secs,
            server,
        } => {
            if let Some(url) = server {
                device.set_server(&url)?;
            }
            native::sync(&mut device, &store, Duration::from_secs(timeout_secs))?;
            println!("synced: {}", device.sync_status_json());
        }
        Command::Members { json } => {
            if json {
                println!("{}", device.members_json());
            } else {
                for m in device.members() {
                    let flag = match m.sync {
                        carclub_client::SyncState::Pending => "待同步",
                        carclub_client::SyncState::Synced => "已同步",
                        carclub_client::SyncState::Rejected => "被拒绝",
                    };
                    let conflict = if m.conflicts.is_empty() {
                        ""
                    } else {
                        " 冲突"
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}{}",
                        m.card, m.name, m.plate, m.vin, m.tier, flag, conflict
                    );
                    if let Some(r) = m.reason {
                        println!("\t{r}");
                    }
                }
            }
        }
        Command::Status { json } => {
            let cards = serde_json::json!({
                "left": device.cards_left(),
                "next": device.next_card(),
                "blocks": device.card_blocks(),
            });
            if json {
                println!(
                    "{{\"device\":{},\"sync\":{},\"visit\":{},\"cards\":{cards}}}",
                    device.whoami_json(),
                    device.sync_status_json(),
                    device.current_visit_json()
                );
            } else {
                println!("device: {}", device.whoami_json());
                println!("sync: {}", device.sync_status_json());
                println!("visit: {}", device.current_visit_json());
                println!("cards: {cards}");
            }
        }
    }
    store.write(device.take_dirty())?;
    Ok(())
}
