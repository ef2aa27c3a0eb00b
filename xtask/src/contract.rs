/*!
The plugin contract suite. For every plugin found in the given directories
(default: the workspace's `manifests/`), against the fake OpenRouter server:

1. its manifest parses (a failure names the field);
2. its library is found, passes the ABI layout and plugin API checks, and
   its self-description matches the manifest (a failure names the field);
3. each declared capability answers a minimal valid request through its
   entry point;
4. an invalid request returns a typed error, never a panic;
5. each undeclared capability's entry point returns `unsupported`.

Each line reads like a checklist item for the plugin's author: what was
checked, what was expected, what was found.
*/

use anyhow::{bail, Result};
use fake_openrouter::FakeServer;
use std::path::PathBuf;
use switchyard::call::HostCalls;
use switchyard::loader::{self, Plugin};
use switchyard::manifest::Manifest;
use switchyard::output::{Expect, Outputs};
use switchyard::registry::LookupTable;
use switchyard_plugin_api::*;

struct Report {
    failures: usize,
}

impl Report {
    fn check(&mut self, what: &str, r: Result<String, String>) {
        match r {
            Ok(note) if note.is_empty() => println!("  [ok]   {what}"),
            Ok(note) => println!("  [ok]   {what}: {note}"),
            Err(e) => {
                self.failures += 1;
                println!("  [FAIL] {what}: {e}");
            }
        }
    }
}

/// Runs the suite; `args` may hold `--plugin-dir DIR` pairs.
pub fn run(args: &[String]) -> Result<()> {
    let mut dirs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--plugin-dir" => match it.next() {
                Some(d) => dirs.push(PathBuf::from(d)),
                None => bail!("--plugin-dir needs a directory"),
            },
            other => bail!("unknown contract argument {other:?}"),
        }
    }
    if dirs.is_empty() {
        dirs.push(crate::root().join("manifests"));
    }
    for d in &dirs {
        if !d.is_dir() {
            bail!("plugin directory {} does not exist", d.display());
        }
    }
    // Libraries built by cargo sit in the target profile directory.
    if std::env::var_os("SWITCHYARD_LIBRARY_PATH").is_none() {
        std::env::set_var("SWITCHYARD_LIBRARY_PATH", crate::target_dir().join("debug"));
    }
    let server = FakeServer::start()?;
    let table = LookupTable::scan(&dirs);
    let mut report = Report { failures: 0 };
    println!(
        "plugin contract suite (fake OpenRouter at {})",
        server.base_url()
    );
    for d in &table.diagnostics {
        println!("manifest {}", d.path.display());
        report.check("manifest parses and is unique", Err(d.message.clone()));
    }
    if table.plugins().is_empty() && table.diagnostics.is_empty() {
        bail!(
            "no plugin manifests found in {}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for m in table.plugins() {
        println!("plugin {} ({})", m.id, m.path.display());
        report.check("manifest parses", Ok(String::new()));
        match loader::find_library(m) {
            Ok(p) => report.check(
                "field `library`: library file found",
                Ok(p.display().to_string()),
            ),
            Err(e) => {
                report.check("field `library`: library file found", Err(e.to_string()));
                continue;
            }
        }
        let plugin = match loader::load(m) {
            Ok(p) => {
                report.check(
                    "loads: ABI layout, plugin API version and self-description match the manifest",
                    Ok(format!("plugin API {}", p.description.plugin_api)),
                );
                p
            }
            Err(e) => {
                report.check(
                    "loads: ABI layout, plugin API version and self-description match the manifest",
                    Err(e.to_string()),
                );
                continue;
            }
        };
        capabilities(&mut report, m, &plugin, &server);
    }
    if report.failures > 0 {
        bail!("{} contract check(s) failed", report.failures);
    }
    println!("all contract checks passed");
    Ok(())
}

fn ctx(server: &FakeServer) -> CallContext {
    CallContext {
        api_key: ROption::RSome(server.api_key().into()),
        base_url: server.base_url().into(),
        timeout_ms: 30_000,
        poll_interval_ms: 20,
        max_output_bytes: 1 << 30,
        settings_json: "{}".into(),
    }
}

fn model_for(m: &Manifest, cap: &str) -> String {
    m.models
        .iter()
        .find(|x| x.has_capability(cap))
        .map(|x| x.model_ref.clone())
        .unwrap_or_else(|| format!("{}contract/model", m.model_prefix))
}

fn temp_out(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sy-contract-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d.join(name)
}

fn typed(e: &PluginError) -> Result<String, String> {
    if e.message.contains("panicked") {
        Err(format!(
            "expected a typed error, found a caught panic: {}",
            e.message
        ))
    } else {
        Ok(format!("{} error: {}", e.kind, e.message))
    }
}

fn capabilities(report: &mut Report, m: &Manifest, p: &Plugin, server: &FakeServer) {
    let c = ctx(server);
    for cap in ALL_CAPABILITIES {
        let declared = m.has_capability(cap);
        let model = model_for(m, cap);
        let label = format!("entry point `{cap}`");
        let result: Result<String, PluginError> = match cap {
            CAP_CHAT => {
                let req = ChatRequest {
                    model: model.as_str().into(),
                    messages: RVec::from(vec![ChatMessage {
                        role: "user".into(),
                        content: "contract ping".into(),
                    }]),
                    stream: false,
                    max_tokens: ROption::RNone,
                    temperature: ROption::RNone,
                };
                let calls = HostCalls::new(&model);
                p.chat(&req, &c, calls.as_host())
                    .map(|r| format!("answered {} chars", r.text.len()))
            }
            CAP_IMAGE => {
                let req = ImageRequest {
                    model: model.as_str().into(),
                    prompt: "a contract".into(),
                    aspect_ratio: ROption::RNone,
                    size: ROption::RNone,
                };
                let mut calls = HostCalls::with_outputs(
                    &model,
                    Outputs::new(temp_out("contract.png"), Expect::Image, 1 << 30),
                );
                let r = p.image(&req, &c, calls.as_host());
                let outs = calls.take_outputs();
                r.and_then(|r| match outs.map(|o| o.finish(r.images)) {
                    Some(Ok(w)) => Ok(format!("wrote {} verified image(s)", w.len())),
                    Some(Err(e)) => Err(PluginError::new(ErrorKind::UPSTREAM, e.to_string())),
                    None => Err(PluginError::new(ErrorKind::INTERNAL, "no outputs")),
                })
            }
            CAP_SPEECH => {
                let req = SpeechRequest {
                    model: model.as_str().into(),
                    input: "contract".into(),
                    voice: ROption::RNone,
                    format: "mp3".into(),
                    speed: ROption::RNone,
                };
                let mut calls = HostCalls::with_outputs(
                    &model,
                    Outputs::new(temp_out("contract.mp3"), Expect::Mp3, 1 << 30),
                );
                let r = p.speech(&req, &c, calls.as_host());
                let outs = calls.take_outputs();
                r.and_then(|_| match outs.map(|o| o.finish(1)) {
                    Some(Ok(w)) => Ok(format!(
                        "wrote {} bytes of verified audio",
                        w.first().map_or(0, |x| x.bytes)
                    )),
                    Some(Err(e)) => Err(PluginError::new(ErrorKind::UPSTREAM, e.to_string())),
                    None => Err(PluginError::new(ErrorKind::INTERNAL, "no outputs")),
                })
            }
            CAP_VIDEO => {
                let req = VideoRequest {
                    model: model.as_str().into(),
                    prompt: "a contract".into(),
                    duration: ROption::RNone,
                    resolution: ROption::RNone,
                    aspect_ratio: ROption::RNone,
                    frame_images: RVec::new(),
                    references: RVec::new(),
                };
                let calls = HostCalls::new(&model);
                match p.video_submit(&req, &c, calls.as_host()) {
                    Err(e) => Err(e),
                    Ok(job) => {
                        let mut calls = HostCalls::with_outputs(
                            &model,
                            Outputs::new(temp_out("contract.mp4"), Expect::Video, 1 << 30),
                        );
                        let r = p.video_wait(&job, &c, calls.as_host());
                        let outs = calls.take_outputs();
                        r.and_then(|r| match outs.map(|o| o.finish(r.outputs)) {
                            Some(Ok(w)) => Ok(format!(
                                "job {} produced {} verified video(s)",
                                job.id,
                                w.len()
                            )),
                            Some(Err(e)) => {
                                Err(PluginError::new(ErrorKind::UPSTREAM, e.to_string()))
                            }
                            None => Err(PluginError::new(ErrorKind::INTERNAL, "no outputs")),
                        })
                    }
                }
            }
            _ => continue,
        };
        if declared {
            report.check(
                &format!("{label}: a minimal valid request succeeds (manifest declares `{cap}`)"),
                result.map_err(|e| {
                    format!("expected success, found {} error: {}", e.kind, e.message)
                }),
            );
        } else {
            report.check(
                &format!("{label}: returns `unsupported` (manifest does not declare `{cap}`)"),
                match result {
                    Err(e) if e.kind == ErrorKind::UNSUPPORTED => Ok(String::new()),
                    Err(e) => Err(format!("expected an `unsupported` error, found {} error: {}", e.kind, e.message)),
                    Ok(_) => Err("expected an `unsupported` error, found success: declare the capability in the manifest's `capabilities`".into()),
                },
            );
        }
    }
    if m.has_capability(CAP_CHAT) {
        let req = ChatRequest {
            model: model_for(m, CAP_CHAT).as_str().into(),
            messages: RVec::new(),
            stream: false,
            max_tokens: ROption::RNone,
            temperature: ROption::RNone,
        };
        let calls = HostCalls::new("contract");
        report.check(
            "entry point `chat`: an invalid request (no messages) returns a typed error",
            match p.chat(&req, &c, calls.as_host()) {
                Ok(_) => Err("expected a typed error, found success".into()),
                Err(e) => typed(&e),
            },
        );
    }
}
