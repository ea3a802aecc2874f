//! Generates the gRPC server and client code from `proto/`, with the vendored protoc so a fresh
//! machine needs only cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: build scripts are single-threaded; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .build_client(false)
        .file_descriptor_set_path(out_dir.join("ledger_descriptor.bin"))
        .compile_protos(&["../proto/ledger/v1/ledger.proto"], &["../proto"])?;
    println!("cargo:rerun-if-changed=../proto");
    Ok(())
}
