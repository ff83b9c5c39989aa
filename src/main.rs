//! The `stalwart-tenant` command: a thin shell over the library.

fn main() -> std::process::ExitCode {
    stalwart_tenant::cli::main()
}
