//! Decode an input with statuslens's own decompression (same crates and buffers) and count its
//! bytes: the "decoding alone" baseline of the benchmark script.
//!
//! `cargo run --release --example decode -- FILE`

use std::io::Read;

use statuslens::input::{decompress, Input};

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: decode FILE");
    let (mut r, c) = decompress::open(&Input::File(path.into()))?;
    let mut buf = vec![0u8; 512 * 1024];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    println!("{} bytes ({})", total, c.as_str());
    Ok(())
}
