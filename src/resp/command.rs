//! Requests as a client writes them: a command is a RESP array of bulk
//! strings. The replication stream, the replica's handshake with its
//! primary and MIGRATE all encode commands with this one function.

use crate::util::push_u64;

/// Appends `parts` to `out` as one RESP command.
pub fn push_command<I>(out: &mut Vec<u8>, parts: I)
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    I::Item: AsRef<[u8]>,
{
    let parts = parts.into_iter();
    out.push(b'*');
    push_u64(out, parts.len() as u64);
    out.extend_from_slice(b"\r\n");
    for part in parts {
        let part = part.as_ref();
        out.push(b'$');
        push_u64(out, part.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
}

/// `parts` as the bytes of one RESP command.
pub fn command_bytes<I>(parts: I) -> Vec<u8>
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    I::Item: AsRef<[u8]>,
{
    let mut out = Vec::with_capacity(64);
    push_command(&mut out, parts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            command_bytes(["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        let mut out = b"x".to_vec();
        push_command(&mut out, [b"PING".as_slice()]);
        assert_eq!(out, b"x*1\r\n$4\r\nPING\r\n");
    }
}
