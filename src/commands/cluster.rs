//! Cluster commands in a server without cluster support, as Redis answers
//! them when `cluster-enabled` is no: CLUSTER and each of its
//! subcommands, ASKING, READONLY and READWRITE exist (COMMAND lists them,
//! arity and unknown subcommands are checked) and reply that cluster
//! support is disabled.

use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;

/// A subcommand that changes the cluster: admin, dangerous, refused
/// during async loading.
const fn cluster_admin(name: &'static str, arity: i32) -> Command {
    Command::new(name, arity, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
}

/// A subcommand that only describes the cluster.
const fn cluster_query(name: &'static str, arity: i32) -> Command {
    Command::new(name, arity, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
}

const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";

fn cluster_disabled(_srv: &mut Server, _c: &mut Client, _args: &Args) -> CmdResult {
    Err(CmdError::Static(CLUSTER_DISABLED))
}

const CLUSTER_SUBCOMMANDS: &[Command] = &[
    cluster_admin("addslots", -3)
        .doc("cluster", "3.0.0", "O(N) where N is the total number of hash slot arguments", "Assigns hash slots to this node."),
    cluster_admin("addslotsrange", -4)
        .doc("cluster", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Assigns ranges of hash slots to this node."),
    cluster_admin("bumpepoch", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Advances this node's config epoch."),
    Command::new("count-failure-reports", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(N) where N is the number of failure reports", "Counts the failure reports about a node."),
    cluster_query("countkeysinslot", 3)
        .doc("cluster", "3.0.0", "O(1)", "Counts the keys in a hash slot."),
    cluster_admin("delslots", -3)
        .doc("cluster", "3.0.0", "O(N) where N is the total number of hash slot arguments", "Unassigns hash slots from this node."),
    cluster_admin("delslotsrange", -4)
        .doc("cluster", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Unassigns ranges of hash slots from this node."),
    cluster_admin("failover", -2)
        .doc("cluster", "3.0.0", "O(1)", "Makes this replica take over from its primary."),
    cluster_admin("flushslots", 2)
        .doc("cluster", "3.0.0", "O(1)", "Unassigns every hash slot of this node."),
    cluster_admin("forget", 3)
        .doc("cluster", "3.0.0", "O(1)", "Removes a node from this node's table."),
    cluster_query("getkeysinslot", 4)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(log(N)) where N is the number of requested keys", "Lists keys of a hash slot."),
    Command::new("help", 2, cluster_disabled)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("cluster", "5.0.0", "O(1)", "Describes the CLUSTER subcommands."),
    cluster_query("info", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Describes the state of the cluster."),
    cluster_query("keyslot", 3)
        .doc("cluster", "3.0.0", "O(N) where N is the number of bytes in the key", "Computes the hash slot of a key."),
    cluster_query("links", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes", "Lists this node's links to its peers."),
    cluster_admin("meet", -4)
        .doc("cluster", "3.0.0", "O(1)", "Joins a node to the cluster."),
    cluster_query("myid", 2)
        .doc("cluster", "3.0.0", "O(1)", "Gives this node's ID."),
    cluster_query("nodes", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(N) where N is the total number of Cluster nodes", "Describes every node of the cluster, in the nodes-file format."),
    Command::new("replicas", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "5.0.0", "O(1)", "Lists the replicas of a primary."),
    cluster_admin("replicate", 3)
        .doc("cluster", "3.0.0", "O(1)", "Makes this node a replica of a primary."),
    Command::new("reset", -2, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE | flag::NOSCRIPT)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", "Resets this node's cluster state."),
    cluster_admin("saveconfig", 2)
        .doc("cluster", "3.0.0", "O(1)", "Writes the cluster state to the nodes file."),
    cluster_admin("set-config-epoch", 3)
        .doc("cluster", "3.0.0", "O(1)", "Sets this node's config epoch."),
    cluster_admin("setslot", -4)
        .doc("cluster", "3.0.0", "O(1)", "Binds a hash slot to a node or marks it as migrating or importing."),
    cluster_query("shards", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "7.0.0", "O(N) where N is the total number of cluster nodes", "Describes the cluster's shards."),
    Command::new("slaves", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Lists the replicas of a primary (replaced by CLUSTER REPLICAS)."),
    cluster_query("slots", 2)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(N) where N is the total number of Cluster nodes", "Maps hash slots to nodes (replaced by CLUSTER SHARDS)."),
];

pub const COMMANDS: &[Command] = &[
    Command::new("cluster", -2, cluster_disabled)
        .acl(acl::SLOW)
        .doc(
            "cluster",
            "3.0.0",
            "Depends on subcommand.",
            "Operates a Redis Cluster node.",
        )
        .subcommands(CLUSTER_SUBCOMMANDS),
    Command::new("asking", 1, cluster_disabled)
        .flags(flag::FAST)
        .acl(acl::FAST | acl::CONNECTION)
        .doc(
            "cluster",
            "3.0.0",
            "O(1)",
            "Lets the next command reach a slot being imported.",
        ),
    Command::new("readonly", 1, cluster_disabled)
        .flags(flag::FAST | flag::LOADING | flag::STALE)
        .acl(acl::FAST | acl::CONNECTION)
        .doc(
            "cluster",
            "3.0.0",
            "O(1)",
            "Lets a cluster replica serve reads on this connection.",
        ),
    Command::new("readwrite", 1, cluster_disabled)
        .flags(flag::FAST | flag::LOADING | flag::STALE)
        .acl(acl::FAST | acl::CONNECTION)
        .doc(
            "cluster",
            "3.0.0",
            "O(1)",
            "Ends READONLY on this connection.",
        ),
];
