//! A client described as CLIENT LIST and CLIENT INFO print it (log lines
//! about a client use the same text).

use super::client::Client;
use super::Server;
use crate::util::now_ms;
use std::fmt::Write as _;

impl Server {
    /// The `CLIENT LIST` line describing a client.
    pub fn client_info_string(&self, c: &Client) -> String {
        let mut out = String::with_capacity(320);
        self.write_client_info(&mut out, c);
        out
    }

    /// Appends the `CLIENT LIST` line of `c` (without newline) to `out`.
    ///
    /// reddish keeps a client's output in one buffer: `rbs` is the size
    /// the clients cron keeps it at, `rbp` the most of that filled lately,
    /// and `obl`/`oll`/`omem` split pending output the way Redis's 16KB
    /// buffer plus its list of 20KB blocks would hold it.
    pub fn write_client_info(&self, out: &mut String, c: &Client) {
        let now_s = now_ms() / 1000;
        let cmd = self
            .registry
            .get(c.last_command)
            .map_or("NULL", |e| e.fullname.as_str());
        let list_bytes = c.output_list_bytes();
        let obl = c.pending_output() - list_bytes;
        let oll = c.output_list_blocks();
        let omem = c.output_list_memory() + self.replication.stream_memory(c.slot);
        let multi_mem = c.multi.memory();
        let multi_count = c.multi.reported_count();
        let tot_mem = self.client_memory(c);
        let events = if c.want_writable { "rw" } else { "r" };
        let (sub, psub, ssub) = c.subscription_counts();
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} \
             sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} \
             rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} \
             user={} redir={} resp={}",
            c.id,
            c.addr,
            c.local_addr,
            c.fd(),
            String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
            now_s - c.created_ms / 1000,
            now_s - c.last_interaction_ms / 1000,
            c.flags_text(self.watches.is_touched(c.slot)),
            c.db,
            sub,
            psub,
            ssub,
            multi_count,
            c.query.reported_len(),
            c.query.free(),
            c.argv_mem,
            multi_mem,
            c.reply_buffer_size(),
            c.reply_buffer_peak(),
            obl,
            oll,
            omem,
            tot_mem,
            events,
            cmd,
            String::from_utf8_lossy(self.client_user_name(c)),
            c.tracking.as_deref().map_or(-1, |t| t.redirect_id() as i64),
            if c.reply.resp3 { 3 } else { 2 }
        );
    }
}
