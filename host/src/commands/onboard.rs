/*!
`switchyard onboard`: ask for a key (without echo on a terminal, or from
stdin with `--api-key-stdin`), check it with the provider's key-status
endpoint, and only then write it to the config file (as a document edit:
an existing file keeps its comments and order; a new one is mode 0600).
Sets the default chat model to `openrouter/auto` if none is set.
*/

use super::Ctx;
use crate::cli::OnboardArgs;
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use switchyard_core::call::HostCalls;
use switchyard_core::config_edit;
use switchyard_core::error::{ConfigError, HostError};
use switchyard_plugin_api::{doc, ops, ErrorKind};

/// Reads the key: from stdin with `--api-key-stdin`, else without echo
/// from the terminal.
fn read_key(args: &OnboardArgs, name: &str) -> Result<String, HostError> {
    if args.api_key_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| HostError::InvalidInput(format!("cannot read the key from stdin: {e}")))?;
        Ok(line.trim().to_string())
    } else if std::io::stdin().is_terminal() {
        Ok(
            rpassword::prompt_password(format!("{name} API key (input hidden): "))
                .map_err(|e| HostError::InvalidInput(format!("cannot read the key: {e}")))?
                .trim()
                .to_string(),
        )
    } else {
        Err(HostError::InvalidInput(
            "stdin is not a terminal: pass the key on stdin with --api-key-stdin".into(),
        ))
    }
}

/// Runs `onboard`.
pub fn run(ctx: &Ctx, args: OnboardArgs) -> Result<(), HostError> {
    let Some(m) = ctx.table.by_id(&args.provider).cloned() else {
        let ids: Vec<&str> = ctx.table.plugins().iter().map(|m| m.id.as_str()).collect();
        return Err(HostError::InvalidInput(format!(
            "no provider {:?}; installed: {}",
            args.provider,
            ids.join(", ")
        )));
    };
    let key = read_key(&args, &m.name)?;
    if key.is_empty() {
        return Err(HostError::InvalidInput("no key was given".into()));
    }
    ctx.session.secrets().register(&key);
    let Some(config_key) = m.auth.config_keys.first().cloned() else {
        return Err(ConfigError::NoConfigKey {
            plugin: m.id.clone(),
        }
        .into());
    };
    let Some(path) = ctx.config.path.clone() else {
        return Err(ConfigError::NoPath.into());
    };
    let mut cc = ctx.call_context_with(&m, false, 60_000, false)?;
    cc.api_key = Some(key.clone());
    let plugin = ctx.load(&m)?;
    let calls = HostCalls::new(&ctx.session, &m.id);
    let checked =
        calls.call::<_, doc::KeyStatus>(&plugin, ops::KEY_CHECK, &cc, &doc::Empty {}, &[]);
    let status = match checked {
        Ok(s) => Some(s),
        Err(e) if e.kind == ErrorKind::UNSUPPORTED => {
            ctx.term
                .notice(&format!("note: {}; the key was not checked", e.message));
            None
        }
        Err(e) if e.kind == ErrorKind::AUTH => {
            return Err(ConfigError::KeyRejected {
                provider: m.name.clone(),
                message: e.message.to_string(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    let mut values: Vec<(&str, switchyard_core::config_edit::Value)> =
        vec![(config_key.as_str(), key.as_str().into())];
    let set_primary = m.id == "openrouter"
        && ctx.config.file.agents.defaults.model.primary.is_none()
        && !config_edit::has(&path, "agents.defaults.model.primary");
    if set_primary {
        values.push(("agents.defaults.model.primary", "openrouter/auto".into()));
    }
    config_edit::set(&ctx.session, &path, &values)?;
    report(ctx, &m.id, &path, &config_key, status.as_ref(), set_primary);
    Ok(())
}

/// Prints what onboarding did.
fn report(
    ctx: &Ctx,
    id: &str,
    path: &std::path::Path,
    config_key: &str,
    status: Option<&doc::KeyStatus>,
    set_primary: bool,
) {
    if ctx.json {
        ctx.print_json(&json!({
            "provider": id,
            "config": path.display().to_string(),
            "label": status.map(|s| s.label.to_string()),
            "limit_remaining": status.and_then(|s| s.limit_remaining),
            "primary_set": set_primary,
        }));
        return;
    }
    if let Some(s) = status {
        let remaining = match s.limit_remaining {
            Some(r) => format!("{r:.2} credits left under its limit"),
            None => "no credit limit".to_string(),
        };
        ctx.term.out(&format!(
            "key accepted: label {:?}, {remaining}",
            s.label.as_str()
        ));
    }
    ctx.term.out(&format!(
        "wrote the key to {} ({config_key})",
        path.display()
    ));
    if set_primary {
        ctx.term.out("default chat model: openrouter/auto");
    }
    ctx.term.out("next: switchyard chat \"Hello\"");
}
