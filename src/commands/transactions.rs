//! Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queue
//! and watch state they work on is in `server::multi`; queueing itself
//! happens in the dispatcher, after the checks every command goes through.

use crate::server::acl::log::AclContext;
use crate::server::client::Client;
use crate::server::errors::CmdResult;
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::Server;

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

fn multi(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if c.multi.is_open() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    c.multi.begin();
    c.reply.ok();
    Ok(())
}

fn discard(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if !c.multi.is_open() {
        return Err("ERR DISCARD without MULTI".into());
    }
    srv.discard_transaction(c);
    c.reply.ok();
    Ok(())
}

/// Runs the queued commands, unless a command was refused while queueing
/// (EXECABORT) or a watched key changed (null array); a command the ACL
/// rules no longer allow is answered NOPERM in its place. EXEC itself is never
/// propagated: what its commands wrote is, wrapped in MULTI/EXEC when more
/// than one command goes out.
fn exec(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if !c.multi.is_open() {
        return Err("ERR EXEC without MULTI".into());
    }
    let aborted = c.multi.aborted();
    let watch_failed = srv.watch_failed(c);
    if aborted || watch_failed {
        srv.discard_transaction(c);
        if aborted {
            return Err(EXECABORT.into());
        }
        c.reply.null_array();
        return Ok(());
    }
    srv.unwatch_keys(c);
    srv.suppress_propagation();
    let queue = c.multi.take_queue();
    if !c.reply_mode.silenced() {
        c.reply.array(queue.len());
    }
    let was_in_exec = std::mem::replace(&mut c.in_exec, true);
    srv.in_exec = true;
    for (id, args) in queue.iter() {
        let mark = c.reply.buf.len();
        // ACL rules may have changed since the command was queued.
        match srv.acl_check(c.user, id, &args) {
            Ok(()) => srv.call(c, id, &args),
            Err(denial) => {
                srv.acl_log_denial(c, &denial, AclContext::Multi, &args);
                c.reply.error(denial.exec_error());
            }
        }
        c.settle_nested_reply(mark);
        // Past its output limit the client gets nothing more: as in Redis,
        // the rest of the transaction runs but adds no replies.
        srv.enforce_output_limit(c);
        if c.close_asap {
            c.reply.silence_from(mark);
        }
    }
    c.in_exec = was_in_exec;
    srv.in_exec = was_in_exec;
    c.multi.restore_queue(queue);
    srv.discard_transaction(c);
    Ok(())
}

fn watch(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if c.multi.is_open() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    if !srv.watches.is_touched(c.slot) {
        srv.watch_keys(c, args.tail(1));
    }
    c.reply.ok();
    Ok(())
}

fn unwatch(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.unwatch_keys(c);
    c.reply.ok();
    Ok(())
}

pub const COMMANDS: &[Command] = &[
    Command::new("multi", 1, multi)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc("transactions", "1.2.0", "O(1)", "Starts a transaction."),
    Command::new("exec", 1, exec)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::SKIP_SLOWLOG)
        .acl(acl::SLOW | acl::TRANSACTION)
        .doc(
            "transactions",
            "1.2.0",
            "Depends on commands in the transaction",
            "Executes all commands in a transaction.",
        ),
    Command::new("discard", 1, discard)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc(
            "transactions",
            "2.0.0",
            "O(N), when N is the number of queued commands",
            "Discards a transaction.",
        ),
    Command::new("watch", -2, watch)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .keys(&[KeySpec::range(ks::RO, 1, -1, 1)])
        .doc(
            "transactions",
            "2.2.0",
            "O(1) for every key.",
            "Monitors changes to keys to determine the execution of a transaction.",
        ),
    Command::new("unwatch", 1, unwatch)
        .flags(flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST | flag::ALLOW_BUSY)
        .acl(acl::FAST | acl::TRANSACTION)
        .doc(
            "transactions",
            "2.2.0",
            "O(1)",
            "Forgets about watched keys of a transaction.",
        ),
];

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{
        decode_commands, run_line as run, server_keeping_stream as setup, stream_since,
        whole_stream,
    };

    /// Runs each line as a command; returns the replication stream they
    /// produced, one command per line.
    fn stream_of(lines: &[&str]) -> Vec<String> {
        let (mut srv, mut c) = setup();
        for line in lines {
            run(&mut srv, &mut c, line);
        }
        decode_commands(&whole_stream(&srv))
    }

    #[test]
    fn a_single_write_is_not_wrapped() {
        let stream = stream_of(&["MULTI", "SET foo bar", "EXEC", "SET foo2 bar"]);
        assert_eq!(stream, ["SELECT 0", "SET foo bar", "SET foo2 bar"]);
    }

    #[test]
    fn several_writes_are_wrapped_and_reads_left_out() {
        let stream = stream_of(&[
            "MULTI",
            "SET foo bar",
            "GET foo",
            "SET foo2 bar2",
            "GET foo2",
            "EXEC",
        ]);
        assert_eq!(
            stream,
            ["SELECT 0", "MULTI", "SET foo bar", "SET foo2 bar2", "EXEC"]
        );
    }

    #[test]
    fn select_inside_the_transaction() {
        let stream = stream_of(&[
            "MULTI",
            "SELECT 1",
            "SET foo bar",
            "SELECT 2",
            "SET foo2 bar2",
            "EXEC",
        ]);
        assert_eq!(
            stream,
            [
                "SELECT 1",
                "MULTI",
                "SET foo bar",
                "SELECT 2",
                "SET foo2 bar2",
                "EXEC"
            ]
        );
    }

    #[test]
    fn transactions_that_write_nothing_propagate_nothing() {
        let stream = stream_of(&[
            "MULTI", "EXEC", "MULTI", "GET foo", "EXEC", "MULTI", "DEL nope", "EXEC", "INCR n",
        ]);
        assert_eq!(stream, ["SELECT 0", "INCR n"]);
    }

    #[test]
    fn flushall_inside_the_transaction() {
        let stream = stream_of(&["MULTI", "SET foo bar", "FLUSHALL", "EXEC"]);
        assert_eq!(
            stream,
            ["SELECT 0", "MULTI", "SET foo bar", "FLUSHALL", "EXEC"]
        );
    }

    #[test]
    fn aborted_and_discarded_transactions_propagate_nothing() {
        let stream = stream_of(&[
            "MULTI", "SET a 1", "NOSUCH", "EXEC", "MULTI", "SET a 1", "DISCARD", "SET b 2",
        ]);
        assert_eq!(stream, ["SELECT 0", "SET b 2"]);
    }

    #[test]
    fn lazy_expiry_inside_the_transaction_is_part_of_it() {
        let (mut srv, mut c) = setup();
        run(&mut srv, &mut c, "SET e v");
        srv.db(0).set_expire(b"e", 1);
        let start = srv.replication.master_offset + 1;
        for line in ["MULTI", "GET e", "SET z 1", "EXEC"] {
            run(&mut srv, &mut c, line);
        }
        let stream = decode_commands(&stream_since(&srv, start));
        assert_eq!(stream, ["MULTI", "DEL e", "SET z 1", "EXEC"]);
    }

    #[test]
    fn queued_replies_and_the_exec_array() {
        let (mut srv, mut c) = setup();
        for line in ["MULTI", "SET k 1", "INCR k", "EXEC"] {
            run(&mut srv, &mut c, line);
        }
        assert_eq!(
            c.reply.buf,
            b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n"
        );
        assert!(!c.multi.is_open());
        assert!(!c.in_exec);
    }
}
