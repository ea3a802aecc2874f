//! Generates the gRPC client code from `proto/`, with the vendored protoc so a fresh machine needs
//! only cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    tonic_prost_build::configure()
        .build_server(false)
        .compile_protos(&["../proto/ledger/v1/ledger.proto"], &["../proto"])?;
    println!("cargo:rerun-if-changed=../proto");
    Ok(())
}
