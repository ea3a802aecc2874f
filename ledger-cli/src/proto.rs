//! The gRPC client generated from `proto/ledger/v1/ledger.proto` by `build.rs`.
#![allow(clippy::all)]

tonic::include_proto!("ledger.v1");
