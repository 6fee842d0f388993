//! Users from outside: the `user` lines of the configuration at start-up,
//! and the ACL file (`aclfile`) that ACL LOAD reads and ACL SAVE writes.
//!
//! ACL LOAD builds a complete new user table from the file and swaps it in
//! only if every line was good; otherwise the users stay as they were and
//! the error names each bad line, as Redis's `ACLLoadFromFile` does. The
//! default user keeps its identity (its rules are replaced); every other
//! user's connections are closed. ACL SAVE writes a temporary file and
//! renames it over the old one.

use super::rules::{merge_selector_args, RuleContext, RuleError};
use super::selector::has_spaces;
use super::{describe, User, UserId, DEFAULT_USER};
use crate::server::client::Client;
use crate::server::Server;
use log::warn;
use std::collections::BTreeMap;

/// Users read from an ACL file, by name.
type NewUsers = BTreeMap<Vec<u8>, User>;

impl Server {
    /// ACL LOAD: replaces the users with those of the ACL file, or leaves
    /// them and returns the error text.
    pub fn acl_load_file(&mut self, c: &mut Client) -> Result<(), String> {
        let users = self.read_acl_file()?;
        self.install_users(Some(c), users);
        Ok(())
    }

    /// Reads and checks the whole ACL file.
    fn read_acl_file(&self) -> Result<NewUsers, String> {
        let filename = self.config.aclfile.clone();
        let content = std::fs::read(&filename).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{}': {}",
                filename,
                crate::config::value::strerror(&e)
            )
        })?;
        // Redis reads the file as a C string.
        let end = content
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(content.len());
        let ctx = self.rule_context();
        let mut users = NewUsers::new();
        let mut errors = String::new();
        for (i, line) in content[..end].split(|&b| b == b'\n').enumerate() {
            let line = trim(line, b" \t\r\n");
            if line.is_empty() {
                continue;
            }
            let at = format!("{}:{}", filename, i + 1);
            read_user_line(line, &at, i + 1, &ctx, &mut users, &mut errors);
        }
        if errors.is_empty() {
            Ok(users)
        } else {
            errors.push_str(
                "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
            );
            Err(errors)
        }
    }

    /// Swaps a loaded user table in: the default user takes the rules of
    /// the file's (or a fresh default), the others are replaced and their
    /// connections closed.
    fn install_users(&mut self, mut current: Option<&mut Client>, mut users: NewUsers) {
        let ctx = self.rule_context();
        let default = users
            .remove(DEFAULT_USER)
            .unwrap_or_else(|| User::new_default(&ctx));
        let old: Vec<UserId> = self
            .acl
            .by_name
            .values()
            .copied()
            .filter(|&id| id != UserId::DEFAULT)
            .collect();
        for id in old {
            self.acl.remove(id);
            self.disconnect_user(current.as_deref_mut(), id);
        }
        if let Some(slot) = self.acl.user_mut(UserId::DEFAULT) {
            *slot = default;
        }
        for (_, user) in users {
            self.acl.insert(user);
        }
    }

    /// ACL SAVE: every user as a `user` line, written to a temporary file
    /// renamed over the ACL file. False (and a log line) on failure.
    pub fn acl_save_file(&self) -> bool {
        let filename = &self.config.aclfile;
        let tmp = format!(
            "{}.tmp-{}-{}",
            filename,
            std::process::id(),
            crate::util::now_ms()
        );
        let write = std::fs::write(&tmp, self.acl_user_lines().concat());
        if let Err(e) = write {
            warn!(
                "Writing ACL file for ACL SAVE: {}",
                crate::util::error_text(&e)
            );
            let _ = std::fs::remove_file(&tmp);
            return false;
        }
        if let Err(e) = std::fs::rename(&tmp, filename) {
            warn!(
                "Renaming ACL file for ACL SAVE: {}",
                crate::util::error_text(&e)
            );
            let _ = std::fs::remove_file(&tmp);
            return false;
        }
        true
    }

    /// `user <name> <rules>\n` for every user, in name order (ACL SAVE;
    /// CONFIG REWRITE without the newlines).
    pub fn acl_user_lines(&self) -> Vec<Vec<u8>> {
        self.acl
            .users()
            .map(|u| {
                let mut line = self.acl_user_line(u);
                line.push(b'\n');
                line
            })
            .collect()
    }

    /// `user <name> <rules>`, as ACL LIST shows a user.
    pub fn acl_user_line(&self, user: &User) -> Vec<u8> {
        [
            b"user ".as_slice(),
            &user.name,
            b" ",
            &describe::user_rules(user, &self.registry),
        ]
        .concat()
    }

    /// Creates the users of the configuration's `user` lines, then loads
    /// the ACL file; false (after logging why) when the server must not
    /// start, as Redis's `ACLLoadUsersAtStartup`.
    pub fn load_users_at_startup(&mut self) -> bool {
        if !self.config.aclfile.is_empty() && !self.config.users.is_empty() {
            warn!("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.");
            return false;
        }
        if let Err(e) = self.create_configured_users() {
            warn!("{}", e);
            warn!("Critical error while loading ACLs. Exiting.");
            return false;
        }
        if !self.config.aclfile.is_empty() {
            match self.read_acl_file() {
                Ok(users) => self.install_users(None, users),
                Err(e) => {
                    warn!("Aborting Redis startup because of ACL errors: {}", e);
                    return false;
                }
            }
        }
        true
    }

    /// The users of `user` lines, on the live table (the default user is
    /// reset first when a line declares it).
    fn create_configured_users(&mut self) -> Result<(), String> {
        let lines = self.config.users.clone();
        for words in lines {
            let Some((name, rules)) = words.split_first() else {
                continue;
            };
            if has_spaces(name) {
                return Err("Spaces not allowed in ACL usernames".to_string());
            }
            let rules: Vec<&[u8]> = rules.iter().map(Vec::as_slice).collect();
            let merged = merge_selector_args(&rules).unwrap_or_default();
            let ctx = self.rule_context();
            let mut user = match self.acl.find(name).and_then(|id| self.acl.user(id)) {
                Some(existing) => {
                    let mut user = existing.clone();
                    let _ = user.apply(b"reset", &ctx);
                    user
                }
                None => User::new(name, &ctx),
            };
            for rule in &merged {
                user.apply(rule, &ctx).map_err(|e| {
                    format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        String::from_utf8_lossy(rule),
                        String::from_utf8_lossy(name),
                        e.message()
                    )
                })?;
            }
            if !user.enabled {
                log::info!("The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", String::from_utf8_lossy(name));
            }
            match self.acl.find(name) {
                Some(id) => {
                    if let Some(slot) = self.acl.user_mut(id) {
                        *slot = user;
                    }
                }
                None => {
                    self.acl.insert(user);
                }
            }
        }
        Ok(())
    }
}

/// One line of an ACL file: `user <name> <rules...>` split at single
/// spaces (as Redis splits them: no quoting). Problems are appended to
/// `errors` as Redis words them.
fn read_user_line(
    line: &[u8],
    at: &str,
    number: usize,
    ctx: &RuleContext,
    users: &mut NewUsers,
    errors: &mut String,
) {
    let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let (Some(&keyword), Some(&name)) = (words.first(), words.get(1)) else {
        errors.push_str(&format!(
            "{} should start with user keyword followed by the username. ",
            at
        ));
        return;
    };
    if keyword != b"user" {
        errors.push_str(&format!(
            "{} should start with user keyword followed by the username. ",
            at
        ));
        return;
    }
    let name_text = String::from_utf8_lossy(name);
    if has_spaces(name) {
        errors.push_str(&format!(
            "'{}: username '{}' contains invalid characters. ",
            at, name_text
        ));
        return;
    }
    if users.contains_key(name) {
        errors.push_str(&format!(
            "WARNING: Duplicate user '{}' found on line {}. ",
            name_text, number
        ));
        return;
    }
    let mut user = User::new(name, ctx);
    let rules = match merge_selector_args(&words[2..]) {
        Ok(rules) => rules,
        Err(_) => {
            errors.push_str(&format!(
                "{}: Unmatched parenthesis in selector definition.",
                at
            ));
            Vec::new()
        }
    };
    let mut reported_syntax = false;
    for rule in &rules {
        let rule = trim(rule, b"\t\r\n");
        match user.apply(rule, ctx) {
            Ok(()) => {}
            Err(RuleError::UnknownName) => errors.push_str(&format!(
                "{}: Error in applying operation '{}': {}. ",
                at,
                String::from_utf8_lossy(super::selector::c_string(rule)),
                RuleError::UnknownName.message()
            )),
            Err(e) if !reported_syntax => {
                errors.push_str(&format!("{}: {}. ", at, e.message()));
                reported_syntax = true;
            }
            Err(_) => {}
        }
    }
    users.insert(name.to_vec(), user);
}

fn trim<'a>(mut s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = s {
        if !chars.contains(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !chars.contains(last) {
            break;
        }
        s = rest;
    }
    s
}
