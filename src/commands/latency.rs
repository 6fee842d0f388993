//! LATENCY: the latency monitor's spike history per event (LATEST, HISTORY,
//! RESET, GRAPH, DOCTOR) and the per-command latency histograms
//! (HISTOGRAM), with Redis 7.0's reply shapes and report texts.

use super::reply_help;
use crate::resp::reply::{Aggregate, Reply};
use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::histogram::Histogram;
use crate::server::spec::{acl, flag, Args, Command, Registry};
use crate::server::stats::LatencyEvent;
use crate::server::Server;
use std::fmt::Write;

/// LATENCY LATEST: per event, the newest sample and the all-time maximum.
fn latency_latest(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.array(srv.latency.events.len());
    for (name, event) in &srv.latency.events {
        let (time, ms) = event.samples.back().copied().unwrap_or((0, 0));
        c.reply.array(4);
        c.reply.bulk_str(name);
        c.reply.int(time);
        c.reply.uint(ms);
        c.reply.uint(event.max_ms);
    }
    Ok(())
}

/// LATENCY HISTORY event: (time, latency) pairs, oldest first.
fn latency_history(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let samples = find_event(srv, &args[2])
        .map(|e| e.samples.iter().copied().collect::<Vec<_>>())
        .unwrap_or_default();
    c.reply.array(samples.len());
    for (time, ms) in samples {
        c.reply.array(2);
        c.reply.int(time);
        c.reply.uint(ms);
    }
    Ok(())
}

/// The event named exactly `name`.
fn find_event<'a>(srv: &'a Server, name: &[u8]) -> Option<&'a LatencyEvent> {
    let name = std::str::from_utf8(name).ok()?;
    srv.latency.events.get(name)
}

/// LATENCY RESET [event ...]: forgets the named events (any case), or all.
fn latency_reset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let events = &mut srv.latency.events;
    let before = events.len();
    if args.len() == 2 {
        events.clear();
    } else {
        events.retain(|name, _| {
            !args
                .tail(2)
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(name.as_bytes()))
        });
    }
    c.reply.int((before - events.len()) as i64);
    Ok(())
}

/// LATENCY GRAPH event: an ASCII sparkline of the event's samples.
fn latency_graph(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let name = String::from_utf8_lossy(&args[2]).into_owned();
    let Some(event) = find_event(srv, &args[2]) else {
        return Err(CmdError::concat(&[
            b"ERR No samples available for event '",
            &args[2],
            b"'",
        ]));
    };
    let graph = event_graph(&name, event, crate::util::now_ms() / 1000);
    c.reply.verbatim(graph.as_bytes());
    Ok(())
}

/// LATENCY DOCTOR: a human readable analysis of the recorded events.
fn latency_doctor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let report = doctor_report(srv);
    c.reply.verbatim(report.as_bytes());
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: per command (subcommands included for
/// a container), its call count and cumulative latency distribution.
fn latency_histogram(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let reg = &srv.registry;
    let ids: Vec<usize> = if args.len() == 2 {
        (0..reg.entries.len()).collect()
    } else {
        args.tail(2)
            .iter()
            .filter_map(|name| reg.find_fullname(name))
            .flat_map(|id| std::iter::once(id).chain(direct_subcommands(reg, id)))
            .collect()
    };
    let at = c.reply.defer();
    let mut shown = 0;
    for id in ids {
        let entry = &reg.entries[id];
        if let Some(histogram) = &entry.stats.latency {
            c.reply.bulk_str(&entry.fullname);
            reply_histogram(&mut c.reply, histogram);
            shown += 1;
        }
    }
    c.reply.fill(at, Aggregate::Map, shown);
    Ok(())
}

fn direct_subcommands(reg: &Registry, id: usize) -> Vec<usize> {
    reg.subcommands_of(id).collect()
}

fn reply_histogram(reply: &mut Reply, histogram: &Histogram) {
    let buckets = histogram.log_buckets();
    reply.map(2);
    reply.bulk_str("calls");
    reply.uint(histogram.total());
    reply.bulk_str("histogram_usec");
    reply.map(buckets.len());
    for (micros, count) in buckets {
        reply.int(micros);
        reply.uint(count);
    }
}

/// LATENCY HELP
fn latency_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        &args[0],
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

/// Statistics of one event's samples, for the doctor.
struct EventSummary {
    samples: u64,
    avg: u64,
    /// Mean absolute deviation from `avg`.
    mad: u64,
    /// Seconds since the oldest sample (at least 1).
    period: i64,
}

fn summarize(event: &LatencyEvent, now_s: i64) -> EventSummary {
    let samples = event.samples.len() as u64;
    if samples == 0 {
        return EventSummary {
            samples: 0,
            avg: 0,
            mad: 0,
            period: 0,
        };
    }
    let avg = event.samples.iter().map(|s| s.1).sum::<u64>() / samples;
    let mad = event
        .samples
        .iter()
        .map(|s| (avg as i64 - s.1 as i64).unsigned_abs())
        .sum::<u64>()
        / samples;
    let oldest = event.samples.iter().map(|s| s.0).min().unwrap_or(now_s);
    EventSummary {
        samples,
        avg,
        mad,
        period: (now_s - oldest).max(1),
    }
}

/// Advice the doctor can give, in the order it prints them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    SlowlogEnable,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsync,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
    DisableThp,
}

/// The advice an event calls for (before configuration-dependent filtering).
fn event_advice(srv: &Server, event: &str) -> Vec<Advice> {
    use Advice::*;
    match event.to_ascii_lowercase().as_str() {
        "command" => {
            let mut advice = vec![SlowlogInspect, LargeObjects];
            let slower_than = srv.config.slowlog_log_slower_than;
            if slower_than < 0 {
                advice.push(SlowlogEnable);
            } else if (slower_than / 1000) as u64 > srv.config.latency_monitor_threshold {
                advice.push(SlowlogTuning);
            }
            advice
        }
        "fast-command" => vec![Scheduler],
        "aof-write-pending-fsync" => vec![LocalDisk, DiskContention, Ssd, DataWriteback],
        "aof-write-active-child" => vec![NoAppendfsync, DataWriteback, Ssd],
        "aof-write-alone" => vec![LocalDisk, DataWriteback, Ssd],
        "aof-fsync-always" => vec![RelaxFsync],
        "aof-fstat" | "rdb-unlink-temp-file" => vec![DiskContention, LocalDisk],
        "aof-rewrite-diff-write" | "aof-rename" => {
            vec![WriteLoadInfo, DataWriteback, Ssd, LocalDisk]
        }
        "expire-cycle" => vec![Hz, LargeObjects],
        "eviction-del" => vec![LargeObjects],
        "eviction-cycle" => vec![MassEviction],
        _ => Vec::new(),
    }
}

fn advice_text(srv: &Server, advice: Advice) -> Option<String> {
    let threshold_us = srv.config.latency_monitor_threshold.saturating_mul(1000);
    let text = match advice {
        Advice::SlowlogEnable => format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold_us),
        Advice::SlowlogTuning => format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold_us),
        Advice::SlowlogInspect => "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n".into(),
        Advice::Scheduler => "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n".into(),
        Advice::LocalDisk => "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n".into(),
        Advice::Ssd => "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n".into(),
        Advice::DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n".into(),
        Advice::DiskContention => "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n".into(),
        Advice::NoAppendfsync => "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n".into(),
        Advice::RelaxFsync => {
            let always = srv.config.appendfsync == crate::config::AppendFsync::Always;
            if !always {
                return None;
            }
            "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n".into()
        }
        Advice::WriteLoadInfo => "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n".into(),
        Advice::Hz => {
            if srv.config.hz >= 100 {
                return None;
            }
            "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n".into()
        }
        Advice::LargeObjects => "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n".into(),
        Advice::MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n".into(),
        Advice::DisableThp => "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n".into(),
    };
    Some(text)
}

/// Bytes of anonymous huge pages mapped by the process.
fn anon_huge_pages() -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    smaps
        .lines()
        .filter_map(|line| line.strip_prefix("AnonHugePages:"))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn doctor_report(srv: &Server) -> String {
    if srv.latency.events.is_empty() && srv.config.latency_monitor_threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let now_s = crate::util::now_ms() / 1000;
    let mut report = String::new();
    let mut advice: Vec<Advice> = Vec::new();
    for (i, (name, event)) in srv.latency.events.iter().enumerate() {
        if i == 0 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let s = summarize(event, now_s);
        let _ = writeln!(
            report,
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            i + 1,
            name,
            s.samples,
            s.avg,
            s.mad,
            s.period as f64 / s.samples.max(1) as f64,
            event.max_ms
        );
        advice.extend(event_advice(srv, name));
    }
    if anon_huge_pages() > 0 {
        advice.push(Advice::DisableThp);
    }
    advice.sort();
    advice.dedup();
    let events = srv.latency.events.len();
    if events == 0 && advice.is_empty() {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
    } else if events > 0 && advice.is_empty() {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
    } else {
        report.push_str("\nI have a few advices for you:\n\n");
        for a in advice {
            if let Some(text) = advice_text(srv, a) {
                report.push_str(&text);
            }
        }
    }
    report
}

/// Graph width in columns, and height in rows.
const GRAPH_COLUMNS: usize = 80;
const GRAPH_ROWS: usize = 4;

/// The LATENCY GRAPH text: a title, a rule, and the sparkline with
/// "how long ago" labels written vertically under each sample.
fn event_graph(name: &str, event: &LatencyEvent, now_s: i64) -> String {
    let values: Vec<u64> = event.samples.iter().map(|s| s.1).collect();
    let labels: Vec<String> = event
        .samples
        .iter()
        .map(|s| age_label(now_s - s.0))
        .collect();
    let max = values.iter().copied().max().unwrap_or(0);
    let min = values.iter().copied().min().unwrap_or(0);
    let mut out = format!(
        "{} - high {} ms, low {} ms (all time high {} ms)\n",
        name, max, min, event.max_ms
    );
    out.push_str(&"-".repeat(GRAPH_COLUMNS));
    out.push('\n');
    let mut start = 0;
    while start < values.len() {
        let end = (start + GRAPH_COLUMNS).min(values.len());
        if start != 0 {
            out.push('\n');
        }
        render_sparkline(
            &mut out,
            &values[start..end],
            &labels[start..end],
            (min as f64, max as f64),
        );
        start = end;
    }
    out
}

/// `12s`, `5m`, `3h` or `2d` ago.
fn age_label(elapsed: i64) -> String {
    if elapsed < 60 {
        format!("{}s", elapsed)
    } else if elapsed < 3600 {
        format!("{}m", elapsed / 60)
    } else if elapsed < 3600 * 24 {
        format!("{}h", elapsed / 3600)
    } else {
        format!("{}d", elapsed / (3600 * 24))
    }
}

/// Draws one band of at most GRAPH_COLUMNS samples: GRAPH_ROWS rows of
/// `_o#` (a full column is `|`), a blank row, then the labels top-down.
fn render_sparkline(out: &mut String, values: &[u64], labels: &[String], range: (f64, f64)) {
    const FILL: [char; 3] = ['_', 'o', '#'];
    let (min, max) = range;
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (FILL.len() * GRAPH_ROWS) as i64;
    let step_of = |v: u64| {
        let scaled = (((v as f64 - min) * steps as f64) as i64) as f64 / relmax;
        (scaled as i64).clamp(0, steps - 1)
    };
    for row in 0..GRAPH_ROWS {
        let line: String = values
            .iter()
            .map(|&v| {
                let index = step_of(v) - ((GRAPH_ROWS - row - 1) * FILL.len()) as i64;
                match usize::try_from(index) {
                    Ok(i) if i < FILL.len() => FILL[i],
                    Ok(_) => '|',
                    Err(_) => ' ',
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    let longest = labels.iter().map(String::len).max().unwrap_or(0);
    out.push_str(&" ".repeat(values.len()));
    out.push('\n');
    for char_index in 0..longest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(char_index).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// Flags, ACL categories and tips shared by the reporting subcommands.
const REPORT_FLAGS: u64 = flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE;
const REPORT_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;
const REPORT_TIPS: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];

const LATENCY_SUBCOMMANDS: &[Command] = &[
    Command::new("doctor", 2, latency_doctor)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Returns a human readable analysis of the latency events.",
        ),
    Command::new("graph", 3, latency_graph)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Draws an ASCII graph of an event's latency samples.",
        ),
    Command::new("help", 2, latency_help)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("server", "2.8.13", "O(1)", "Lists the LATENCY subcommands."),
    Command::new("histogram", -2, latency_histogram)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands with latency information being retrieved.",
            "Returns cumulative latency distributions of commands.",
        ),
    Command::new("history", 3, latency_history)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Returns the latency samples of an event.",
        ),
    Command::new("latest", 2, latency_latest)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(REPORT_TIPS)
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Returns the newest latency sample of every event.",
        ),
    Command::new("reset", -2, latency_reset)
        .flags(REPORT_FLAGS)
        .acl(REPORT_ACL)
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .doc(
            "server",
            "2.8.13",
            "O(1)",
            "Forgets the samples of some or all events.",
        ),
];

pub const COMMANDS: &[Command] = &[Command::new("latency", -2, super::container)
    .acl(acl::SLOW)
    .doc(
        "server",
        "2.8.13",
        "Depends on subcommand.",
        "Container of the latency monitor commands.",
    )
    .subcommands(LATENCY_SUBCOMMANDS)];

#[cfg(test)]
mod tests {
    use super::*;

    fn event(samples: &[(i64, u64)]) -> LatencyEvent {
        LatencyEvent {
            samples: samples.iter().copied().collect(),
            max_ms: samples.iter().map(|s| s.1).max().unwrap_or(0),
        }
    }

    #[test]
    fn graph_layout() {
        let e = event(&[(100, 10), (105, 40)]);
        let g = event_graph("command", &e, 110);
        let expected = "command - high 40 ms, low 10 ms (all time high 40 ms)\n".to_string()
            + &"-".repeat(80)
            + "\n #\n |\n |\n_|\n  \n15\n0s\ns \n";
        assert_eq!(g, expected);
    }

    #[test]
    fn summary_of_samples() {
        let s = summarize(&event(&[(100, 10), (105, 30)]), 110);
        assert_eq!((s.samples, s.avg, s.mad, s.period), (2, 20, 10, 10));
    }

    #[test]
    fn age_labels() {
        assert_eq!(age_label(5), "5s");
        assert_eq!(age_label(120), "2m");
        assert_eq!(age_label(7200), "2h");
        assert_eq!(age_label(3 * 86400), "3d");
    }
}
