//! Cluster commands in a server without cluster support, as Redis answers
//! them when `cluster-enabled` is no: CLUSTER and each of its
//! subcommands, ASKING, READONLY and READWRITE exist (COMMAND lists them,
//! arity and unknown subcommands are checked) and reply that cluster
//! support is disabled.

use crate::server::client::Client;
use crate::server::errors::{CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;

const CLUSTER_DISABLED: &str = "ERR This instance has cluster support disabled";

fn cluster_disabled(_srv: &mut Server, _c: &mut Client, _args: &Args) -> CmdResult {
    Err(CmdError::Static(CLUSTER_DISABLED))
}

const CLUSTER_SUBCOMMANDS: &[Command] = &[
    Command::new("addslots", -3, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(N) where N is the total number of hash slot arguments", "Assigns hash slots to this node."),
    Command::new("addslotsrange", -4, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Assigns ranges of hash slots to this node."),
    Command::new("bumpepoch", 2, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Advances this node's config epoch."),
    Command::new("count-failure-reports", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(N) where N is the number of failure reports", "Counts the failure reports about a node."),
    Command::new("countkeysinslot", 3, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .doc("cluster", "3.0.0", "O(1)", "Counts the keys in a hash slot."),
    Command::new("delslots", -3, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(N) where N is the total number of hash slot arguments", "Unassigns hash slots from this node."),
    Command::new("delslotsrange", -4, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Unassigns ranges of hash slots from this node."),
    Command::new("failover", -2, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Makes this replica take over from its primary."),
    Command::new("flushslots", 2, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Unassigns every hash slot of this node."),
    Command::new("forget", 3, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Removes a node from this node's table."),
    Command::new("getkeysinslot", 4, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(log(N)) where N is the number of requested keys", "Lists keys of a hash slot."),
    Command::new("help", 2, cluster_disabled)
        .flags(flag::LOADING | flag::STALE)
        .acl(acl::SLOW)
        .doc("cluster", "5.0.0", "O(1)", "Describes the CLUSTER subcommands."),
    Command::new("info", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Describes the state of the cluster."),
    Command::new("keyslot", 3, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .doc("cluster", "3.0.0", "O(N) where N is the number of bytes in the key", "Computes the hash slot of a key."),
    Command::new("links", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes", "Lists this node's links to its peers."),
    Command::new("meet", -4, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Joins a node to the cluster."),
    Command::new("myid", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .doc("cluster", "3.0.0", "O(1)", "Gives this node's ID."),
    Command::new("nodes", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(N) where N is the total number of Cluster nodes", "Describes every node of the cluster, in the nodes-file format."),
    Command::new("replicas", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "5.0.0", "O(1)", "Lists the replicas of a primary."),
    Command::new("replicate", 3, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Makes this node a replica of a primary."),
    Command::new("reset", -2, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE | flag::NOSCRIPT)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", "Resets this node's cluster state."),
    Command::new("saveconfig", 2, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Writes the cluster state to the nodes file."),
    Command::new("set-config-epoch", 3, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Sets this node's config epoch."),
    Command::new("setslot", -4, cluster_disabled)
        .flags(flag::NO_ASYNC_LOADING | flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc("cluster", "3.0.0", "O(1)", "Binds a hash slot to a node or marks it as migrating or importing."),
    Command::new("shards", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "7.0.0", "O(N) where N is the total number of cluster nodes", "Describes the cluster's shards."),
    Command::new("slaves", 3, cluster_disabled)
        .flags(flag::ADMIN | flag::STALE)
        .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .tips(&["nondeterministic_output"])
        .doc("cluster", "3.0.0", "O(1)", "Lists the replicas of a primary (replaced by CLUSTER REPLICAS)."),
    Command::new("slots", 2, cluster_disabled)
        .flags(flag::STALE)
        .acl(acl::SLOW)
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
