//! ACL rules on users (Redis's `ACLSetUser` and `ACLStringSetUser`):
//! flags, passwords, selectors in parentheses, and the root selector's
//! rules; the errors they give, worded as Redis words them; and the
//! validation of `user` lines of the configuration.

use super::selector::{c_string, has_spaces, Selector};
use super::{hash_password, PasswordHash, Sanitize, User};
use crate::server::spec::Registry;

/// Why a rule was refused (Redis's errno values in `ACLSetUser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// EINVAL: not understood, or a pattern with spaces.
    Syntax,
    /// ENOENT: no such command or category.
    UnknownName,
    /// EEXIST: a key pattern after `allkeys`.
    PatternAfterAllKeys,
    /// EISDIR: a channel pattern after `allchannels`.
    PatternAfterAllChannels,
    /// ENODEV: removing a password the user does not have.
    NoSuchPassword,
    /// EBADMSG: a `#` or `!` hash that is not 64 lowercase hex digits.
    BadHash,
    /// EALREADY: a user declared twice in the configuration.
    Duplicate,
    /// ECHILD: `+container|sub|arg`.
    FirstArgOfSubcommand,
}

impl RuleError {
    /// Redis's `ACLSetUserStringError` text.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownName => "Unknown command or category name in ACL",
            RuleError::PatternAfterAllKeys => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::PatternAfterAllChannels => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::Duplicate => "Duplicate user found. A user can only be defined once in config files",
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// What rules need besides the user: the command table and whether new
/// selectors start with every channel (`acl-pubsub-default`).
#[derive(Clone, Copy)]
pub struct RuleContext<'a> {
    pub registry: &'a Registry,
    pub all_channels: bool,
}

impl RuleContext<'_> {
    pub fn new_selector(&self, root: bool) -> Selector {
        Selector::new(root, self.registry.entries.len(), self.all_channels)
    }
}

impl User {
    /// Applies one rule (Redis's `ACLSetUser`); an empty rule does nothing.
    pub fn apply(&mut self, op: &[u8], ctx: &RuleContext) -> Result<(), RuleError> {
        let result = self.apply_rule(op, ctx);
        self.refresh();
        result
    }

    fn apply_rule(&mut self, op: &[u8], ctx: &RuleContext) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let word = c_string(op);
        let is = |name: &str| word.eq_ignore_ascii_case(name.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Sanitize::Skip;
        } else if is("sanitize-payload") {
            self.sanitize = Sanitize::Always;
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if let [b'>' | b'#', secret @ ..] = op {
            let hash = if op[0] == b'>' {
                hash_password(secret)
            } else {
                parse_hash(secret)?
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if let [b'<' | b'!', secret @ ..] = op {
            let hash = if op[0] == b'<' {
                hash_password(secret)
            } else {
                parse_hash(secret)?
            };
            let at = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op.first() == Some(&b'(') && op.last() == Some(&b')') {
            self.selectors.push(selector_from(op, ctx)?);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.reset(ctx);
        } else {
            let root = self.selectors.first_mut().ok_or(RuleError::Syntax)?;
            root.apply(op, ctx.registry)?;
        }
        Ok(())
    }

    /// `reset`: no passwords, keys, channels (unless `acl-pubsub-default`
    /// gives them all), selectors or commands; off; payloads sanitized.
    fn reset(&mut self, ctx: &RuleContext) {
        self.nopass = false;
        self.passwords.clear();
        self.enabled = false;
        self.sanitize = Sanitize::Always;
        self.selectors.truncate(1);
        if let Some(root) = self.selectors.first_mut() {
            for rule in ["resetkeys", "resetchannels"] {
                let _ = root.apply(rule.as_bytes(), ctx.registry);
            }
            if ctx.all_channels {
                let _ = root.apply(b"allchannels", ctx.registry);
            }
            let _ = root.apply(b"-@all", ctx.registry);
        }
    }

    /// Applies a list of rules all or nothing (Redis's `ACLStringSetUser`
    /// stages them on a copy): the error names the rule at fault, as
    /// ACL SETUSER reports it.
    pub fn apply_all(&mut self, rules: &[&[u8]], ctx: &RuleContext) -> Result<(), Vec<u8>> {
        let merged = merge_selector_args(rules).map_err(|at| {
            [
                b"Unmatched parenthesis in acl selector starting at '".as_slice(),
                c_string(rules.get(at).copied().unwrap_or_default()),
                b"'.",
            ]
            .concat()
        })?;
        let mut staged = self.clone();
        for rule in &merged {
            if let Err(e) = staged.apply(rule, ctx) {
                return Err([
                    b"Error in ACL SETUSER modifier '".as_slice(),
                    c_string(rule),
                    b"': ",
                    e.message().as_bytes(),
                ]
                .concat());
            }
        }
        *self = staged;
        Ok(())
    }
}

/// A selector from `(rule rule ...)`, split like Redis's `sdssplitargs`.
fn selector_from(op: &[u8], ctx: &RuleContext) -> Result<super::Selector, RuleError> {
    let inner = op.get(1..op.len().saturating_sub(1)).unwrap_or_default();
    let mut selector = ctx.new_selector(false);
    // Unbalanced quotes split into nothing, as sdssplitargs returns NULL.
    for rule in crate::util::split_args(inner).unwrap_or_default() {
        selector.apply(&rule, ctx.registry)?;
    }
    Ok(selector)
}

/// A `#`/`!` hash: exactly 64 lowercase hex digits.
fn parse_hash(text: &[u8]) -> Result<PasswordHash, RuleError> {
    let valid = text.len() == 64 && text.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(RuleError::BadHash);
    }
    let mut hash = [0u8; 64];
    hash.copy_from_slice(text);
    Ok(hash)
}

/// Joins a selector given over several arguments (`(~a` `+get)`) into one
/// rule, as Redis's `ACLMergeSelectorArguments`; an unclosed parenthesis
/// gives the position of the argument that opened it.
pub fn merge_selector_args(rules: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut merged = Vec::with_capacity(rules.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, &rule) in rules.iter().enumerate() {
        let opens = rule.first() == Some(&b'(') && rule.last() != Some(&b')');
        if opens {
            open = Some((i, rule.to_vec()));
            continue;
        }
        if let Some((start, mut selector)) = open.take() {
            selector.push(b' ');
            selector.extend_from_slice(rule);
            if rule.last() == Some(&b')') {
                merged.push(selector);
            } else {
                open = Some((start, selector));
            }
            continue;
        }
        merged.push(rule.to_vec());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(merged),
    }
}

/// Validates a `user` line of the configuration (`words`: the name, then
/// the rules) against the users `declared` before it, as Redis's
/// `ACLAppendUserForLoading` does. Unknown commands and categories pass
/// (they are reported when the users are created). An error gives the
/// index Redis reports (of the merged rule, which Redis uses to pick a
/// word of the whole line) and the message.
pub fn check_user_line(
    words: &[Vec<u8>],
    declared: &[Vec<Vec<u8>>],
    registry: &Registry,
    all_channels: bool,
) -> Result<(), (usize, &'static str)> {
    if declared.iter().any(|u| u.first() == words.first()) {
        return Err((1, RuleError::Duplicate.message()));
    }
    let rules: Vec<&[u8]> = words.iter().skip(1).map(Vec::as_slice).collect();
    // Redis reports the errno an earlier call left behind here.
    let merged =
        merge_selector_args(&rules).map_err(|at| (at, RuleError::UnknownName.message()))?;
    let ctx = RuleContext {
        registry,
        all_channels,
    };
    let mut user = User::new(b"", &ctx);
    for (j, rule) in merged.iter().enumerate() {
        match user.apply(rule, &ctx) {
            Ok(()) | Err(RuleError::UnknownName) => {}
            Err(e) => return Err((j, e.message())),
        }
    }
    Ok(())
}

/// True when a user name is acceptable (no spaces or NUL bytes).
pub fn valid_user_name(name: &[u8]) -> bool {
    !has_spaces(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_spread_over_arguments_are_joined() {
        let rules: Vec<&[u8]> = vec![b"on", b"(~a", b"+get", b"b)", b"(~c)", b"off"];
        let merged = merge_selector_args(&rules).unwrap();
        assert_eq!(
            merged,
            vec![
                b"on".to_vec(),
                b"(~a +get b)".to_vec(),
                b"(~c)".to_vec(),
                b"off".to_vec()
            ]
        );
        assert_eq!(merge_selector_args(&[b"on", b"(~a", b"x"]), Err(1));
        assert_eq!(merge_selector_args(&[b"("]), Err(0));
    }

    #[test]
    fn hashes_are_checked() {
        let good = [b'a'; 64];
        assert_eq!(parse_hash(&good), Ok(good));
        assert_eq!(parse_hash(&good[..63]), Err(RuleError::BadHash));
        let mut upper = good;
        upper[3] = b'A';
        assert_eq!(parse_hash(&upper), Err(RuleError::BadHash));
    }
}
