//! The generated `ledger.v1` protobuf and gRPC server code, and its descriptor for reflection.

#![allow(clippy::all, missing_docs)]

tonic::include_proto!("ledger.v1");

/// The encoded file descriptor set, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("ledger_descriptor");
