//! `oom-score-adj`: the process's Linux OOM-killer score adjustment, set
//! by role (primary, replica, background child) as Redis's
//! `setOOMScoreAdj` does. With `relative` (or `yes`) the configured value
//! is added to the score the process had before reddish first changed
//! it; with `absolute` it is the score. Turning the setting off puts the
//! original score back.

use super::Server;
use log::warn;

const PROC_FILE: &str = "/proc/self/oom_score_adj";

/// The Linux kernel's bounds for `oom_score_adj`.
const SCORE_MIN: i32 = -1000;
const SCORE_MAX: i32 = 1000;

/// Which of `oom-score-adj-values` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OomClass {
    Primary = 0,
    Replica = 1,
    BackgroundChild = 2,
}

/// The score the process had before reddish changed it, once it has.
#[derive(Debug, Default)]
pub struct OomScoreState {
    base: Option<i32>,
}

/// The score to write for `configured` under mode `mode` (1 relative, 2
/// absolute), given the original score `base`.
fn score_for(mode: i32, configured: i32, base: i32) -> i32 {
    let score = if mode == 2 {
        configured
    } else {
        configured.saturating_add(base)
    };
    score.clamp(SCORE_MIN, SCORE_MAX)
}

fn read_score() -> Result<i32, String> {
    let text = std::fs::read_to_string(PROC_FILE).map_err(|e| e.to_string())?;
    text.trim().parse::<i32>().map_err(|e| e.to_string())
}

fn write_score(score: i32) -> Result<(), String> {
    std::fs::write(PROC_FILE, format!("{}\n", score)).map_err(|e| {
        let why = e.to_string();
        warn!("Unable to write oom_score_adj: {}", why);
        why
    })
}

impl Server {
    /// The class of this process when it is not a child: replica or
    /// primary.
    fn own_oom_class(&self) -> OomClass {
        if self.is_replica() {
            OomClass::Replica
        } else {
            OomClass::Primary
        }
    }

    /// Writes the score for this server's role (after start-up, CONFIG
    /// SET, REPLICAOF).
    pub fn apply_oom_score(&mut self) -> Result<(), String> {
        self.set_oom_score(self.own_oom_class())
    }

    /// Writes the score of `class` (or the original one back when
    /// `oom-score-adj` is off and reddish had changed it).
    pub fn set_oom_score(&mut self, class: OomClass) -> Result<(), String> {
        let mode = self.config.oom_score_adj;
        if mode == 0 {
            return match self.oom_score.base.take() {
                Some(base) => write_score(base),
                None => Ok(()),
            };
        }
        let base = match self.oom_score.base {
            Some(base) => base,
            None => {
                let base = read_score().inspect_err(|why| {
                    warn!("Unable to read oom_score_adj: {}", why);
                })?;
                self.oom_score.base = Some(base);
                base
            }
        };
        let configured = self
            .config
            .oom_score_adj_values
            .get(class as usize)
            .copied()
            .unwrap_or(0);
        write_score(score_for(mode, configured, base))
    }
}

#[cfg(test)]
mod tests {
    use super::score_for;

    #[test]
    fn relative_adds_to_the_base_and_absolute_replaces_it() {
        assert_eq!(score_for(1, 10, 5), 15);
        assert_eq!(score_for(2, 10, 5), 10);
        assert_eq!(score_for(1, 900, 500), 1000);
        assert_eq!(score_for(2, -2000, 0), -1000);
    }
}
