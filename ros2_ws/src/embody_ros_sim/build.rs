//! With the `ros` feature: librcl (from the ROS 2 wheels) loads `*_rosidl_generator_py.so`
//! libraries that need CPython's symbols, so binaries and tests link libpython explicitly
//! (`--no-as-needed`, or the linker drops it). `EMBODY_ROS_LIBPYTHON` names another library
//! (default `python3.11`, the version of the wheels).
fn main() {
    println!("cargo:rerun-if-env-changed=EMBODY_ROS_LIBPYTHON");
    if std::env::var_os("CARGO_FEATURE_ROS").is_some() {
        let lib = std::env::var("EMBODY_ROS_LIBPYTHON").unwrap_or_else(|_| "python3.11".into());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-l{lib},--as-needed");
    }
}
