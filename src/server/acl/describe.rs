//! Users written back as rules, the way Redis 7.0 re-describes them for
//! ACL LIST, ACL GETUSER, ACL SAVE and CONFIG REWRITE (`ACLDescribeUser`):
//! flags, password hashes, then each selector's keys, channels and
//! commands. Commands are described canonically: `+@all` or `-@all`, then
//! the categories that best fit the command bits (picked greedily in
//! `ACL CAT` order, as Redis picks them), then single commands and
//! subcommands to make the bits exact.
//!
//! Redis walks its command table in hash order, which it seeds at random
//! per process, so the order of the single commands differs between Redis
//! processes; reddish uses the order of its command table.

use super::selector::Selector;
use super::{Sanitize, User};
use crate::server::spec::{acl, Registry};

/// The command rules of a selector (`-@all +@read -get`).
pub fn command_rules(selector: &Selector, registry: &Registry) -> Vec<u8> {
    let commands = registry.entries.len();
    let additive = !selector.future;
    let mut rules = Vec::new();
    // The rules emitted so far, applied as we go.
    let mut fake = Selector::new(false, commands, false);
    let start: &[u8] = if additive { b"-@all" } else { b"+@all" };
    let _ = fake.apply(start, registry);
    rules.extend_from_slice(start);
    rules.push(b' ');
    // The bits no chosen category has accounted for yet.
    let mut temp = Selector::new(false, commands, false);
    temp.commands = selector.commands.clone();
    let mut applied = [false; acl::NAMES.len()];
    while let Some(best) = best_category(&temp, registry, additive, &applied) {
        let (bit, name) = acl::NAMES[best];
        fake.set_category(registry, bit, additive);
        temp.set_category(registry, bit, !additive);
        rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
        rules.extend_from_slice(name.as_bytes());
        rules.push(b' ');
        applied[best] = true;
    }
    for id in registry.top_level() {
        single_command_rules(selector, &mut fake, registry, id, &mut rules);
        for sub in registry.subcommands_of(id) {
            single_command_rules(selector, &mut fake, registry, sub, &mut rules);
        }
    }
    rules.pop();
    if fake.commands != selector.commands {
        log::warn!(
            "CRITICAL ERROR: User ACLs don't match final bitmap: '{}'",
            String::from_utf8_lossy(&rules)
        );
    }
    rules
}

/// The category that best describes the remaining bits: more commands in
/// common than different, fewest differences, then most in common.
fn best_category(
    temp: &Selector,
    registry: &Registry,
    additive: bool,
    applied: &[bool],
) -> Option<usize> {
    let mut best = None;
    let (mut min_diff, mut max_same) = (usize::MAX, 0);
    for (j, &(bit, _)) in acl::NAMES.iter().enumerate() {
        if applied.get(j).copied().unwrap_or(true) {
            continue;
        }
        let (on, off) = count_category(temp, registry, bit);
        let (diff, same) = if additive { (off, on) } else { (on, off) };
        if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
            best = Some(j);
            min_diff = diff;
            max_same = same;
        }
    }
    best
}

/// How many commands of a category the bits allow and deny.
fn count_category(selector: &Selector, registry: &Registry, category: u64) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    for (id, entry) in registry.entries.iter().enumerate() {
        if entry.cmd.acl_categories() & category != 0 {
            if selector.commands.get(id) {
                on += 1;
            } else {
                off += 1;
            }
        }
    }
    (on, off)
}

/// `+name`/`-name` when command `id` still differs, then its allowed
/// first arguments.
fn single_command_rules(
    selector: &Selector,
    fake: &mut Selector,
    registry: &Registry,
    id: usize,
    rules: &mut Vec<u8>,
) {
    let Some(entry) = registry.get(id) else {
        return;
    };
    let allowed = selector.commands.get(id);
    if allowed != fake.commands.get(id) {
        rules.push(if allowed { b'+' } else { b'-' });
        rules.extend_from_slice(entry.fullname.as_bytes());
        rules.push(b' ');
        fake.change_permission(registry, id, allowed);
    }
    if !allowed {
        for arg in selector.first_args_of(id) {
            rules.push(b'+');
            rules.extend_from_slice(entry.fullname.as_bytes());
            rules.push(b'|');
            rules.extend_from_slice(arg);
            rules.push(b' ');
        }
    }
}

/// Keys, channels and commands of a selector, as rules.
pub fn selector_rules(selector: &Selector, registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    if selector.allkeys {
        out.extend_from_slice(b"~* ");
    } else {
        for key in &selector.keys {
            key.describe_into(&mut out);
            out.push(b' ');
        }
    }
    if selector.allchannels {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for channel in &selector.channels {
            out.push(b'&');
            out.extend_from_slice(channel);
            out.push(b' ');
        }
    }
    out.extend_from_slice(&command_rules(selector, registry));
    out
}

/// The whole user as rules (what follows `user <name> ` in ACL LIST).
pub fn user_rules(user: &User, registry: &Registry) -> Vec<u8> {
    let mut out = Vec::new();
    for flag in flag_names(user) {
        out.extend_from_slice(flag.as_bytes());
        out.push(b' ');
    }
    for hash in &user.passwords {
        out.push(b'#');
        out.extend_from_slice(hash);
        out.push(b' ');
    }
    for selector in &user.selectors {
        let rules = selector_rules(selector, registry);
        if selector.root {
            out.extend_from_slice(&rules);
        } else {
            out.extend_from_slice(b" (");
            out.extend_from_slice(&rules);
            out.push(b')');
        }
    }
    out
}

/// The user's flags in Redis's order: on/off, nopass, the payload flag.
pub fn flag_names(user: &User) -> Vec<&'static str> {
    let mut flags = vec![if user.enabled { "on" } else { "off" }];
    if user.nopass {
        flags.push("nopass");
    }
    match user.sanitize {
        Sanitize::Skip => flags.push("skip-sanitize-payload"),
        Sanitize::Always => flags.push("sanitize-payload"),
        Sanitize::Default => {}
    }
    flags
}

/// ACL GETUSER's `keys`: `~*`, or the patterns separated by spaces.
pub fn keys_field(selector: &Selector) -> Vec<u8> {
    let patterns = selector.keys.iter().map(|key| {
        let mut out = Vec::new();
        key.describe_into(&mut out);
        out
    });
    joined_or_all(selector.allkeys, b"~*", patterns)
}

/// ACL GETUSER's `channels`: `&*`, or the patterns separated by spaces.
pub fn channels_field(selector: &Selector) -> Vec<u8> {
    let patterns = selector
        .channels
        .iter()
        .map(|c| [b"&".as_slice(), c].concat());
    joined_or_all(selector.allchannels, b"&*", patterns)
}

fn joined_or_all(all: bool, everything: &[u8], items: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    if all {
        return everything.to_vec();
    }
    items.collect::<Vec<_>>().join(&b' ')
}
